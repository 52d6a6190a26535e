// Copyright 2026 the @ca/streams authors. MIT license.

import {
  type EncodedMessage,
  messageEncoder,
  type MessageEncoding,
} from "../../src/messages/message_encoder.ts";
import type { ConnectionHealth } from "../../src/health/connection_health.ts";
import { type BatchSink, batchSink } from "../../src/sinks/batch_sink.ts";
import type { RetryPolicy } from "../../src/failures/retry_policy.ts";
import type { AmqpConnectionLike } from "./amqp_connection_like.ts";
import { AmqpError } from "./amqp_error.ts";
import {
  type AmqpConfirmChannel,
  type AmqpLink,
  type AmqpProperties,
  backoff,
  checkLinkOptions,
  isChannelRefusal,
  openLink,
  pause,
} from "./amqp_link.ts";
import { orAbort } from "../../src/util/or_abort.ts";

/**
 * Options for {@linkcode amqpSink}: where the broker is, where messages
 * go (`exchange`, and the routing key: fixed, or the record's `topic`),
 * and how a record becomes a message (`value`, `key`, `headers`,
 * `format`).
 *
 * @example Publish orders to a topic exchange, routed by their region
 * ```ts
 * import { amqpSink } from "@ca/streams/amqp";
 * import type { AmqpSinkOptions } from "@ca/streams/amqp";
 *
 * type Order = { id: string; region: string; total: number };
 * const options: AmqpSinkOptions<Order> = {
 *   url: "amqp://guest:guest@127.0.0.1:5672",
 *   exchange: "orders",
 *   topic: (order) => `orders.${order.region}`,
 *   key: "/id", // the AMQP messageId, for consumers that deduplicate
 * };
 * const sink = amqpSink(options); // connects on the first write
 * if (!(sink instanceof WritableStream)) throw new Error("unexpected");
 * ```
 */
export interface AmqpSinkOptions<T> extends MessageEncoding<T> {
  /** An `amqp://` or `amqps://` URL: the sink opens, reconnects and closes its own connection. Give this or `connection`. */
  url?: string | URL;
  /** An amqplib connection to open the sink's confirm channel on, never closed by the sink. Give this or `url`. */
  connection?: AmqpConnectionLike;
  /** amqplib's socket options for the connection made from `url` (TLS, `credentials`...). */
  clientOptions?: Record<string, unknown>;
  /** Waits between reconnect attempts: doubles from `initialDelayMs` (100) up to `maxDelayMs` (5000). */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** The exchange to publish to (default `""`, the default exchange: the routing key names a queue). */
  exchange?: string;
  /**
   * The routing key of every message (with the default exchange, the
   * queue's name), unless `topic` gives one for the record. One of the
   * two is needed.
   */
  routingKey?: string;
  /** Messages survive a broker restart in a durable queue (default `true`: delivery mode 2). */
  persistent?: boolean;
  /**
   * Publish `mandatory`: a message no queue takes is returned and fails
   * the write with an {@linkcode AmqpError} (default `false`: the broker
   * drops it).
   */
  mandatory?: boolean;
  /** The `contentType` property (default: per `format`, such as `application/json`). */
  contentType?: string;
  /** Inside `pipeline()`, retry a write the broker refused before giving up. */
  retry?: RetryPolicy;
  /** Aborting it closes the sink's channel and connection; writes reject. */
  signal?: AbortSignal;
}

const CONNECTOR = "amqp-sink";

const CONTENT_TYPES: Record<string, string> = {
  json: "application/json",
  text: "text/plain; charset=utf-8",
  bytes: "application/octet-stream",
  cloudevents: "application/cloudevents+json",
};

/**
 * Publishes records to a RabbitMQ (AMQP 0-9-1) exchange with publisher
 * confirms, as a batch-aware sink: a write encodes the whole batch first
 * (a record that cannot be encoded throws a `MessageError` before
 * anything is sent, so the pipeline's dead letter can isolate it), then
 * publishes it on a confirm channel and resolves only once the broker
 * confirmed every message (for a persistent message to a durable queue:
 * written to disk). A nacked or returned message fails the write with an
 * {@linkcode AmqpError}.
 *
 * The routing key is the record's `topic` when a `topic` selector gives
 * one, else `routingKey`; the `key` becomes the `messageId` (consumers
 * deduplicate on it: a batch republished after a cut connection carries
 * the same ids), `headers` the AMQP headers, and messages are persistent
 * by default, timestamped (seconds) at publishing.
 *
 * The connection opens at the first write. When it drops mid-write, the
 * sink reconnects with backoff and publishes the batch again (at least
 * once); an unreachable broker or refused credentials at start, or a
 * missing exchange, fail the write with an {@linkcode AmqpError}.
 *
 * @typeParam T The record type.
 * @param options `url` or `connection`, `exchange`, `routingKey` or
 * `topic`, `key`, `value`, `headers`, `format`, `persistent`, `mandatory`,
 * `contentType`, `clientOptions`, `reconnect`, `retry`, `signal`.
 * @returns A `WritableStream<T>` that `pipeline()` writes in batches.
 *
 * @example Publish records to a queue through the default exchange
 * ```ts ignore
 * import { pipeline } from "@ca/streams";
 * import { amqpSink } from "@ca/streams/amqp";
 *
 * const sink = amqpSink<{ id: number }>({
 *   url: "amqp://guest:guest@127.0.0.1:5672",
 *   routingKey: "orders", // the queue
 *   key: "/id",
 * });
 * await pipeline([{ id: 1 }, { id: 2 }], sink);
 * ```
 *
 * @example A routing key is needed
 * ```ts
 * import { amqpSink } from "@ca/streams/amqp";
 *
 * let message = "";
 * try {
 *   amqpSink({ url: "amqp://127.0.0.1", exchange: "orders" });
 * } catch (error) {
 *   message = (error as Error).message;
 * }
 * if (!message.startsWith("Cannot create amqp-sink: give routingKey")) throw new Error(message);
 * ```
 */
