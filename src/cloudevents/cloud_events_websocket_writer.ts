// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { batchSink } from "../sinks/batch_sink.ts";
import type { BatchSink } from "../sinks/batch_sink.ts";
import type { CloudEvent } from "./cloud_event.ts";
import { CloudEventsWebSocketError } from "./cloud_events_websocket_error.ts";
import { closeWebSocket } from "./close_websocket.ts";
import {
  CLOUDEVENTS_JSON_SUBPROTOCOL,
  encodeWebSocketMessage,
} from "./websocket_message.ts";

/**
 * Opens the WebSocket for {@linkcode cloudEventsWebSocketWriter}: called once,
 * on the first write, with a signal aborted when the writer is.
 *
 * @example Open the socket yourself, on the first write
 * ```ts
 * import { pipeline } from "@ca/streams";
 * import {
 *   CLOUDEVENTS_JSON_SUBPROTOCOL,
 *   type CloudEventsWebSocketConnect,
 *   cloudEventsWebSocketWriter,
 * } from "@ca/streams/cloudevents";
 *
 * const protocol = CLOUDEVENTS_JSON_SUBPROTOCOL;
 * const { promise: firstId, resolve } = Promise.withResolvers<string>();
 * const server = Deno.serve({ port: 0, onListen() {} }, (request) => {
 *   const { socket, response } = Deno.upgradeWebSocket(request, { protocol });
 *   socket.onmessage = (message) => resolve(JSON.parse(message.data).id);
 *   return response;
 * });
 * const connect: CloudEventsWebSocketConnect = () =>
 *   new WebSocket(`ws://localhost:${server.addr.port}/`, protocol);
 * const event = { specversion: "1.0" as const, id: "1", source: "/s", type: "t" };
 * await pipeline([event], cloudEventsWebSocketWriter(connect));
 * if ((await firstId) !== "1") throw new Error("unexpected");
 * await server.shutdown();
 * ```
 */
export type CloudEventsWebSocketConnect = (
  signal: AbortSignal,
) => WebSocket | Promise<WebSocket>;

/**
 * Options for {@linkcode cloudEventsWebSocketWriter}.
 *
 * @example Bound the send buffer, and give up when aborted
 * ```ts
 * import { pipeline } from "@ca/streams";
 * import { cloudEventsWebSocketWriter } from "@ca/streams/cloudevents";
 * import type { CloudEventsWebSocketWriterOptions } from "@ca/streams/cloudevents";
 *
 * const { promise: firstId, resolve } = Promise.withResolvers<string>();
 * const server = Deno.serve({ port: 0, onListen() {} }, (request) => {
 *   const protocol = "cloudevents.json";
 *   const { socket, response } = Deno.upgradeWebSocket(request, { protocol });
 *   socket.onmessage = (message) => resolve(JSON.parse(message.data).id);
 *   return response;
 * });
 * const controller = new AbortController();
 * const options: CloudEventsWebSocketWriterOptions = {
 *   maxBufferedBytes: 65536,
 *   signal: controller.signal,
 * };
 * const url = `ws://localhost:${server.addr.port}/`;
 * const event = { specversion: "1.0" as const, id: "1", source: "/s", type: "t" };
 * await pipeline([event], cloudEventsWebSocketWriter(url, options));
 * if ((await firstId) !== "1") throw new Error("unexpected");
 * await server.shutdown();
 * ```
 */
export interface CloudEventsWebSocketWriterOptions {
  /**
   * How many bytes may wait in the socket's send buffer (`bufferedAmount`)
   * before a write waits for it to drain (default 1 MiB). workerd has no
   * `bufferedAmount`; there writes never wait.
   */
  maxBufferedBytes?: number;
  /** Aborting it closes the socket and fails the sink. */
  signal?: AbortSignal;
}

/** How often a write looks again at a full send buffer, at most, in ms. */
const MAX_POLL_MS = 16;

