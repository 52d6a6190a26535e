// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * RabbitMQ (AMQP 0-9-1) on the official `amqplib` client (2.2 or later, an
 * optional peer dependency, loaded on first use): {@linkcode amqpSource}
 * consumes a queue and acknowledges a batch only once the pipeline stored
 * it; {@linkcode amqpSink} publishes with publisher confirms. Both
 * reconnect with backoff when the connection drops.
 *
 * ```ts ignore
 * import { pipeline } from "@ca/streams";
 * import { amqpSink, amqpSource } from "@ca/streams/amqp";
 *
 * const url = "amqp://guest:guest@127.0.0.1:5672";
 * await pipeline(
 *   amqpSource({ url, queue: "orders" }),
 *   amqpSink({ url, exchange: "audit", routingKey: "orders", value: "/value", key: "/id" }),
 *   { id: "orders-to-audit" },
 * );
 * ```
 *
 * @module
 */

export * from "./amqp_source.ts";
export * from "./amqp_sink.ts";
export * from "./amqp_connection_like.ts";
export * from "./amqp_error.ts";
export * from "./amqp_definitions.ts";
