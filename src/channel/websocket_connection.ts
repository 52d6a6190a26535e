// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { CHANNEL_PROTOCOL } from "./channel_protocol.ts";
import { ChannelProtocolError } from "./channel_protocol_error.ts";
import { CLOSE_CODES } from "./close_codes.ts";
import { encodeFrame } from "./encode_frame.ts";
import { FRAME_TYPE } from "./frame_types.ts";
import { maxFrameBytesOption } from "./payload_checks.ts";
import type { ChannelConnection } from "./channel_connection.ts";

/**
 * Options for {@linkcode webSocketConnection}.
 *
 * @example Write a channel over a WebSocket of your own
 * ```ts
 * import { collect, pipeline } from "@ca/streams";
 * import {
 *   CHANNEL_PROTOCOL,
 *   channelReader,
 *   channelWriter,
 *   webSocketConnection,
 * } from "@ca/streams/channel";
 * import type { WebSocketConnectionOptions } from "@ca/streams/channel";
 * import { wsListen } from "@ca/streams/channel-ws";
 *
 * const listener = await wsListen({ port: 0 });
 * const received = collect<number>();
 * const reading = pipeline(channelReader<number>(listener, { stream: "n" }), received);
 * const url = `ws://127.0.0.1:${listener.port}/`;
 * const options: WebSocketConnectionOptions = { maxFrameBytes: 1 << 20, remote: "reader" };
 * const connect = async () =>
 *   webSocketConnection(new WebSocket(url, [CHANNEL_PROTOCOL.subprotocol]), options);
 * await pipeline([1, 2], channelWriter(connect, { stream: "n" }));
 * await reading;
 * if (received.records.join() !== "1,2") throw new Error(`unexpected ${received.records}`);
 * ```
 */
export interface WebSocketConnectionOptions {
  /**
   * The largest message accepted, in bytes (default 16 MiB): this side's
   * `maxFrameBytes`. Before the first frame arrives the limit is 64 KiB.
   */
  maxFrameBytes?: number;
  /**
   * How many bytes may wait in the socket's send buffer (`bufferedAmount`)
   * before a write waits for it to drain (default 1 MiB).
   */
  maxBufferedBytes?: number;
  /** Where the peer is, for messages (default the socket's `url`). */
  remote?: string;
  /**
   * When the connection opened, as `Date.now()`: a listener gives the time
   * it accepted the TCP connection, before the HTTP upgrade (see
   * `ChannelConnection.openedAt`).
   */
  openedAt?: number;
}

/** How often a write looks again at a full send buffer, at most, in ms. */
const MAX_POLL_MS = 16;

/** WebSocket close codes no endpoint may send (RFC 6455, 7.4.1). */
const RESERVED_CLOSE_CODES: ReadonlySet<number> = new Set([
  1004,
  1005,
  1006,
  1015,
]);

/**
 * The error code of the `ws` package (Node) for a message above its
 * `maxPayload`; it then closes with 1009 and reports 1006 locally.
 */
const WS_TOO_LONG = "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH";

/** WebSocket's own "message too big", the transport's way of saying 4003. */
const MESSAGE_TOO_BIG = 1009;

