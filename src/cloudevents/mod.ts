// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * CloudEvents 1.0 on web `Request` and `Response`, for Deno, Node and edge
 * workers (no `cloudevents` SDK, no Node APIs): the event record and its
 * validation, the HTTP binding in binary, structured and batched mode, a
 * reader that is both a fetch handler and a pipeline source (answering
 * 2xx only once the events are stored), a writer sink that POSTs with
 * retries, and the WebSocket binding (`cloudevents.json`): its messages, and
 * a reader and a writer over one `WebSocket`.
 *
 * ```ts
 * import { collect, memoryStore, pipeline } from "@ca/streams";
 * import {
 *   type CloudEvent,
 *   cloudEventsReader,
 *   cloudEventsWriter,
 * } from "@ca/streams/cloudevents";
 *
 * type Order = { total: number };
 * // Receiving side: serve `reader.fetch` (Deno's serve, a worker) in a real program.
 * const reader = cloudEventsReader<Order>();
 * const received = collect<CloudEvent<Order>>();
 * const receiving = pipeline(reader, received, {
 *   id: "orders-in",
 *   checkpoint: { store: memoryStore() },
 * });
 * // Sending side: each POST is answered once the receiver stored the event.
 * const events: CloudEvent<Order>[] = [5, 7].map((total, i) => ({
 *   specversion: "1.0",
 *   id: String(i),
 *   source: "/shop",
 *   type: "com.example.order.paid",
 *   data: { total },
 * }));
 * const writer = cloudEventsWriter<Order>("http://localhost/orders", {
 *   fetch: reader.fetch,
 * });
 * await pipeline(events, writer);
 * reader.close();
 * await receiving;
 * const totals = received.records.map((event) => event.data?.total);
 * if (totals.join() !== "5,7") throw new Error(`unexpected ${totals}`);
 * ```
 *
 * @module
 */

export * from "./cloud_event.ts";
export * from "./cloud_event_error.ts";
export * from "./validate_cloud_event.ts";
export * from "./parse_cloud_event.ts";
export * from "./http_message.ts";
export * from "./encode_http.ts";
export * from "./encode_http_binary.ts";
export * from "./encode_http_structured.ts";
export * from "./encode_http_batch.ts";
export * from "./decode_http_message.ts";
export * from "./decode_http.ts";
export * from "./cloud_events_reader.ts";
export * from "./cloud_events_writer.ts";
export * from "./cloud_events_delivery_error.ts";
export * from "./websocket_message.ts";
export * from "./decode_websocket_message.ts";
export * from "./select_websocket_subprotocol.ts";
export * from "./cloud_events_websocket_reader.ts";
export * from "./cloud_events_websocket_writer.ts";
export * from "./cloud_events_websocket_error.ts";
