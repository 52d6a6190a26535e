// Copyright 2026 the @ca/streams authors. MIT license.

import type {
  Consumer,
  ConsumerConfig,
  ConsumerMessages,
  JsMsg,
} from "@nats-io/jetstream";
import type { Position } from "../../src/checkpoint/position.ts";
import type { ConnectionHealth } from "../../src/health/connection_health.ts";
import { decodeMessage } from "../../src/messages/decode_message.ts";
import type { Message } from "../../src/messages/message.ts";
import type { MessageError } from "../../src/messages/message_error.ts";
import { MESSAGE_FORMATS } from "../../src/messages/message_format.ts";
import type { MessageFormat } from "../../src/messages/message_format.ts";
import {
  type ResumableSource,
  resumableSource,
} from "../../src/sources/resumable_source.ts";
import { importOptional } from "../runtime/import_optional.ts";
import {
  bounded,
  checkConnectionOptions,
  connectingHealth,
  type NatsLink,
  openNats,
} from "./connect_nats.ts";
import type { NatsConnectionOptions } from "./nats_connection_options.ts";
import { NatsConnectError } from "./nats_connect_error.ts";
import { natsRawMessage } from "./nats_raw_message.ts";

const CONNECTOR = "jetstream-source";

/**
 * Options for {@linkcode jetStreamSource}.
 *
 * @example A durable consumer on a stream, with a short ack wait
 * ```ts
 * import { jetStreamSource } from "@ca/streams/nats";
 * import type { JetStreamSourceOptions } from "@ca/streams/nats";
 *
 * const options: JetStreamSourceOptions = {
 *   url: "nats://127.0.0.1:4222",
 *   stream: "ORDERS",
 *   consumer: "orders-to-warehouse",
 *   filterSubject: "orders.>",
 *   ackWaitMs: 10_000,
 *   batchSize: 100,
 * };
 * const source = jetStreamSource(options); // connects on the first read
 * if (typeof source[Symbol.asyncIterator] !== "function") throw new Error("unexpected");
 * ```
 */
export interface JetStreamSourceOptions extends NatsConnectionOptions {
  /** The stream to read: it must exist (the source never creates a stream). */
  stream: string;
  /**
   * The durable pull consumer's name: created on the stream when missing
   * (explicit acks, with `filterSubject`, `deliver`, `ackWaitMs` and
   * `maxAckPending`), used as it is when it exists. It keeps the position
   * on the server, across restarts.
   */
  consumer: string;
  /** A new consumer reads only the subjects matching this one (default: all of the stream's). */
  filterSubject?: string;
  /**
   * Where a new consumer starts: `"all"` (default) from the stream's first
   * message, `"new"` with messages stored after it is created.
   */
  deliver?: "all" | "new";
  /**
   * A new consumer's ack wait in ms (default 30000): a message delivered and
   * not acknowledged (nor kept alive by the source's in-progress signals)
   * for this long is delivered again.
   */
  ackWaitMs?: number;
  /** A new consumer's limit on messages delivered and not yet acknowledged (default 1000). */
  maxAckPending?: number;
  /**
   * Recreates the consumer when the source opens, so that it delivers from
   * this stream sequence on (`{ sequence: 42 }`), or from the start of the
   * stream (`"start"`). Every open resets: run once with it, then remove it.
   */
  reset?: "start" | { sequence: number };
  /**
   * How the payload is decoded into `value` (default `"json"`); see
   * `decodeMessage` of `@ca/streams/messages`.
   */
  format?: MessageFormat;
  /** Most messages per fetch and per batch, so per acknowledgement step (default 256). */
  batchSize?: number;
  /**
   * How long one fetch waits on the server for messages, in ms (default
   * 5000, at least 1000). An idle source asks again this often.
   */
  fetchWaitMs?: number;
  /** Aborting it stops the source and releases the connection. */
  signal?: AbortSignal;
}