/**
 * Adapts an open (or opening) web-standard `WebSocket` to a
 * {@linkcode ChannelConnection}, as the channel protocol's WebSocket
 * transport (`docs/protocol.md`, "WebSocket"). It runs wherever the
 * WHATWG `WebSocket` does: Deno, Node 22+ (its global `WebSocket`, or a
 * `ws` socket), browsers, and workerd (a `WebSocketPair` end after
 * `accept()`).
 *
 * - **Receiving**: each binary message is one chunk of `readable`, and
 *   holds whole frames. A text message, a message that ends inside a
 *   frame, or one above `maxFrameBytes` errors `readable` with a
 *   `ChannelProtocolError` (close code 4000, or 4003 for the size), so the
 *   session answers with a CLOSE frame. Empty messages are skipped.
 * - **Sending**: each chunk written is one message. A write resolves once
 *   the socket's `bufferedAmount` is at most `maxBufferedBytes`, so a
 *   slow link slows the writer (workerd has no `bufferedAmount`: there
 *   the channel's credit window is the only bound).
 * - **Closing**: `readable` ends when the socket closes cleanly and errors
 *   when it closes abnormally (1006). A close with a code but no CLOSE
 *   frame before it reads as a CLOSE frame with that code (1009, message
 *   too big, as 4003). `close()` closes the socket with the code and
 *   reason of the last CLOSE frame written, when the WebSocket API allows
 *   that code (1000 and 3000-4999), else with none.
 *
 * @param socket The WebSocket; its `binaryType` is set to `"arraybuffer"`.
 * @param options The message size limit, the send buffer bound, a label, when it opened.
 * @returns A connection to run `channelWriter()` or `channelReader()` over.
 *
 * @example Read a channel in a Cloudflare worker (needs workerd)
 * ```ts ignore
 * import { collect, pipeline } from "@ca/streams";
 * import { channelReader, webSocketConnection } from "@ca/streams/channel";
 *
 * export default {
 *   fetch(request: Request, _env: unknown, ctx: { waitUntil(p: Promise<unknown>): void }) {
 *     const [client, server] = Object.values(new WebSocketPair());
 *     server.accept();
 *     const connection = webSocketConnection(server);
 *     const listener = { async *[Symbol.asyncIterator]() { yield connection; } };
 *     ctx.waitUntil(Promise.resolve(pipeline(channelReader(listener, { stream: "orders" }), collect())));
 *     return new Response(null, {
 *       status: 101,
 *       webSocket: client,
 *       headers: { "sec-websocket-protocol": "ca-streams.v1" },
 *     });
 *   },
 * };
 * ```
 *
 * @example Bytes over a pair of sockets
 * ```ts
 * import { encodeFrame } from "./encode_frame.ts";
 * import { webSocketConnection } from "@ca/streams/channel";
 *
 * // Any two connected WebSockets do; here a Deno server and a client.
 * const server = Deno.serve({ port: 0, onListen() {} }, (request) => {
 *   const { socket, response } = Deno.upgradeWebSocket(request);
 *   socket.onopen = async () => {
 *     const connection = webSocketConnection(socket);
 *     const writer = connection.writable.getWriter();
 *     await writer.write(encodeFrame({ type: "credit", credit: 8 }));
 *   };
 *   return response;
 * });
 * const client = webSocketConnection(
 *   new WebSocket(`ws://localhost:${server.addr.port}/`),
 * );
 * const { value } = await client.readable.getReader().read();
 * if (value?.length !== 9) throw new Error("expected one CREDIT frame");
 * client.close();
 * await server.shutdown();
 * ```
 */
