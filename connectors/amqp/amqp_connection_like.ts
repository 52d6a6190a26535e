// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * A connection of the `amqplib` package (what `connect()` resolves to,
 * with or without `{ recovery }`), as the AMQP connectors use it: they
 * open their own channels on it and never close it. Pass one made with
 * `connect(url, { recovery: true })` to have the connectors outlive a
 * dropped connection: amqplib reconnects it, and they reopen their
 * channels. A connection without recovery that closes fails them.
 *
 * @example Share one connection between a source and a sink
 * ```ts ignore
 * import { connect } from "amqplib";
 * import { amqpSink, amqpSource } from "@ca/streams/amqp";
 * import type { AmqpConnectionLike } from "@ca/streams/amqp";
 *
 * const connection: AmqpConnectionLike = await connect("amqp://127.0.0.1", {
 *   recovery: true,
 * });
 * const source = amqpSource({ connection, queue: "orders" });
 * const sink = amqpSink({ connection, exchange: "audit", routingKey: "orders" });
 * ```
 *
 * @example The shape, as a unit test fakes it
 * ```ts
 * import type { AmqpConnectionLike } from "@ca/streams/amqp";
 *
 * const fake: AmqpConnectionLike = {
 *   createChannel: () => Promise.reject(new Error("offline")),
 *   createConfirmChannel: () => Promise.reject(new Error("offline")),
 *   close: () => Promise.resolve(),
 * };
 * const failed = await fake.createChannel().then(() => false, () => true);
 * if (!failed) throw new Error("unexpected");
 * ```
 */
export interface AmqpConnectionLike {
  /** Opens a channel (`ChannelModel.createChannel`). */
  createChannel(): Promise<unknown>;
  /** Opens a channel in confirm mode (`ChannelModel.createConfirmChannel`). */
  createConfirmChannel(): Promise<unknown>;
  /** Closes the connection; the connectors call it only on one they opened. */
  close(): Promise<void>;
}
