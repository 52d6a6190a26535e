// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Channels: a pipeline split across processes, runtimes or machines, with
 * credit-based flow control and end-to-end acknowledgement
 * (`docs/protocol.md`). {@linkcode channelWriter} is a sink that sends
 * batches; {@linkcode channelReader} is a source that receives them and
 * acknowledges each batch once the pipeline behind it stored it. Both work
 * on any {@linkcode ChannelConnection} (a pair of byte streams): TCP from
 * `@ca/streams/channel-tcp`, WebSocket from `@ca/streams/channel-ws`, or a
 * `WebSocket` you already have through {@linkcode webSocketConnection}.
 *
 * ```ts
 * import { collect, pipeline } from "@ca/streams";
 * import { channelReader, channelWriter } from "@ca/streams/channel";
 * import type { ChannelConnection, ChannelListener } from "@ca/streams/channel";
 *
 * // An in-memory pair of connections, as a transport would give them.
 * const aToB = new TransformStream<Uint8Array, Uint8Array>();
 * const bToA = new TransformStream<Uint8Array, Uint8Array>();
 * const writerSide: ChannelConnection = {
 *   readable: bToA.readable, writable: aToB.writable, remote: "b", close() {},
 * };
 * const readerSide: ChannelConnection = {
 *   readable: aToB.readable, writable: bToA.writable, remote: "a", close() {},
 * };
 * const listener: ChannelListener = {
 *   port: 0,
 *   async close() {},
 *   async *[Symbol.asyncIterator]() { yield readerSide; },
 * };
 *
 * const received = collect<number>();
 * const reading = pipeline(channelReader<number>(listener, { stream: "n" }), received);
 * await pipeline([1, 2, 3], channelWriter(async () => writerSide, { stream: "n" }));
 * await reading;
 * if (received.records.join() !== "1,2,3") throw new Error("lost records");
 * ```
 *
 * @module
 */

export * from "./channel_writer.ts";
export * from "./channel_reader.ts";
export * from "./channel_connection.ts";
export * from "./websocket_connection.ts";
export * from "./channel_protocol.ts";
export * from "./close_codes.ts";
export * from "./channel_protocol_error.ts";
export * from "./channel_auth_error.ts";