export function amqpSink<T = unknown>(
  options: AmqpSinkOptions<T>,
): BatchSink<T> {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      "Cannot create amqp-sink: options must be an object with url or connection",
    );
  }
  checkLinkOptions(CONNECTOR, options);
  const {
    exchange = "",
    routingKey,
    persistent = true,
    mandatory = false,
  } = options;
  if (typeof exchange !== "string") {
    throw new TypeError(
      `Cannot create amqp-sink: exchange must be a string, got ${typeof exchange}`,
    );
  }
  if (routingKey === undefined && options.topic === undefined) {
    throw new TypeError(
      "Cannot create amqp-sink: give routingKey (a fixed routing key, the queue with the default exchange) or topic (the routing key from the record)",
    );
  }
  if (routingKey !== undefined && typeof routingKey !== "string") {
    throw new TypeError(
      `Cannot create amqp-sink: routingKey must be a string, got ${typeof routingKey}`,
    );
  }
  for (
    const [name, value] of [["persistent", persistent], [
      "mandatory",
      mandatory,
    ]] as const
  ) {
    if (typeof value !== "boolean") {
      throw new TypeError(
        `Cannot create amqp-sink: ${name} must be a boolean, got ${typeof value}`,
      );
    }
  }
  const encode = messageEncoder<T>(options, CONNECTOR);
  const format = options.format ?? "json";
  const binaryEvents = format === "cloudevents" &&
    options.cloudEventsMode === "binary";
  const contentType = options.contentType ??
    (binaryEvents ? undefined : CONTENT_TYPES[format]);
  const outer = options.signal;
  if (outer !== undefined && !(outer instanceof AbortSignal)) {
    throw new TypeError(
      "Cannot create amqp-sink: signal must be an AbortSignal",
    );
  }
  const closing = new AbortController();
  const signal = outer
    ? AbortSignal.any([outer, closing.signal])
    : closing.signal;

  let health: ConnectionHealth = {
    state: "connecting",
    since: new Date().toISOString(),
  };
  function report(state: ConnectionHealth["state"], error?: unknown): void {
    if (health.state === state && error === undefined) return;
    health = { state, since: new Date().toISOString() };
    if (error !== undefined) {
      health.error = error instanceof Error ? error.message : String(error);
    }
  }
  let link: Promise<AmqpLink> | undefined;
  let channel: AmqpConfirmChannel | undefined;
  /** Why the broker last closed the channel, from its "error" event. */
  let channelError: unknown;
  /** Set by "return" events of the write in progress. */
  let returned: { routingKey: string } | undefined;

  function connection(): Promise<AmqpLink> {
    link ??= openLink(CONNECTOR, options, signal);
    link.catch(() => link = undefined);
    return link;
  }

  let opening: Promise<AmqpConfirmChannel> | undefined;
  /** The confirm channel, opened once at a time. */
  function openChannel(current: AmqpLink): Promise<AmqpConfirmChannel> {
    if (channel) return Promise.resolve(channel);
    opening ??= (async () => {
      const opened = await current.channel(true, signal) as AmqpConfirmChannel;
      opened.on("error", ((error: unknown) => channelError = error) as never);
      opened.on("close", () => {
        if (channel !== opened) return;
        channel = undefined;
        if (signal.aborted) return;
        // Lost under the sink: say so, and have a channel ready again.
        report(
          "reconnecting",
          channelError ?? "the channel or connection closed",
        );
        void reopen();
      });
      opened.on(
        "return",
        ((message: { fields: { routingKey: string } }) => {
          returned ??= { routingKey: message.fields.routingKey };
        }) as never,
      );
      channel = opened;
      return opened;
    })().finally(() => opening = undefined);
    return opening;
  }

  /** Reopens the channel in the background after it was lost. */
  async function reopen(): Promise<void> {
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        const current = await connection();
        if (current.failure) return;
        await openChannel(current);
        report("connected");
        return;
      } catch {
        await pause(backoff(attempt, options.reconnect), signal);
      }
    }
  }

  /** Publishes the batch and waits for every confirm. */
  async function publish(
    current: AmqpLink,
    messages: readonly EncodedMessage[],
    writeSignal: AbortSignal,
  ): Promise<void> {
    channelError = undefined;
    const confirm = await openChannel(current);
    const timestamp = Math.floor(Date.now() / 1000);
    returned = undefined;
    for (const message of messages) {
      const properties: AmqpProperties = { persistent, mandatory, timestamp };
      if (message.key !== undefined) properties.messageId = message.key;
      let headers = message.headers;
      let type = contentType;
      if (binaryEvents && headers?.["content-type"] !== undefined) {
        const { "content-type": ceType, ...rest } = headers;
        type ??= ceType;
        headers = rest;
      }
      if (headers !== undefined) properties.headers = headers;
      if (type !== undefined) properties.contentType = type;
      const written = confirm.publish(
        exchange,
        message.topic ?? routingKey!,
        current.buffer(message.payload),
        properties,
      );
      if (!written) await drained(confirm, writeSignal);
    }
    await orAbort(confirm.waitForConfirms(), writeSignal);
    // Set meanwhile by the channel's "return" events.
    const back = returned as { routingKey: string } | undefined;
    if (back !== undefined) {
      throw new AmqpError(
        CONNECTOR,
        `publish to exchange "${exchange}"`,
        `no queue is bound for routing key "${back.routingKey}" (the message was returned: mandatory is set)`,
      );
    }
  }

  async function write(records: T[], writeSignal: AbortSignal): Promise<void> {
    // Encode first: a bad record fails the batch before anything is sent.
    const messages = records.map(encode);
    const both = AbortSignal.any([signal, writeSignal]);
    for (let attempt = 1;; attempt++) {
      both.throwIfAborted();
      let current: AmqpLink;
      try {
        current = await connection();
      } catch (error) {
        both.throwIfAborted();
        throw error; // the first connection: unreachable, refused
      }
      if (current.failure) throw current.failure;
      try {
        await publish(current, messages, both);
        report("connected");
        return;
      } catch (error) {
        both.throwIfAborted();
        if (error instanceof AmqpError) throw error;
        // The broker closes the channel on a missing exchange, a message
        // too large...: the reason comes by the channel's "error" event.
        const refusal = isChannelRefusal(error) ? error : channelError;
        if (isChannelRefusal(refusal)) {
          throw new AmqpError(
            CONNECTOR,
            `publish to exchange "${exchange}" at ${current.address}`,
            refusal,
          );
        }
        if (isNack(error)) {
          throw new AmqpError(
            CONNECTOR,
            `publish to exchange "${exchange}" at ${current.address}`,
            "the broker nacked a message (a queue limit, or an internal error)",
          );
        }
        if (!isDropped(error)) {
          throw new AmqpError(
            CONNECTOR,
            `publish to exchange "${exchange}" at ${current.address}`,
            error,
          );
        }
        // The channel or the connection dropped: publish the batch again
        // once it is back (same messageIds, at least once).
        report("reconnecting", error);
      }
      await pause(backoff(attempt, options.reconnect), both);
    }
  }

  async function close(): Promise<void> {
    closing.abort();
    const current = await link?.catch(() => undefined);
    link = undefined;
    const open = channel;
    channel = undefined;
    if (open) {
      try {
        await open.close();
      } catch {
        // Already closed.
      }
    }
    await current?.close();
  }

  return batchSink<T>({
    async write(records, context) {
      try {
        await write(records, context.signal);
      } catch (error) {
        // The pipeline is aborting: a write in flight fails, and the
        // sink's abort() may never come (the stream is errored by then).
        if (context.signal.aborted) await close();
        throw error;
      }
    },
    close,
    abort: close,
    health: () => ({ ...health }),
  }, options.retry === undefined ? {} : { retry: options.retry });
}

/** A channel or connection that closed under the write: worth retrying. */
function isDropped(error: unknown): boolean {
  if ((error as Error | null)?.name === "IllegalOperationError") return true;
  return /closed|closing|ended|ECONNRESET|EPIPE|socket/i.test(
    String((error as Error | null)?.message ?? error),
  );
}

/** waitForConfirms() rejecting because a message was nacked. */
function isNack(error: unknown): boolean {
  return /nack/i.test(String((error as Error | null)?.message ?? error));
}

/** Waits for the channel's "drain" (its write buffer emptied). */
function drained(
  channel: AmqpConfirmChannel,
  signal: AbortSignal,
): Promise<void> {
  return orAbort(
    new Promise<void>((resolve) => {
      const done = () => {
        channel.removeListener("drain", done);
        channel.removeListener("close", done);
        resolve();
      };
      channel.once("drain", done);
      channel.once("close", done);
    }),
    signal,
  );
}