/**
 * Creates a sink that sends CloudEvents over one WebSocket, following the
 * CloudEvents WebSocket binding: each event is one text message in the JSON
 * event format (`encodeWebSocketMessage()`), subprotocol `cloudevents.json`.
 *
 * - **The socket**: pass an open (or opening) `WebSocket` (a workerd
 *   `WebSocketPair` end after `accept()`, the server end from Deno's
 *   `upgradeWebSocket()`, a `ws` socket), a URL (`ws:` or `wss:`, opened
 *   with the global `WebSocket` on the first write, offering
 *   `cloudevents.json` and failing when the server does not choose it), or
 *   a function that opens one, called once on the first write. The sink
 *   owns the socket: it closes it (1000) once the input ended and the send
 *   buffer drained, or (1011, else 4011) when aborted.
 * - **Stored** means sent: a write resolves once the socket's
 *   `bufferedAmount` is at most `maxBufferedBytes`, so a slow link slows
 *   the pipeline down. The binding has no acknowledgement;
 *   `cloudEventsWebSocketReader()` answers one per stored event, which a
 *   program may read from the socket itself.
 * - **Failures**: every event is checked before its batch is sent; an
 *   invalid one fails the write with a `CloudEventError` naming the
 *   attribute (with a pipeline's `deadLetter`, only that event becomes a
 *   dead letter). A socket that closes before or while sending fails the
 *   sink with a {@linkcode CloudEventsWebSocketError}; events of that
 *   batch may have been sent.
 *
 * @typeParam T The type of the events' `data`.
 * @param target The socket, its URL, or a function that opens it.
 * @param options `maxBufferedBytes` and `signal`.
 * @returns A batch sink for `pipeline()`.
 *
 * @example Send events to a Deno WebSocket server
 * ```ts
 * import { pipeline } from "@ca/streams";
 * import {
 *   type CloudEvent,
 *   cloudEventsWebSocketWriter,
 *   decodeWebSocketMessage,
 * } from "@ca/streams/cloudevents";
 *
 * const received: string[] = [];
 * let closed!: () => void;
 * const done = new Promise<void>((resolve) => closed = resolve);
 * const server = Deno.serve({ port: 0, onListen() {} }, (request) => {
 *   const { socket, response } = Deno.upgradeWebSocket(request, {
 *     protocol: "cloudevents.json",
 *   });
 *   socket.onmessage = (message) => received.push(decodeWebSocketMessage(message.data).id);
 *   socket.onclose = () => closed();
 *   return response;
 * });
 * const events: CloudEvent[] = ["a", "b"].map((id) => ({
 *   specversion: "1.0",
 *   id,
 *   source: "/letters",
 *   type: "com.example.letter",
 * }));
 * await pipeline(events, cloudEventsWebSocketWriter(`ws://localhost:${server.addr.port}/`));
 * await done;
 * if (received.join() !== "a,b") throw new Error(`unexpected ${received}`);
 * await server.shutdown();
 * ```
 */
