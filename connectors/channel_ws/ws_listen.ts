// Copyright 2026 the @ca/streams authors. MIT license.

import type { ChannelListener } from "../../src/channel/channel_connection.ts";
import {
  checkAddress,
  checkListenLimits,
  loadWsRuntime,
} from "./ws_runtime.ts";
import type { WsAddress } from "./ws_runtime.ts";

export type { WsAddress } from "./ws_runtime.ts";

/**
 * Options for {@linkcode wsListen}.
 *
 * @example A reader that accepts messages up to 1 MiB, and HELLO within 5 s
 * ```ts
 * import { collect, pipeline } from "@ca/streams";
 * import { channelReader, channelWriter } from "@ca/streams/channel";
 * import { wsConnect, wsListen } from "@ca/streams/channel-ws";
 * import type { WsListenOptions } from "@ca/streams/channel-ws";
 *
 * const options: WsListenOptions = {
 *   maxFrameBytes: 1 << 20,
 *   maxBufferedBytes: 1 << 18,
 *   handshakeTimeoutMs: 5000,
 * };
 * const listener = await wsListen({ port: 0 }, options);
 * const received = collect<string>();
 * const { maxFrameBytes, handshakeTimeoutMs } = options;
 * const reading = pipeline(
 *   channelReader<string>(listener, { stream: "s", maxFrameBytes, handshakeTimeoutMs }),
 *   received,
 * );
 * const connect = () => wsConnect(`ws://127.0.0.1:${listener.port}/`);
 * await pipeline(["x".repeat(1000)], channelWriter(connect, { stream: "s" }));
 * await reading;
 * if (received.records[0]?.length !== 1000) throw new Error("unexpected");
 * ```
 */
export interface WsListenOptions {
  /**
   * The largest message accepted, in bytes (default 16 MiB): give the
   * channel reader's `maxFrameBytes`. On Node it is also the `ws` server's
   * `maxPayload`, so a larger message is refused before it is buffered
   * (closed with 1009); `Deno.upgradeWebSocket` has no such option, so on
   * Deno a larger message is refused once it has arrived (CLOSE 4003).
   */
  maxFrameBytes?: number;
  /** Send buffer bound of each connection, in bytes (default 1 MiB). */
  maxBufferedBytes?: number;
  /**
   * How long a connection may take from its TCP connection to the end of
   * its HTTP upgrade request, in ms (default 10000, as the channel
   * reader's): a slower one is answered 408 and closed. Give the reader's
   * `handshakeTimeoutMs`: the reader counts its own from the same TCP
   * connection, so HELLO too must arrive within it.
   */
  handshakeTimeoutMs?: number;
}

/**
 * Listens for WebSocket connections (the reader side of a channel): an HTTP
 * server that upgrades requests for `path` offering the subprotocol
 * `ca-streams.v1`. Iterate it to accept connections; `port` tells the port
 * when 0 was asked for.
 *
 * - A request for another path gets 404, a request that is no WebSocket
 *   upgrade 426, a malformed upgrade 400, and a request that is not
 *   complete within `handshakeTimeoutMs` of the TCP connection 408.
 * - An upgrade that does not offer `ca-streams.v1` is accepted and closed
 *   at once with code 4002 ("supported versions: 1"), as the protocol says,
 *   so the client learns why.
 *
 * Both runtimes serve HTTP with `node:http`, whose request timeouts bound
 * the upgrade (`Deno.serve` has none); Deno upgrades with
 * `Deno.upgradeWebSocket`, Node with the `ws` package (an optional peer
 * dependency: install it to listen on Node). In a worker, accept a
 * `WebSocketPair` and pass it to `webSocketConnection()` instead.
 *
 * @param address `hostname` (default `"127.0.0.1"`), `port` (0: any free) and `path` (default `"/"`).
 * @param options `maxFrameBytes`, `maxBufferedBytes` and `handshakeTimeoutMs`.
 * @returns A listener of connections for `channelReader()`.
 *
 * @example Listen on a free port
 * ```ts
 * import { wsListen } from "@ca/streams/channel-ws";
 *
 * const listener = await wsListen({ port: 0, path: "/orders" });
 * if (!(listener.port > 0)) throw new Error("no port");
 * const response = await fetch(`http://127.0.0.1:${listener.port}/orders`);
 * await response.body?.cancel();
 * if (response.status !== 426) throw new Error(`got ${response.status}`);
 * await listener.close();
 * ```
 */
export async function wsListen(
  address: WsAddress,
  options: WsListenOptions = {},
): Promise<ChannelListener> {
  const checked = checkAddress(address);
  const limits = checkListenLimits("listen for WebSockets", options ?? {});
  return await (await loadWsRuntime()).listen(checked, limits);
}
