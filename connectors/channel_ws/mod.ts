// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * WebSocket connections for channels, on Deno and Node: a reader listens
 * (`wsListen`), writers dial (`wsConnect`), with the subprotocol
 * `ca-streams.v1`; every message is binary and holds whole frames. Each
 * side gets a {@linkcode ChannelConnection}, which the channel protocol
 * runs over. On Node, listening needs the `ws` package (an optional peer
 * dependency); dialling uses the global `WebSocket` everywhere.
 *
 * ```ts
 * import { collect, pipeline } from "@ca/streams";
 * import { channelReader, channelWriter } from "@ca/streams/channel";
 * import { wsConnect, wsListen } from "@ca/streams/channel-ws";
 *
 * const listener = await wsListen({ port: 0, path: "/numbers" });
 * const url = `ws://127.0.0.1:${listener.port}/numbers`;
 * const received = collect<number>();
 * const reading = pipeline(channelReader(listener, { stream: "n" }), received);
 * await pipeline([1, 2, 3], channelWriter<number>(() => wsConnect(url), { stream: "n" }));
 * await reading;
 * if (received.records.join() !== "1,2,3") throw new Error("unexpected");
 * ```
 *
 * @module
 */

export * from "./ws_listen.ts";
export * from "./ws_connect.ts";
export type {
  ChannelConnection,
  ChannelListener,
} from "../../src/channel/channel_connection.ts";
