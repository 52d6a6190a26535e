// Copyright 2026 the @ca/streams authors. MIT license.

import type { Position } from "../../src/checkpoint/position.ts";
import type { ConnectionHealth } from "../../src/health/connection_health.ts";
import { decodeMessage } from "../../src/messages/decode_message.ts";
import type { RawMessage } from "../../src/messages/decode_message.ts";
import type { Message } from "../../src/messages/message.ts";
import type { MessageFormat } from "../../src/messages/message_format.ts";
import { MESSAGE_FORMATS } from "../../src/messages/message_format.ts";
import type { MessageError } from "../../src/messages/message_error.ts";
import {
  type OpenOptions,
  type ResumableSource,
  resumableSource,
  type SourceBatch,
} from "../../src/sources/resumable_source.ts";
import type { AmqpConnectionLike } from "./amqp_connection_like.ts";
import { AmqpError } from "./amqp_error.ts";
import {
  type AmqpChannel,
  type AmqpDelivery,
  type AmqpLink,
  backoff,
  checkLinkOptions,
  isChannelRefusal,
  openLink,
  pause,
} from "./amqp_link.ts";

/**
 * Options for {@linkcode amqpSource}: where the broker is (`url` or
 * `connection`), the `queue`, how values decode, and the batch and
 * prefetch sizes.
 *
 * @example Consume a queue it declares, 100 messages a batch
 * ```ts
 * import { amqpSource } from "@ca/streams/amqp";
 * import type { AmqpSourceOptions } from "@ca/streams/amqp";
 *
 * const options: AmqpSourceOptions = {
 *   url: "amqp://guest:guest@127.0.0.1:5672",
 *   queue: "orders",
 *   assertQueue: { durable: true, arguments: { "x-dead-letter-exchange": "orders.dlx" } },
 *   batchSize: 100, // prefetch defaults to 400
 *   format: "json",
 * };
 * const source = amqpSource(options); // connects on the first read
 * if (typeof source[Symbol.asyncIterator] !== "function") throw new Error("unexpected");
 * ```
 */
export interface AmqpSourceOptions {
  /**
   * An `amqp://` or `amqps://` URL (credentials, vhost, `heartbeat` and
   * `frameMax` as amqplib reads them): the source opens its own connection
   * on the first read, reconnects it with backoff when it drops, and
   * closes it when the run ends. Give this or `connection`.
   */
  url?: string | URL;
  /**
   * An amqplib connection to open the source's channel on, never closed by
   * the source. Give this or `url`.
   */
  connection?: AmqpConnectionLike;
  /**
   * amqplib's socket options for the connection made from `url`: TLS
   * (`ca`, `cert`, `key`, `passphrase`, `servername`), `credentials`
   * (`credentials.external()` for EXTERNAL), `timeout`...
   */
  clientOptions?: Record<string, unknown>;
  /** Waits between reconnect attempts: doubles from `initialDelayMs` (100) up to `maxDelayMs` (5000). */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** The queue to consume. */
  queue: string;
  /**
   * `false` (default): the queue must exist (a missing one is an
   * {@linkcode AmqpError} at start). `true`: declare it durable when
   * missing. An object: declare it with these `assertQueue` options
   * (`durable`, `arguments` such as `x-dead-letter-exchange`,
   * `x-queue-type`...); the broker refuses a declaration that differs from
   * the existing queue.
   */
  assertQueue?: boolean | Record<string, unknown>;
  /** How a message's body becomes the record's `value` (default `"json"`). */
  format?: MessageFormat;
  /** Most messages per batch, and so per acknowledgement (default 256). */
  batchSize?: number;
  /**
   * Most messages the broker sends ahead without an acknowledgement
   * (AMQP `basic.qos` prefetch count). Default: 4 × `batchSize`, what a
   * pipeline holds in flight (the batch being read, processed, written,
   * and one whose acknowledgement is on its way), so the broker never
   * waits for an acknowledgement while the pipeline could take more.
   */
  prefetch?: number;
  /**
   * How long a batch may wait to fill once it has a message, in ms
   * (default 0: whatever the broker sent so far).
   */
  lingerMs?: number;
  /** Aborting it stops the source and closes its channel and connection. */
  signal?: AbortSignal;
}

/**
 * Where a batch of an {@linkcode amqpSource} ends: the channel it came on
 * and its first and last delivery tags.
 */
