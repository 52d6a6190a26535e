// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * NATS connectors, on the official nats.js v3 clients
 * (`@nats-io/transport-node` and `@nats-io/jetstream`, optional peer
 * dependencies loaded on first use):
 *
 * - {@linkcode jetStreamSource}: a durable pull consumer, acknowledged only
 *   once the sink stored (at least once, the position kept by the server);
 * - {@linkcode jetStreamSink}: publishes and waits for each PubAck, with
 *   `Nats-Msg-Id` from the key for the stream's deduplication;
 * - {@linkcode natsSource} and {@linkcode natsSink}: plain core NATS
 *   subjects, at most once;
 * - {@linkcode natsKvStore}: checkpoints in a NATS KV bucket, fenced by
 *   compare-and-set;
 * - {@linkcode jetStreamDefinitionStore}: a connector host's definitions in
 *   a JetStream stream, and {@linkcode natsLeaseEngine}: leases in a KV
 *   bucket (a cluster of hosts on NATS alone).
 *
 * ```ts ignore
 * import { map, pipeline } from "@ca/streams";
 * import { jetStreamSink, jetStreamSource } from "@ca/streams/nats";
 * import type { Message } from "@ca/streams/messages";
 *
 * type Order = { id: string; total: number };
 * // Orders from one stream, acknowledged once republished to another.
 * await pipeline(
 *   jetStreamSource<Order>({ stream: "ORDERS", consumer: "to-billing" }),
 *   map((message: Message<Order>) => message.value),
 *   jetStreamSink<Order>({ subject: "billing.orders", key: "/id" }),
 * );
 * ```
 *
 * @module
 */

export * from "./jetstream_source.ts";
export * from "./jetstream_sink.ts";
export * from "./nats_source.ts";
export * from "./nats_sink.ts";
export * from "./nats_connection_options.ts";
export * from "./nats_connection_like.ts";
export * from "./nats_connect_options.ts";
export * from "./nats_connect_error.ts";
export * from "./nats_kv_store.ts";
export * from "./jetstream_definition_store.ts";
export * from "./nats_lease_engine.ts";
export * from "./nats_lease_engine_error.ts";