const DEFAULT_BATCH_SIZE = 256;
const DEFAULT_FETCH_WAIT_MS = 5000;
const DEFAULT_ACK_WAIT_MS = 30_000;
const DEFAULT_MAX_ACK_PENDING = 1000;
/** How long to wait for the server to confirm acks before sending them again. */
const ACK_CONFIRM_MS = 2000;
const ACK_ATTEMPTS = 10;
/** After stop(), how long to wait for the next ack of a batch in flight. */
const ACK_IDLE_MS = 2000;
const ACK = "+ACK";
const NAK = "-NAK";
/**
 * JetStream's reject: never delivered again, and the server emits an
 * advisory. No reason after it: servers before 2.10 ignore a `+TERM` that
 * has one.
 */
const TERM = "+TERM";

/**
 * Reads a JetStream stream through a durable pull consumer, as
 * {@linkcode Message} records: `value` decoded per `format`, `id` the
 * stream sequence, `topic` the subject, `headers` the NATS headers, `key`
 * the `Nats-Msg-Id` header, `time` when the stream stored the message.
 *
 * Messages are fetched in batches of up to `batchSize` and acknowledged to
 * the server only in the source's `ack(position)`, which the pipeline calls
 * once the sink stored the batch (or a dead letter took it): at least once,
 * with the position kept by the server, so no checkpoint store is needed
 * (a checkpoint store's position is not used: the consumer's is). While a
 * slow sink works, the source sends in-progress signals (`working()`) for
 * every message it holds, three times per ack wait, so the server does not
 * deliver them again. Messages fetched and not acknowledged when the
 * source is released are given back at once (`nak`); after a crash the
 * server delivers them again once their ack wait is over.
 *
 * A record the pipeline dead-letters (it failed in the sink, or in a
 * stage that passes records on as they are, with a `deadLetter` configured)
 * is rejected rather than acknowledged once its batch is done: the source
 * sends `+TERM` for its message (in the same confirmed, ordered step as the
 * batch's acks), so the server never delivers it again and publishes a
 * `$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED` advisory that an operator
 * can route to a dead-letter stream of their own.
 *
 * A message that does not decode is a `MessageError` (its `raw` is the raw
 * message: payload, subject, headers, sequence). With a `deadLetter` in the
 * pipeline it goes there (stage -1, `"source"`), and once the dead letter
 * stored it the message is terminated (`+TERM`, confirmed) while the rest
 * of its batch goes on. Without one the read fails: nothing of its batch is
 * acknowledged, the batch is given back, and the pipeline stops `degraded`.
 * The connection reconnects for as long as it takes; fetching resumes after
 * a reconnect. The stream must exist: a missing stream, a consumer that is
 * not a pull consumer with explicit acks, an unreachable server or wrong
 * credentials fail the first read with a {@linkcode NatsConnectError}.
 *
 * @param options The stream, the consumer, the connection, `format`,
 * `batchSize`, `reset` and `signal`.
 * @returns A resumable source of messages.
 *
 * @example Read orders from JetStream into a file (needs a NATS server with JetStream)
 * ```ts ignore
 * import { pipeline } from "@ca/streams";
 * import { fileSink } from "@ca/streams/file";
 * import { jetStreamSource } from "@ca/streams/nats";
 *
 * const source = jetStreamSource<{ total: number }>({
 *   url: "nats://127.0.0.1:4222",
 *   stream: "ORDERS",
 *   consumer: "orders-archive",
 * });
 * // Acknowledged to the server once the file holds them: no checkpoint store.
 * await pipeline(source, fileSink("orders.ndjson"));
 * ```
 *
 * @example Options are checked when the source is made
 * ```ts
 * import { jetStreamSource } from "@ca/streams/nats";
 *
 * try {
 *   jetStreamSource({ stream: "ORDERS", consumer: "" });
 *   throw new Error("expected a TypeError");
 * } catch (error) {
 *   if (!(error instanceof TypeError)) throw error;
 * }
 * ```
 */