interface AmqpPosition {
  session: string;
  from: number;
  to: number;
}

/** One channel consuming the queue, from open to close. */
interface Session {
  readonly id: string;
  readonly channel: AmqpChannel;
  open: boolean;
  consumerTag?: string;
  /** Delivered by the broker, not yet given to the pipeline. */
  readonly buffer: AmqpDelivery[];
  /** The last delivery tag given to the pipeline. */
  yielded: number;
  /** The last delivery tag acknowledged. */
  acked: number;
  /** Dead-lettered deliveries: whether the reject was sent yet, by tag. */
  readonly rejected: Map<number, boolean>;
  /** Wakes whoever waits for deliveries, a close or the last ack. */
  wake?: () => void;
}

const CONNECTOR = "amqp-source";
const DEFAULT_BATCH_SIZE = 256;
/** After stop(), how long the channel waits for the acks of batches in flight. */
const CLOSE_GRACE_MS = 2000;

/**
 * Consumes a RabbitMQ (AMQP 0-9-1) queue as a resumable source of
 * {@linkcode Message} records: `value` decoded per `format` (a message
 * that does not decode fails the read with a `MessageError` carrying the
 * raw message, and nothing of its batch is acknowledged), `topic` the
 * routing key, `id` the `messageId`, `headers` the AMQP headers as text
 * (with `content-type` from the message's property), `time` the AMQP
 * timestamp (seconds, or milliseconds as some clients write it) in ISO
 * 8601.
 *
 * Delivery is at-least-once with manual acknowledgements: the source
 * acknowledges a batch (`basic.ack` with `multiple` up to its last
 * delivery tag) only when the pipeline calls its `ack(position)`, once
 * every record up to it is stored or dead-lettered; never on read. The
 * queue keeps the position, so no checkpoint store is needed: a new run
 * gets what was not acknowledged, and messages read but not acknowledged
 * when the channel closed (a crash, a cut connection) come again,
 * flagged redelivered by the broker. A checkpoint store still works; its
 * positions only name the channel a batch came on, so `reset` cannot move
 * a queue: `reset: "start"` reads the queue as it is, and a position the
 * source did not give is a `RangeError`.
 *
 * The connection opens on the first read. A connection that drops
 * reconnects with backoff and the source opens a new channel and consumer
 * on it, while the pipeline keeps running; an unreachable broker or
 * refused credentials at start, a missing queue, or a connection that
 * cannot come back are an {@linkcode AmqpError}.
 *
 * @param options `url` or `connection`, `queue`, `assertQueue`, `format`,
 * `batchSize`, `prefetch`, `lingerMs`, `clientOptions`, `reconnect`, `signal`.
 * @returns A resumable source of messages; iterated alone it reads without
 * acknowledging (the messages come again).
 *
 * @example Move a queue into a file, acknowledging what the file holds
 * ```ts ignore
 * import { pipeline } from "@ca/streams";
 * import { amqpSource } from "@ca/streams/amqp";
 * import { fileSink } from "@ca/streams/file";
 *
 * const source = amqpSource({ url: "amqp://guest:guest@127.0.0.1:5672", queue: "orders" });
 * await pipeline(source, fileSink("orders.ndjson"), { id: "orders-to-file" });
 * ```
 *
 * @example Options are checked when the source is made
 * ```ts
 * import { amqpSource } from "@ca/streams/amqp";
 *
 * let message = "";
 * try {
 *   amqpSource({ url: "amqp://127.0.0.1", queue: "orders", batchSize: 0 });
 * } catch (error) {
 *   message = (error as Error).message;
 * }
 * if (!message.startsWith("Cannot create amqp-source: batchSize")) throw new Error(message);
 * ```
 */