export function webSocketConnection(
  socket: WebSocket,
  options: WebSocketConnectionOptions = {},
): ChannelConnection {
  if (
    socket === null || typeof socket !== "object" ||
    typeof socket.send !== "function"
  ) {
    throw new TypeError(
      `Cannot adapt WebSocket: expected a WebSocket, got ${
        socket === null ? "null" : typeof socket
      }`,
    );
  }
  const maxFrameBytes = maxFrameBytesOption(
    "adapt WebSocket",
    options.maxFrameBytes,
  );
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  if (!(Number.isFinite(maxBufferedBytes) && maxBufferedBytes >= 0)) {
    throw new RangeError(
      `Cannot adapt WebSocket: options.maxBufferedBytes must be a number of bytes, got ${maxBufferedBytes}`,
    );
  }
  const firstLimit = Math.min(
    maxFrameBytes,
    CHANNEL_PROTOCOL.handshakeMaxFrameBytes,
  );
  try {
    socket.binaryType = "arraybuffer";
  } catch {
    // Runtimes that always deliver ArrayBuffers may refuse the setter.
  }

  let controller!: ReadableStreamDefaultController<Uint8Array>;
  /** The readable was ended, errored or cancelled: deliver nothing more. */
  let finished = false;
  let receivedFrames = false;
  let receivedClose = false;
  let sentClose: { code: number; reason: string } | undefined;
  /** close() was called, or the socket closed. */
  let closed = false;
  /** What the last "error" event carried, for the close that follows. */
  let lastError: unknown;

  function fail(error: unknown): void {
    if (finished) return;
    finished = true;
    controller.error(error);
  }

  function end(): void {
    if (finished) return;
    finished = true;
    controller.close();
  }

  function onMessage(event: MessageEvent): void {
    if (finished) return;
    const data: unknown = event.data;
    let bytes: Uint8Array;
    if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) {
      bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    } else {
      const what = typeof data === "string" ? "a text message" : typeof data;
      return fail(
        new ChannelProtocolError(
          `Cannot read channel over WebSocket: expected a binary message, got ${what}`,
          {
            path: "message",
            expected: "a binary message",
            received: what,
          },
        ),
      );
    }
    if (bytes.length === 0) return;
    const limit = receivedFrames ? maxFrameBytes : firstLimit;
    if (bytes.length > limit) {
      return fail(
        new ChannelProtocolError(
          `Cannot read channel over WebSocket: a message of ${bytes.length} bytes is above the limit of ${limit}`,
          {
            closeCode: CLOSE_CODES.FrameTooLarge,
            path: "message",
            expected: `at most ${limit} bytes`,
            received: `${bytes.length} bytes`,
          },
        ),
      );
    }
    receivedFrames = true;
    const types = frameTypes(bytes);
    if (types === undefined) {
      return fail(
        new ChannelProtocolError(
          "Cannot read channel over WebSocket: a message ends inside a frame",
          {
            path: "message",
            expected: "whole frames",
            received: `${bytes.length} bytes`,
          },
        ),
      );
    }
    if (types.includes(FRAME_TYPE.close)) receivedClose = true;
    controller.enqueue(bytes);
  }

  function onClose(event: CloseEvent): void {
    const ours = closed;
    closed = true;
    if (finished) return;
    const { code, reason } = event;
    if (code === 1006 || code === 1015) {
      if (
        (lastError as { code?: unknown } | undefined)?.code ===
          WS_TOO_LONG
      ) {
        return fail(
          new ChannelProtocolError(
            `Cannot read channel over WebSocket: a message was above the limit of ${maxFrameBytes} bytes`,
            {
              closeCode: CLOSE_CODES.FrameTooLarge,
              path: "message",
              expected: `at most ${maxFrameBytes} bytes`,
              received: "more",
              cause: lastError,
            },
          ),
        );
      }
      return fail(
        new Error(
          `Cannot read channel over WebSocket: the connection closed abnormally (${code})`,
          lastError === undefined ? undefined : { cause: lastError },
        ),
      );
    }
    if (
      !ours && !receivedClose && code >= 1000 && code <= 4999 &&
      !RESERVED_CLOSE_CODES.has(code)
    ) {
      // The peer's close code without a CLOSE frame counts as that frame.
      try {
        controller.enqueue(encodeFrame({
          type: "close",
          code: code === MESSAGE_TOO_BIG ? CLOSE_CODES.FrameTooLarge : code,
          reason,
        }));
      } catch {
        // A reason no CLOSE frame can carry: end without one.
      }
    }
    end();
  }

  function close(): void {
    if (closed) return;
    closed = true;
    // Deno's server-side socket ignores close() while still connecting and
    // opens anyway (2.9): close it again once it opens.
    if (socket.readyState === 0) {
      socket.addEventListener("open", closeSocket, { once: true });
    }
    closeSocket();
  }

  function closeSocket(): void {
    try {
      if (sentClose && closeCodeAllowed(sentClose.code)) {
        socket.close(sentClose.code, sentClose.reason);
      } else {
        socket.close();
      }
    } catch {
      // Refused code or reason, or already closing: close plainly.
      try {
        socket.close();
      } catch {
        // Nothing more to do.
      }
    }
  }

  const readable = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      finished = true;
      close();
    },
  }, { highWaterMark: 0 });

  async function opened(): Promise<void> {
    if (socket.readyState !== 0) return;
    await new Promise<void>((resolve) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("close", () => resolve(), { once: true });
    });
  }

  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      await opened();
      if (socket.readyState !== 1) {
        throw new Error("Cannot send over WebSocket: it is closed");
      }
      noteClose(chunk);
      // Chunks are frames on plain ArrayBuffers (never shared memory).
      socket.send(chunk as Uint8Array<ArrayBuffer>);
      let wait = 1;
      while ((socket.bufferedAmount ?? 0) > maxBufferedBytes) {
        if (socket.readyState !== 1) {
          throw new Error(
            "Cannot send over WebSocket: it closed before the data was sent",
          );
        }
        await new Promise((resolve) => setTimeout(resolve, wait));
        wait = Math.min(wait * 2, MAX_POLL_MS);
      }
    },
    close() {
      close();
    },
    abort() {
      close();
    },
  });

  /** Remembers a CLOSE frame being sent, to close the socket with its code. */
  function noteClose(chunk: Uint8Array): void {
    if (chunk.length < 7 || chunk[4] !== FRAME_TYPE.close) return;
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const end = 4 + view.getUint32(0);
    if (end > chunk.length) return;
    sentClose = {
      code: view.getUint16(5),
      reason: new TextDecoder().decode(chunk.subarray(7, end)),
    };
  }

  socket.addEventListener("message", onMessage);
  socket.addEventListener("close", onClose);
  // An "error" event is always followed by "close", which reports it.
  socket.addEventListener("error", (event: Event) => {
    lastError = (event as ErrorEvent).error ?? lastError;
  });

  return {
    readable,
    writable,
    remote: options.remote ?? socket.url ?? "websocket",
    ...(options.openedAt === undefined ? {} : { openedAt: options.openedAt }),
    close,
  };
}

/** The codes `WebSocket.close()` accepts. */
function closeCodeAllowed(code: number): boolean {
  return code === 1000 || (code >= 3000 && code <= 4999);
}

/**
 * The frame types in a message that must hold whole frames, or `undefined`
 * when it ends inside one. A zero length stops the walk: the frame decoder
 * reports it, as it checks everything else.
 */
function frameTypes(bytes: Uint8Array): number[] | undefined {
  const types: number[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 5) return undefined;
    const length = bytes[at]! * 0x100_0000 + (bytes[at + 1]! << 16) +
      (bytes[at + 2]! << 8) + bytes[at + 3]!;
    if (length === 0) break;
    if (at + 4 + length > bytes.length) return undefined;
    types.push(bytes[at + 4]!);
    at += 4 + length;
  }
  return types;
}