export function jetStreamSource<T = unknown>(
  options: JetStreamSourceOptions,
): ResumableSource<Message<T>> {
  checkOptions(options);
  const format = options.format ?? "json";
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  let reader: ConsumerReader | undefined;
  /** The message each record handed on came from, for deadLettered(). */
  const origins = new WeakMap<
    Message<T>,
    { reader: ConsumerReader; msg: JsMsg }
  >();
  const created = new Date().toISOString();
  return resumableSource<Message<T>>({
    name: `${CONNECTOR} ${options.stream}/${options.consumer}`,
    async *open(_after, { signal, deadLetter }) {
      const stop = anySignal(signal, options.signal);
      const opened = new ConsumerReader(options, batchSize, stop);
      reader = opened;
      try {
        await opened.open();
        for (;;) {
          const msgs = await opened.take();
          if (msgs === null) return;
          const position = msgs.at(-1)!.info.streamSequence;
          // Held from here: given back on release if it does not decode.
          opened.delivered(position, msgs);
          const records: Message<T>[] = [];
          for (const msg of msgs) {
            const raw = natsRawMessage(
              msg,
              msg.info.streamSequence,
              msg.info.timestampNanos,
            );
            let record: Message<T>;
            try {
              record = decodeMessage(raw, format, CONNECTOR) as Message<T>;
            } catch (error) {
              // Without a dead letter the read fails: the batch is given back.
              if (deadLetter === undefined) throw error;
              await deadLetter((error as MessageError).raw ?? raw, error);
              // Done: terminated now, never delivered again.
              opened.terminate(position, msg);
              continue;
            }
            // Only a pipeline with a dead letter calls deadLettered().
            if (deadLetter !== undefined) {
              origins.set(record, { reader: opened, msg });
            }
            records.push(record);
          }
          // Every message of the batch went to the dead letter: terminated.
          if (records.length === 0) continue;
          yield { records, position };
        }
      } catch (error) {
        await opened.release(error);
        throw error;
      } finally {
        await opened.release();
      }
    },
    ack(position: Position) {
      reader?.ack(position);
    },
    deadLettered(record) {
      const origin = origins.get(record);
      origin?.reader.reject(origin.msg);
    },
    health: () => reader?.health() ?? connectingHealth(created),
  });
}

/** The batches handed on and not yet acknowledged, with their position. */
interface HeldBatch {
  position: Position;
  msgs: JsMsg[];
}

/**
 * One open of the source: the connection, the consumer, a pump that
 * fetches into a buffer, and the messages handed on but not acknowledged.
 */
class ConsumerReader {
  #options: JetStreamSourceOptions;
  #batchSize: number;
  #signal: AbortSignal;
  #link?: NatsLink;
  #consumer?: Consumer;
  #fetching?: ConsumerMessages;
  #buffer: JsMsg[] = [];
  #held: HeldBatch[] = [];
  #error: unknown;
  #released = false;
  #releasing?: Promise<void>;
  #wake?: () => void;
  #space?: () => void;
  #endSleep?: () => void;
  /** The pump: settles once it stopped fetching. */
  #pumping?: Promise<void>;
  #ackWaitMs = DEFAULT_ACK_WAIT_MS;
  /** Called on each ack during a release. */
  #drained?: () => void;
  /** Ack confirmations in flight. */
  #confirming = new Set<Promise<void>>();
  /** Calls of `ack` so far. */
  #acks = 0;
  /** Messages held whose records the pipeline dead-lettered: `+TERM`, not `+ACK`. */
  #rejected = new WeakSet<JsMsg>();
  #ticker?: ReturnType<typeof setInterval>;
  /** A `#notify()` due after the current macrotask. */
  #notifyTimer?: ReturnType<typeof setTimeout>;
  #onAbort = () => void this.release();
  #created = new Date().toISOString();

  constructor(
    options: JetStreamSourceOptions,
    batchSize: number,
    signal: AbortSignal,
  ) {
    this.#options = options;
    this.#batchSize = batchSize;
    this.#signal = signal;
  }

