// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * Everything Redis, on the official `redis` client (node-redis 5 or 6, an
 * optional peer dependency): a Redis Streams source and sink, and a
 * checkpoint store. Pass in a connected client, or a `redis://` URL for
 * connections the connector owns.
 *
 * - {@linkcode redisStreamSource} reads a stream through a consumer group
 *   and acknowledges entries (XACK) only once the pipeline stored them;
 *   the group keeps the position, so no checkpoint store is needed.
 * - {@linkcode redisStreamSink} appends records with pipelined XADDs.
 * - {@linkcode redisStore} keeps checkpoints, each change one atomic Lua
 *   script, so fencing holds across processes.
 *
 * `@ca/streams/redis` is the folder of everything Redis; the 0.1
 * subpath `@ca/streams/redis-store` stays an alias of it until 1.0.
 *
 * ```ts ignore
 * import { map, pipeline } from "@ca/streams";
 * import type { Message } from "@ca/streams/messages";
 * import { redisStreamSink, redisStreamSource } from "@ca/streams/redis";
 *
 * type Order = { id: string; total: number };
 * const running = pipeline(
 *   redisStreamSource<Order>({ url: "redis://127.0.0.1:6379", stream: "orders", group: "tax" }),
 *   map((message: Message<Order>) => ({ ...message.value, tax: message.value.total * 0.2 })),
 *   redisStreamSink({ url: "redis://127.0.0.1:6379", stream: "taxed-orders", key: "/id" }),
 *   { id: "tax" },
 * );
 * setTimeout(() => running.stop(), 10_000); // a source of a group runs until stopped
 * await running;
 * ```
 *
 * @module
 */

export * from "./redis_stream_source.ts";
export * from "./redis_stream_sink.ts";
export * from "./reset_redis_stream_group.ts";
export * from "./redis_stream_connection.ts";
export * from "./redis_stream_client.ts";
export * from "./redis_stream_error.ts";
export * from "./redis_store.ts";