export function amqpSource(
  options: AmqpSourceOptions,
): ResumableSource<Message> {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      "Cannot create amqp-source: options must be an object with url or connection, and queue",
    );
  }
  checkLinkOptions(CONNECTOR, options);
  const { queue, assertQueue = false, format = "json", lingerMs = 0 } = options;
  if (typeof queue !== "string" || queue === "") {
    throw new TypeError(
      `Cannot create amqp-source: queue must be a non-empty string, got ${
        JSON.stringify(queue)
      }`,
    );
  }
  if (
    typeof assertQueue !== "boolean" &&
    (assertQueue === null || typeof assertQueue !== "object")
  ) {
    throw new TypeError(
      "Cannot create amqp-source: assertQueue must be a boolean or an object of assertQueue options",
    );
  }
  if (!MESSAGE_FORMATS.includes(format)) {
    throw new TypeError(
      `Cannot create amqp-source: format must be "json", "text", "bytes" or "cloudevents", got ${
        JSON.stringify(format)
      }`,
    );
  }
  const batchSize = count("batchSize", options.batchSize, DEFAULT_BATCH_SIZE);
  const prefetch = count("prefetch", options.prefetch, 4 * batchSize);
  if (prefetch > 65535) {
    throw new RangeError(
      `Cannot create amqp-source: prefetch must be at most 65535 (AMQP's limit), got ${prefetch}`,
    );
  }
  if (!(typeof lingerMs === "number" && lingerMs >= 0 && lingerMs < 2 ** 31)) {
    throw new RangeError(
      `Cannot create amqp-source: lingerMs must be a non-negative number, got ${lingerMs}`,
    );
  }
  const outer = options.signal;
  if (outer !== undefined && !(outer instanceof AbortSignal)) {
    throw new TypeError(
      "Cannot create amqp-source: signal must be an AbortSignal",
    );
  }
  const declare = assertQueue === true
    ? { durable: true }
    : assertQueue === false
    ? undefined
    : assertQueue;
  let health: ConnectionHealth = {
    state: "connecting",
    since: new Date().toISOString(),
  };
  /** The run is over: channels closing now are no connection trouble. */
  let released = false;
  function report(state: ConnectionHealth["state"], error?: unknown): void {
    if (health.state === state && error === undefined) return;
    health = { state, since: new Date().toISOString() };
    if (error !== undefined) {
      health.error = error instanceof Error ? error.message : String(error);
    }
  }
  /** Where each record handed out came from, for deadLettered(). */
  const origins = new WeakMap<Message, { session: Session; tag: number }>();
  /** Open channels by session id, for ack(). */
  const sessions = new Map<string, Session>();
  let sessionCount = 0;
  const runId = crypto.randomUUID();

  async function startSession(
    link: AmqpLink,
    signal: AbortSignal,
  ): Promise<Session> {
    const channel = await link.channel(false, signal) as AmqpChannel;
    const session: Session = {
      id: `${runId}:${++sessionCount}`,
      channel,
      open: true,
      buffer: [],
      yielded: 0,
      acked: 0,
      rejected: new Map(),
    };
    const wake = () => session.wake?.();
    // The broker closing the channel reports it here and by "close".
    let lastError: unknown;
    channel.on("error", ((error: unknown) => lastError = error) as never);
    channel.on("close", () => {
      if (session.open && !released) {
        report("reconnecting", lastError ?? "the channel or connection closed");
      }
      session.open = false;
      sessions.delete(session.id);
      wake();
    });
    try {
      await channel.prefetch(prefetch, false);
      if (declare) await channel.assertQueue(queue, declare);
      else await channel.checkQueue(queue);
      const { consumerTag } = await channel.consume(queue, (delivery) => {
        if (delivery === null) {
          // The broker cancelled the consumer (the queue was deleted).
          session.open = false;
          void closeQuietly(channel);
        } else session.buffer.push(delivery);
        wake();
      }, { noAck: false });
      session.consumerTag = consumerTag;
    } catch (error) {
      await closeQuietly(channel);
      throw error;
    }
    if (session.open) sessions.set(session.id, session);
    report("connected");
    return session;
  }

  /** Opens a new channel after the last one closed, with backoff. */
  async function restart(
    link: AmqpLink,
    signal: AbortSignal,
  ): Promise<Session | undefined> {
    for (let attempt = 1;; attempt++) {
      if (signal.aborted) return undefined;
      if (link.failure) throw link.failure;
      try {
        return await startSession(link, signal);
      } catch (error) {
        if (signal.aborted) return undefined;
        report("reconnecting", error);
        if (isChannelRefusal(error)) {
          throw new AmqpError(
            CONNECTOR,
            `consume queue "${queue}" again at ${link.address}`,
            error,
          );
        }
      }
      await pause(backoff(attempt, options.reconnect), signal);
    }
  }

  /** Waits for deliveries, then takes a batch of them (none when closed). */
  async function take(
    session: Session,
    signal: AbortSignal,
  ): Promise<AmqpDelivery[]> {
    const until = (ready: () => boolean, ms?: number) =>
      new Promise<void>((resolve) => {
        if (ready() || signal.aborted || !session.open) return resolve();
        let timer: ReturnType<typeof setTimeout> | undefined;
        const done = () => {
          session.wake = undefined;
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          resolve();
        };
        session.wake = () => {
          if (ready() || !session.open) done();
        };
        signal.addEventListener("abort", done, { once: true });
        if (ms !== undefined) timer = setTimeout(done, ms);
      });
    await until(() => session.buffer.length > 0);
    if (lingerMs > 0 && session.buffer.length < batchSize) {
      await until(() => session.buffer.length >= batchSize, lingerMs);
    }
    // Deliveries of a closed channel come again from the broker.
    if (!session.open || signal.aborted) return [];
    return session.buffer.splice(0, batchSize);
  }

  async function* read(
    after: Position | undefined,
    signal: AbortSignal,
    deadLetter: OpenOptions["deadLetter"],
  ): AsyncGenerator<SourceBatch<Message>, void, undefined> {
    checkAfter(after);
    signal.throwIfAborted();
    released = false;
    report("connecting");
    const link = await openLink(CONNECTOR, options, signal);
    let session: Session | undefined;
    // An abort (not a stop) closes the channel at once, so the broker
    // requeues what was read but not stored before anyone reads again.
    const onAbort = () => {
      if (!graceful(signal) && session?.open) {
        void closeQuietly(session.channel);
      }
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      try {
        session = await startSession(link, signal);
      } catch (error) {
        if (signal.aborted) return;
        throw new AmqpError(
          CONNECTOR,
          `consume queue "${queue}" at ${link.address}`,
          error,
        );
      }
      for (;;) {
        if (signal.aborted) return;
        if (!session.open) {
          const next = await restart(link, signal);
          if (next === undefined) return;
          session = next;
        }
        const deliveries = await take(session, signal);
        if (deliveries.length === 0) continue;
        const records: Message[] = [];
        for (const delivery of deliveries) {
          const tag = delivery.fields.deliveryTag;
          let record: Message;
          try {
            record = decode(delivery);
          } catch (error) {
            // Without a dead letter the read fails: nothing of this batch
            // is acknowledged, and the broker requeues it.
            if (deadLetter === undefined) throw error;
            await deadLetter((error as MessageError).raw ?? delivery, error);
            // Done: the queue's own dead-letter exchange takes it too.
            if (session.open) {
              session.channel.reject(delivery, false);
              session.rejected.set(tag, true);
            }
            continue;
          }
          origins.set(record, { session, tag });
          records.push(record);
        }
        // Every message of the batch went to the dead letter: rejected.
        if (records.length === 0) continue;
        const from = deliveries[0]!.fields.deliveryTag;
        const to = deliveries.at(-1)!.fields.deliveryTag;
        session.yielded = to;
        const position: AmqpPosition = { session: session.id, from, to };
        yield { records, position: position as unknown as Position };
      }
    } finally {
      released = true;
      signal.removeEventListener("abort", onAbort);
      await release(session, link, signal);
    }
  }

  /**
   * Stops consuming; after stop() the channel stays open until the batches
   * given to the pipeline are acknowledged (at most CLOSE_GRACE_MS), so
   * their acks land; then it closes, and the broker requeues the rest.
   */
  async function release(
    session: Session | undefined,
    link: AmqpLink,
    signal: AbortSignal,
  ): Promise<void> {
    if (session?.open && graceful(signal)) {
      const { channel, buffer } = session;
      try {
        if (session.consumerTag !== undefined) {
          await channel.cancel(session.consumerTag);
        }
        // Not given to the pipeline: back to the queue now.
        for (const delivery of buffer.splice(0)) {
          channel.nack(delivery, false, true);
        }
      } catch {
        // The channel closed meanwhile: the broker requeues everything.
      }
      if (session.acked < session.yielded && session.open) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, CLOSE_GRACE_MS);
          function done() {
            clearTimeout(timer);
            session!.wake = undefined;
            resolve();
          }
          session!.wake = () => {
            if (!session!.open || session!.acked >= session!.yielded) done();
          };
        });
      }
    }
    if (session !== undefined) {
      sessions.delete(session.id);
      await closeQuietly(session.channel);
    }
    await link.close();
  }

  /**
   * Settles the deliveries of a batch: rejects without requeue (so the
   * queue's dead-letter exchange takes them, when it has one) those the
   * pipeline dead-lettered, then acknowledges the rest with one `multiple`
   * ack up to the highest of them: rejected deliveries are no longer
   * outstanding, so the multiple ack cannot cover them.
   */
  function settle(position: Position): void {
    const { session: id, from, to } = position as unknown as AmqpPosition;
    const session = sessions.get(id);
    // A closed channel's unacknowledged deliveries were requeued by the
    // broker: they come again, and their tags mean nothing on a new channel.
    if (session === undefined || !session.open || to <= session.acked) return;
    const start = Math.max(from, session.acked + 1);
    for (const [tag, sent] of session.rejected) {
      if (tag > to) continue;
      if (!sent && tag >= start) {
        session.channel.reject({ fields: { deliveryTag: tag } }, false);
      }
    }
    let last = to;
    while (last >= start && session.rejected.has(last)) last--;
    if (last >= start) {
      session.channel.ack({ fields: { deliveryTag: last } }, true);
    }
    for (const tag of session.rejected.keys()) {
      if (tag <= to) session.rejected.delete(tag);
    }
    session.acked = to;
    session.wake?.();
  }

  return resumableSource<Message>({
    name: `amqp queue ${queue}`,
    open(after, { signal, deadLetter }) {
      return read(
        after,
        outer ? AbortSignal.any([outer, signal]) : signal,
        deadLetter,
      );
    },
    ack(position) {
      settle(position);
    },
    deadLettered(record) {
      const origin = origins.get(record);
      if (origin !== undefined && origin.session.open) {
        origin.session.rejected.set(origin.tag, false);
      }
    },
    health: () => ({ ...health }),
  });

  function decode(delivery: AmqpDelivery): Message {
    const { fields, properties } = delivery;
    const raw: RawMessage = { payload: delivery.content };
    const headers = textHeaders(properties.headers);
    if (properties.contentType !== undefined) {
      headers["content-type"] ??= properties.contentType;
    }
    if (Object.keys(headers).length > 0) raw.headers = headers;
    raw.topic = fields.routingKey;
    if (properties.messageId !== undefined) raw.id = properties.messageId;
    const time = isoTime(properties.timestamp);
    if (time !== undefined) raw.time = time;
    return decodeMessage(raw, format, CONNECTOR);
  }
}