  /** Connects, checks the stream, finds or makes the consumer, starts fetching. */
  async open(): Promise<void> {
    this.#signal.throwIfAborted();
    this.#signal.addEventListener("abort", this.#onAbort, { once: true });
    const options = this.#options;
    const link = this.#link = await openNats(options, CONNECTOR);
    if (this.#released) return void await link.release();
    const { jetstream, jetstreamManager } = await importOptional(
      () => import("@nats-io/jetstream"),
      "@nats-io/jetstream",
      `open ${CONNECTOR}`,
    );
    const where = `${link.server} (stream "${options.stream}")`;
    let ackWaitMs: number;
    try {
      const jsm = await jetstreamManager(link.nc, { checkAPI: true });
      await jsm.streams.info(options.stream).catch((error) => {
        throw isNotFound(error, "stream")
          ? new Error(
            `the stream does not exist: create it first (nats stream add ${options.stream} --subjects ...)`,
          )
          : error;
      });
      const config = await this.#ensureConsumer(jsm);
      ackWaitMs = config.ack_wait
        ? Math.max(1, Math.floor(config.ack_wait / 1e6))
        : DEFAULT_ACK_WAIT_MS;
      this.#consumer = await jetstream(link.nc).consumers.get(
        options.stream,
        options.consumer,
      );
    } catch (error) {
      throw new NatsConnectError(CONNECTOR, where, error);
    }
    if (this.#released) return;
    // In-progress signals three times per ack wait for every message held.
    this.#ackWaitMs = ackWaitMs;
    this.#ticker = setInterval(() => this.#working(), ackWaitMs / 3);
    this.#pumping = this.#pump().catch((error) => this.#fail(error));
  }

  async #ensureConsumer(
    jsm: Awaited<
      ReturnType<typeof import("@nats-io/jetstream").jetstreamManager>
    >,
  ): Promise<ConsumerConfig> {
    const { stream, consumer, reset } = this.#options;
    if (reset !== undefined) {
      await jsm.consumers.delete(stream, consumer).catch((error) => {
        if (!isNotFound(error, "consumer")) throw error;
      });
    } else {
      try {
        const info = await jsm.consumers.info(stream, consumer);
        const config = info.config;
        if (config.deliver_subject) {
          throw new Error(
            `consumer "${consumer}" is a push consumer: a pull consumer is needed`,
          );
        }
        if (config.ack_policy !== "explicit") {
          throw new Error(
            `consumer "${consumer}" has ack_policy "${config.ack_policy}": "explicit" is needed`,
          );
        }
        return config;
      } catch (error) {
        if (!isNotFound(error, "consumer")) throw error;
      }
    }
    const { filterSubject, deliver = "all" } = this.#options;
    const config: Partial<ConsumerConfig> = {
      durable_name: consumer,
      ack_policy: "explicit" as ConsumerConfig["ack_policy"],
      ack_wait: (this.#options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS) * 1e6,
      max_ack_pending: this.#options.maxAckPending ?? DEFAULT_MAX_ACK_PENDING,
      deliver_policy:
        (typeof reset === "object"
          ? "by_start_sequence"
          : reset === "start"
          ? "all"
          : deliver) as ConsumerConfig["deliver_policy"],
    };
    if (typeof reset === "object") config.opt_start_seq = reset.sequence;
    if (filterSubject !== undefined) config.filter_subject = filterSubject;
    try {
      return (await jsm.consumers.add(stream, config)).config;
    } catch (error) {
      // Another instance created it meanwhile: use theirs.
      if (reset === undefined) {
        const info = await jsm.consumers.info(stream, consumer).catch(() =>
          undefined
        );
        if (info) return info.config;
      }
      throw error;
    }
  }

  /** Fetches batches into the buffer while there is room, until released. */
  async #pump(): Promise<void> {
    let failures = 0;
    while (!this.#released) {
      if (this.#buffer.length >= this.#batchSize) {
        await new Promise<void>((resolve) => this.#space = resolve);
        continue;
      }
      const expires = this.#options.fetchWaitMs ?? DEFAULT_FETCH_WAIT_MS;
      try {
        const fetching = await this.#consumer!.fetch({
          max_messages: this.#batchSize,
          expires,
        });
        // Even once released, it runs out by itself (see release()).
        this.#fetching = fetching;
        for await (const msg of fetching) {
          // Once released, what still comes is given back with the rest.
          this.#buffer.push(msg);
          if (!this.#released) this.#notifySoon();
        }
        failures = 0;
      } catch (error) {
        if (this.#released) return;
        if (isFatal(error) || this.#link!.nc.isClosed()) throw error;
        // A reconnect, missed heartbeats, a timeout: fetch again, with backoff.
        failures++;
        await this.#sleep(Math.min(50 * 2 ** failures, 2000));
      } finally {
        this.#fetching = undefined;
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#endSleep = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#endSleep = done; // a release ends the wait
    });
  }

  /**
   * Wakes `take()` once the messages that arrived together are in the
   * buffer: at once when it holds a whole batch, else after the current
   * macrotask. The client hands a fetch's messages over one microtask
   * apart, so waking `take()` at the first one makes batches of one to
   * three messages, each with its own ack request and pipeline round.
   */
  #notifySoon(): void {
    if (this.#buffer.length >= this.#batchSize) {
      clearTimeout(this.#notifyTimer);
      this.#notifyTimer = undefined;
      this.#notify();
      return;
    }
    this.#notifyTimer ??= setTimeout(() => {
      this.#notifyTimer = undefined;
      this.#notify();
    }, 0);
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #fail(error: unknown): void {
    if (this.#released) return;
    this.#error ??= new NatsConnectError(
      CONNECTOR,
      `${this.#link?.server} (stream "${this.#options.stream}")`,
      error,
    );
    this.#notify();
  }

