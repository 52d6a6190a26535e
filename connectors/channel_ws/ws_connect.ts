// Copyright 2026 the @ca/streams authors. MIT license.

import { CHANNEL_PROTOCOL } from "../../src/channel/channel_protocol.ts";
import { ChannelProtocolError } from "../../src/channel/channel_protocol_error.ts";
import { CLOSE_CODES } from "../../src/channel/close_codes.ts";
import type { ChannelConnection } from "../../src/channel/channel_connection.ts";
import { webSocketConnection } from "../../src/channel/websocket_connection.ts";
import { checkLimits } from "./ws_runtime.ts";

/**
 * Options for {@linkcode wsConnect}.
 *
 * @example Open the socket yourself, and see the subprotocol offered
 * ```ts
 * import { wsConnect, wsListen } from "@ca/streams/channel-ws";
 * import type { WsConnectOptions } from "@ca/streams/channel-ws";
 *
 * const offered: string[] = [];
 * const options: WsConnectOptions = {
 *   maxFrameBytes: 1 << 20,
 *   createWebSocket(url, protocols) {
 *     offered.push(...protocols);
 *     return new WebSocket(url, protocols);
 *   },
 * };
 * const listener = await wsListen({ port: 0 });
 * const connection = await wsConnect(`ws://127.0.0.1:${listener.port}/`, options);
 * connection.close();
 * await listener.close();
 * if (offered.join() !== "ca-streams.v1") throw new Error(`unexpected ${offered}`);
 * ```
 */
export interface WsConnectOptions {
  /** Gives up connecting. */
  signal?: AbortSignal;
  /** The largest message accepted, in bytes (default 16 MiB). */
  maxFrameBytes?: number;
  /** How many bytes may wait to be sent before a write waits (default 1 MiB). */
  maxBufferedBytes?: number;
  /**
   * Opens the socket (default `new WebSocket(url, protocols)`): pass
   * another client, or a stand-in in tests.
   */
  createWebSocket?: (url: string, protocols: string[]) => WebSocket;
}

/**
 * Dials a WebSocket channel listener (the writer side of a channel),
 * offering the subprotocol `ca-streams.v1`, with the runtime's global
 * `WebSocket` (Deno, Node 22+, browsers).
 *
 * @param url The listener's `ws:` or `wss:` URL, path included.
 * @param options `signal` to give up, and the limits.
 * @returns The open {@linkcode ChannelConnection}.
 * @throws {ChannelProtocolError} With close code 4002 when the server
 *   accepted the socket without selecting `ca-streams.v1`.
 *
 * @example Dial and hang up
 * ```ts
 * import { wsConnect, wsListen } from "@ca/streams/channel-ws";
 *
 * const listener = await wsListen({ port: 0, path: "/orders" });
 * const connection = await wsConnect(`ws://127.0.0.1:${listener.port}/orders`);
 * connection.close();
 * await listener.close();
 * ```
 */
export async function wsConnect(
  url: string | URL,
  options: WsConnectOptions = {},
): Promise<ChannelConnection> {
  const what = "connect over WebSocket";
  let target: URL;
  try {
    target = new URL(url);
  } catch (error) {
    throw new TypeError(
      `Cannot ${what}: url must be a ws: or wss: URL, got ${
        JSON.stringify(String(url))
      }`,
      { cause: error },
    );
  }
  if (target.protocol !== "ws:" && target.protocol !== "wss:") {
    throw new TypeError(
      `Cannot ${what}: url must be a ws: or wss: URL, got ${
        JSON.stringify(target.protocol)
      }`,
    );
  }
  const limits = checkLimits(what, options);
  const signal = options.signal;
  signal?.throwIfAborted();
  const create = options.createWebSocket ??
    ((href: string, protocols: string[]) => new WebSocket(href, protocols));
  const socket = create(target.href, [CHANNEL_PROTOCOL.subprotocol]);
  socket.binaryType = "arraybuffer";
  // Made at once, so no message that arrives right after opening is missed.
  const connection = webSocketConnection(socket, {
    maxFrameBytes: limits.maxFrameBytes,
    maxBufferedBytes: limits.maxBufferedBytes,
    remote: target.host,
  });
  await new Promise<void>((resolve, reject) => {
    const settle = (error?: unknown) => {
      socket.removeEventListener("open", onOpen);
      socket.removeEventListener("close", onClose);
      socket.removeEventListener("error", onError);
      signal?.removeEventListener("abort", onAbort);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onOpen = () => settle();
    const onClose = (event: CloseEvent) =>
      settle(
        new Error(
          `Cannot ${what} to ${target.href}: ${
            event.code === 1006
              ? "the connection failed or the upgrade was refused"
              : `closed with ${event.code} ${event.reason}`.trimEnd()
          }`,
        ),
      );
    // Node 22's WebSocket reports a refused upgrade with "error" alone.
    const onError = () => {
      connection.close();
      settle(
        new Error(
          `Cannot ${what} to ${target.href}: the connection failed or the upgrade was refused`,
        ),
      );
    };
    const onAbort = () => {
      connection.close();
      settle(signal!.reason);
    };
    socket.addEventListener("open", onOpen);
    socket.addEventListener("close", onClose);
    socket.addEventListener("error", onError);
    signal?.addEventListener("abort", onAbort);
  });
  if (socket.protocol !== CHANNEL_PROTOCOL.subprotocol) {
    connection.close();
    throw new ChannelProtocolError(
      `Cannot ${what} to ${target.href}: the server did not select the subprotocol ${CHANNEL_PROTOCOL.subprotocol}`,
      {
        closeCode: CLOSE_CODES.UnsupportedVersion,
        path: "Sec-WebSocket-Protocol",
        expected: CHANNEL_PROTOCOL.subprotocol,
        received: socket.protocol === "" ? "none" : socket.protocol,
      },
    );
  }
  return connection;
}