const textDecoder = new TextDecoder();

/**
 * AMQP header values as text; CloudEvents attributes under the AMQP
 * binding's `cloudEvents:` or `cloudEvents_` prefixes become `ce-` headers.
 */
function textHeaders(
  headers: Record<string, unknown> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined || value === null) continue;
    const key = /^cloudEvents[:_]/.test(name)
      ? `ce-${name.slice("cloudEvents_".length)}`
      : name;
    out[key] = typeof value === "string"
      ? value
      : value instanceof Uint8Array
      ? textDecoder.decode(value)
      : typeof value === "object"
      ? JSON.stringify(value)
      : String(value);
  }
  return out;
}

/** An AMQP timestamp (seconds; milliseconds as some clients write it) as ISO 8601. */
function isoTime(timestamp: unknown): string | undefined {
  if (typeof timestamp !== "number" || !Number.isFinite(timestamp)) {
    return undefined;
  }
  const ms = timestamp > 1e11 ? timestamp : timestamp * 1000;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * Whether the source is being stopped gracefully (`stop()`: batches in
 * flight still reach the sink and are acknowledged), not aborted.
 */
function graceful(signal: AbortSignal): boolean {
  return signal.aborted &&
    (signal.reason as Error | undefined)?.name === "AbortError";
}

async function closeQuietly(channel: AmqpChannel): Promise<void> {
  try {
    await channel.close();
  } catch {
    // Already closed or closing.
  }
}

function count(
  name: string,
  value: number | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create amqp-source: ${name} must be a positive integer, got ${value}`,
    );
  }
  return value;
}

/** A queue keeps no positions: only one the source gave may come back. */
function checkAfter(after: Position | undefined): void {
  if (after === undefined) return;
  const position = after as Partial<AmqpPosition> | null;
  if (
    position === null || typeof position !== "object" ||
    typeof position.session !== "string" ||
    typeof position.from !== "number" || typeof position.to !== "number"
  ) {
    throw new RangeError(
      `Cannot reset amqp-source to ${
        JSON.stringify(after)
      }: a queue keeps no positions to go back to (acknowledged messages are gone); the queue itself resumes where the last run acknowledged`,
    );
  }
}