  /** The next batch from the buffer, once there is one; `null` when released. */
  async take(): Promise<JsMsg[] | null> {
    while (this.#buffer.length === 0) {
      if (this.#error !== undefined) throw this.#error;
      if (this.#released) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    if (this.#error !== undefined) throw this.#error;
    // Released: nobody reads what would be handed on; it is given back.
    if (this.#released) return null;
    const msgs = this.#buffer.splice(0, this.#batchSize);
    const space = this.#space;
    this.#space = undefined;
    space?.();
    return msgs;
  }

  /** The connection's health (`"connecting"` until it is open). */
  health(): ConnectionHealth {
    return this.#link?.health() ?? connectingHealth(this.#created);
  }

  /** A batch was handed on at `position`: it waits for `ack`. */
  delivered(position: Position, msgs: JsMsg[]): void {
    this.#held.push({ position, msgs });
  }

  /**
   * Acknowledges every batch handed on up to the one at `position`; the
   * messages of dead-lettered records are terminated instead.
   */
  ack(position: Position): void {
    const index = this.#held.findIndex((batch) => batch.position === position);
    if (index === -1) return;
    const msgs = this.#held.splice(0, index + 1).flatMap((batch) => batch.msgs);
    this.#acks++;
    this.#acknowledge(msgs, 0);
    this.#drained?.();
  }

  /**
   * The pipeline dead-lettered the record of `msg`: when its batch is
   * acknowledged, `msg` is terminated. (Released before that, it is given
   * back with the rest and comes again.)
   */
  reject(msg: JsMsg): void {
    this.#rejected.add(msg);
  }

  /**
   * A message of the batch at `position` went to the dead letter, which
   * stored it: it leaves the batch and is terminated now, confirmed like
   * the acks (sent again when no confirmation comes).
   */
  terminate(position: Position, msg: JsMsg): void {
    const index = this.#held.findIndex((batch) => batch.position === position);
    if (index === -1) return; // released meanwhile: given back already
    const batch = this.#held[index]!;
    batch.msgs = batch.msgs.filter((held) => held !== msg);
    if (batch.msgs.length === 0) this.#held.splice(index, 1);
    this.#rejected.add(msg);
    this.#acknowledge([msg], 0);
  }

  /**
   * Sends the acks (`+TERM` for a rejected message), the last one as a
   * request: the server answers it once it has processed them all (one
   * connection's acks are processed in order). Without an answer (the
   * connection was cut and the acks may be lost with it), the acks are
   * sent again.
   */
  #acknowledge(msgs: JsMsg[], attempt: number): void {
    const nc = this.#link!.nc;
    if (nc.isClosed()) return;
    const replies = msgs.map(replyOf);
    const last = replies.at(-1);
    const verdict = (msg: JsMsg) => this.#rejected.has(msg) ? TERM : ACK;
    if (last === undefined || replies.includes(undefined)) {
      for (const msg of msgs) {
        if (this.#rejected.has(msg)) msg.term();
        else msg.ack();
      }
      return;
    }
    for (let i = 0; i < msgs.length - 1; i++) {
      nc.publish(replies[i]!, verdict(msgs[i]!));
    }
    const confirmed: Promise<void> = nc.request(last, verdict(msgs.at(-1)!), {
      timeout: ACK_CONFIRM_MS,
    }).then(
      () => {},
      () => {
        if (!nc.isClosed() && attempt < ACK_ATTEMPTS) {
          this.#acknowledge(msgs, attempt + 1);
        }
      },
    ).finally(() => this.#confirming.delete(confirmed));
    this.#confirming.add(confirmed);
  }

  /**
   * Naks the messages, the last one as a request: the server processes a
   * consumer's acks in order, after the connection's flush, so a new run's
   * fetch could otherwise come first and be served newer messages before
   * these are put back. The answer says they all are.
   */
  async #giveBack(msgs: JsMsg[]): Promise<void> {
    const replies = msgs.map(replyOf);
    const last = replies.at(-1);
    if (last === undefined || replies.includes(undefined)) {
      for (const msg of msgs) msg.nak();
      return;
    }
    const nc = this.#link!.nc;
    for (const reply of replies.slice(0, -1)) nc.publish(reply!, NAK);
    await nc.request(last, NAK, { timeout: ACK_CONFIRM_MS }).catch(() => {
      // Not confirmed (the connection is going): the ack wait brings them back.
    });
  }

  #working(): void {
    for (const msg of this.#buffer) msg.working();
    for (const batch of this.#held) {
      for (const msg of batch.msgs) msg.working();
    }
  }

  /**
   * Stops fetching and gives back what was fetched and not handed on. After
   * `stop()` (an abort without a failure) inside a pipeline, the batches
   * handed on still reach the sink: their acks are waited for while they
   * keep coming (at most 2 s apart), up to half the ack wait.
   * What is then still held is given back too, so that the server delivers
   * it again at once; the acks sent are confirmed, and the connection let go.
   */
  release(failure?: unknown): Promise<void> {
    this.#releasing ??= (async () => {
      const reason: unknown = failure ?? this.#signal.reason;
      this.#released = true;
      clearTimeout(this.#notifyTimer);
      this.#signal.removeEventListener("abort", this.#onAbort);
      this.#notify();
      this.#space?.();
      this.#endSleep?.();
      const link = this.#link;
      if (link === undefined || link.nc.isClosed()) {
        clearInterval(this.#ticker);
        this.#fetching?.stop();
        return;
      }
      // The fetch in flight runs out by itself (its batch complete, or it
      // expires): unsubscribing while the server still sends to it loses
      // track of those messages. What it brings joins the buffer.
      const fetchWaitMs = this.#options.fetchWaitMs ?? DEFAULT_FETCH_WAIT_MS;
      await bounded(this.#pumping ?? Promise.resolve(), fetchWaitMs + 1000);
      this.#fetching?.stop();
      const graceful = reason === undefined ||
        (reason as { name?: unknown }).name === "AbortError";
      // Only inside a pipeline do acks come (iterated alone, none does).
      if (graceful && this.#acks > 0 && this.#held.length > 0) {
        // Until every batch is acknowledged, or no ack came for a while (a
        // batch read as the pipeline stopped is dropped by it), at most
        // half the ack wait.
        await new Promise<void>((resolve) => {
          const deadline = Date.now() + Math.min(this.#ackWaitMs / 2, 10_000);
          let timer: ReturnType<typeof setTimeout> | undefined;
          const arm = () => {
            clearTimeout(timer);
            const left = Math.min(ACK_IDLE_MS, deadline - Date.now());
            timer = setTimeout(resolve, Math.max(0, left));
          };
          arm();
          this.#drained = () => {
            if (this.#held.length > 0) return arm();
            clearTimeout(timer);
            resolve();
          };
        });
        this.#drained = undefined;
      }
      clearInterval(this.#ticker);
      // Given back in order, so that the server delivers them again first.
      const giveBack = [
        ...this.#held.flatMap((batch) => batch.msgs),
        ...this.#buffer,
      ]
        .sort((a, b) => a.info.streamSequence - b.info.streamSequence);
      this.#held = [];
      this.#buffer = [];
      await this.#giveBack(giveBack);
      await bounded(Promise.all(this.#confirming), ACK_CONFIRM_MS);
      await link.release();
    })();
    return this.#releasing;
  }
}

/** The ack subject of a message (nats.js keeps the underlying `Msg` as `msg`). */
function replyOf(msg: JsMsg): string | undefined {
  const reply = (msg as { msg?: { reply?: unknown } }).msg?.reply;
  return typeof reply === "string" && reply !== "" ? reply : undefined;
}

function isNotFound(error: unknown, what: "stream" | "consumer"): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === (what === "stream" ? 10059 : 10014) ||
    (error instanceof Error && error.message === `${what} not found`);
}

/** Errors a new fetch cannot get past: the consumer or stream is gone, no permission. */
function isFatal(error: unknown): boolean {
  if (isNotFound(error, "stream") || isNotFound(error, "consumer")) return true;
  const name = (error as { name?: unknown } | null)?.name;
  return name === "PermissionViolationError" ||
    name === "ClosedConnectionError";
}

function anySignal(
  first: AbortSignal,
  second: AbortSignal | undefined,
): AbortSignal {
  return second === undefined ? first : AbortSignal.any([first, second]);
}

function checkOptions(options: JetStreamSourceOptions): void {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `Cannot create ${CONNECTOR}: options must be an object with stream and consumer`,
    );
  }
  for (const field of ["stream", "consumer"] as const) {
    const value = options[field];
    if (typeof value !== "string" || value === "" || /[\s.*>]/.test(value)) {
      throw new TypeError(
        `Cannot create ${CONNECTOR}: ${field} must be a name without spaces, dots or wildcards, got ${
          JSON.stringify(value)
        }`,
      );
    }
  }
  checkConnectionOptions(options, CONNECTOR);
  const { format, batchSize, fetchWaitMs, ackWaitMs, maxAckPending, reset } =
    options;
  if (format !== undefined && !MESSAGE_FORMATS.includes(format)) {
    throw new TypeError(
      `Cannot create ${CONNECTOR}: format must be "json", "text", "bytes" or "cloudevents", got ${
        JSON.stringify(format)
      }`,
    );
  }
  positiveInteger(batchSize, "batchSize", 1);
  positiveInteger(fetchWaitMs, "fetchWaitMs", 1000);
  positiveInteger(ackWaitMs, "ackWaitMs", 1);
  positiveInteger(maxAckPending, "maxAckPending", 1);
  if (
    options.deliver !== undefined && options.deliver !== "all" &&
    options.deliver !== "new"
  ) {
    throw new TypeError(
      `Cannot create ${CONNECTOR}: deliver must be "all" or "new", got ${
        JSON.stringify(options.deliver)
      }`,
    );
  }
  if (
    reset !== undefined && reset !== "start" &&
    !(typeof reset === "object" && reset !== null &&
      Number.isSafeInteger(reset.sequence) && reset.sequence >= 1)
  ) {
    throw new TypeError(
      `Cannot create ${CONNECTOR}: reset must be "start" or { sequence } with a sequence of 1 or more, got ${
        JSON.stringify(reset)
      }`,
    );
  }
}

function positiveInteger(
  value: number | undefined,
  field: string,
  min: number,
): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(
      `Cannot create ${CONNECTOR}: ${field} must be an integer of at least ${min}, got ${value}`,
    );
  }
}