export function cloudEventsWebSocketWriter<T = unknown>(
  target: WebSocket | string | URL | CloudEventsWebSocketConnect,
  options: CloudEventsWebSocketWriterOptions = {},
): BatchSink<CloudEvent<T>> {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `Cannot create cloudEventsWebSocketWriter(): options must be an object, got ${
        options === null ? "null" : typeof options
      }`,
    );
  }
  let connect: CloudEventsWebSocketConnect;
  let url: string | undefined;
  if (typeof target === "string" || target instanceof URL) {
    url = String(target);
    let protocol = "";
    try {
      protocol = new URL(url).protocol;
    } catch {
      // Reported below.
    }
    if (protocol !== "ws:" && protocol !== "wss:") {
      throw new TypeError(
        `Cannot create cloudEventsWebSocketWriter(): the URL must be an absolute ws: or wss: URL, got ${
          JSON.stringify(url)
        }`,
      );
    }
    const at = url;
    connect = () => new WebSocket(at, CLOUDEVENTS_JSON_SUBPROTOCOL);
  } else if (typeof target === "function") {
    connect = target;
  } else if (
    target !== null && typeof target === "object" &&
    typeof target.send === "function"
  ) {
    const socket = target;
    connect = () => socket;
  } else {
    throw new TypeError(
      `Cannot create cloudEventsWebSocketWriter(): target must be a WebSocket, a URL or a function that opens one, got ${
        target === null ? "null" : typeof target
      }`,
    );
  }
  const maxBufferedBytes = options.maxBufferedBytes ?? 1 << 20;
  if (!(Number.isFinite(maxBufferedBytes) && maxBufferedBytes >= 0)) {
    throw new RangeError(
      `Cannot create cloudEventsWebSocketWriter(): options.maxBufferedBytes must be a number of bytes, got ${maxBufferedBytes}`,
    );
  }
  const abort = new AbortController();
  const signal = options.signal;
  if (signal !== undefined) {
    const onAbort = () => {
      abort.abort(signal.reason);
      if (socket !== undefined) {
        closeWebSocket(socket, 1011, "the writer was aborted");
      }
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  }

  let socket: WebSocket | undefined;
  let opening: Promise<WebSocket> | undefined;
  /** How the socket closed, once it did. */
  let closedWith: { code: number; reason: string } | undefined;
  let lastError: unknown;
  /** An "error" event came. */
  let errored = false;

  function closedError(doing: string): CloudEventsWebSocketError {
    const how = closedWith === undefined
      ? (errored ? "it failed" : "it is closed")
      : `it closed with code ${closedWith.code}${
        closedWith.reason ? ` (${closedWith.reason})` : ""
      }`;
    return new CloudEventsWebSocketError(
      `Cannot send CloudEvents over WebSocket${
        url ? ` to ${url}` : ""
      }: ${how}${doing}`,
      closedWith?.code,
      lastError === undefined ? {} : { cause: lastError },
    );
  }

  async function open(): Promise<WebSocket> {
    const opened = await connect(abort.signal);
    if (
      opened === null || typeof opened !== "object" ||
      typeof opened.send !== "function"
    ) {
      throw new TypeError(
        `Cannot send CloudEvents over WebSocket: the connect function must return a WebSocket, got ${
          opened === null ? "null" : typeof opened
        }`,
      );
    }
    socket = opened;
    opened.addEventListener("close", (event: CloseEvent) => {
      closedWith = { code: event.code, reason: event.reason };
    });
    opened.addEventListener("error", (event: Event) => {
      errored = true;
      lastError = (event as ErrorEvent).error ?? lastError;
    });
    if (abort.signal.aborted) {
      closeWebSocket(opened, 1011, "the writer was aborted");
      throw abort.signal.reason;
    }
    if (opened.readyState === 0) {
      await new Promise<void>((resolve) => {
        opened.addEventListener("open", () => resolve(), { once: true });
        opened.addEventListener("close", () => resolve(), { once: true });
        // Node 22's WebSocket reports a failed handshake with "error" alone.
        opened.addEventListener("error", () => resolve(), { once: true });
      });
    }
    if (opened.readyState !== 1) {
      if (opened.readyState === 0) closeWebSocket(opened, 1000, "");
      throw closedError(
        url === undefined
          ? " before it opened"
          : ` before it opened (is the server up, and does it choose the subprotocol "${CLOUDEVENTS_JSON_SUBPROTOCOL}"?)`,
      );
    }
    if (url !== undefined && opened.protocol !== CLOUDEVENTS_JSON_SUBPROTOCOL) {
      closeWebSocket(opened, 1000, "");
      throw new CloudEventsWebSocketError(
        `Cannot send CloudEvents over WebSocket to ${url}: the server did not accept the subprotocol "${CLOUDEVENTS_JSON_SUBPROTOCOL}" (it chose ${
          JSON.stringify(opened.protocol)
        })`,
      );
    }
    return opened;
  }

  /** Waits until at most `limit` bytes wait to be sent. */
  async function drain(ws: WebSocket, limit: number): Promise<void> {
    let wait = 1;
    while ((ws.bufferedAmount ?? 0) > limit) {
      abort.signal.throwIfAborted();
      if (ws.readyState !== 1) {
        throw closedError(" before the events were sent");
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, MAX_POLL_MS);
    }
  }

  return batchSink<CloudEvent<T>>({
    async write(records: CloudEvent<T>[]) {
      abort.signal.throwIfAborted();
      // Checked before anything of the batch is sent.
      const messages = records.map((event) => encodeWebSocketMessage(event));
      opening ??= open();
      const ws = await opening;
      for (const message of messages) {
        abort.signal.throwIfAborted();
        if (ws.readyState !== 1) throw closedError("");
        ws.send(message);
        if ((ws.bufferedAmount ?? 0) > maxBufferedBytes) {
          await drain(ws, maxBufferedBytes);
        }
      }
    },
    async close() {
      if (opening === undefined) {
        // Nothing was written; a socket passed in is still closed.
        if (typeof target === "object" && !(target instanceof URL)) {
          closeWebSocket(target, 1000, "");
        }
        return;
      }
      const ws = await opening;
      // Sent once the buffer is empty, even if the peer closed since.
      await drain(ws, 0);
      closeWebSocket(ws, 1000, "");
    },
    abort() {
      abort.abort();
      if (socket !== undefined) {
        closeWebSocket(socket, 1011, "the writer was aborted");
      }
    },
  });
}
