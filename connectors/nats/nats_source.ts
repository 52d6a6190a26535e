// Copyright 2026 the @ca/streams authors. MIT license.

import type { Msg, Subscription } from "@nats-io/transport-node";
import { decodeMessage } from "../../src/messages/decode_message.ts";
import type { Message } from "../../src/messages/message.ts";
import type { MessageError } from "../../src/messages/message_error.ts";
import { MESSAGE_FORMATS } from "../../src/messages/message_format.ts";
import type { MessageFormat } from "../../src/messages/message_format.ts";
import {
  type ResumableSource,
  resumableSource,
} from "../../src/sources/resumable_source.ts";
import {
  checkConnectionOptions,
  connectingHealth,
  type NatsLink,
  openNats,
} from "./connect_nats.ts";
import type { NatsConnectionOptions } from "./nats_connection_options.ts";
import { natsRawMessage } from "./nats_raw_message.ts";

const CONNECTOR = "nats-source";

/**
 * Options for {@linkcode natsSource}.
 *
 * @example Share the work of a subject between instances
 * ```ts
 * import { natsSource } from "@ca/streams/nats";
 * import type { NatsSourceOptions } from "@ca/streams/nats";
 *
 * const options: NatsSourceOptions = {
 *   url: "nats://127.0.0.1:4222",
 *   subject: "sensors.>",
 *   queue: "ingest", // each message goes to one member of the group
 *   format: "text",
 * };
 * const source = natsSource(options); // subscribes on the first read
 * if (typeof source[Symbol.asyncIterator] !== "function") throw new Error("unexpected");
 * ```
 */
export interface NatsSourceOptions extends NatsConnectionOptions {
  /** The subject to subscribe to; wildcards (`*`, `>`) are allowed. */
  subject: string;
  /** A queue group: each message goes to one subscriber of the group. */
  queue?: string;
  /** How the payload is decoded into `value` (default `"json"`). */
  format?: MessageFormat;
  /** Most messages per batch (default 256). */
  batchSize?: number;
  /**
   * Most messages received and not yet read (default 65536): beyond it the
   * oldest are dropped, since core NATS does not wait for a slow reader.
   */
  maxBuffered?: number;
  /** Aborting it unsubscribes and releases the connection. */
  signal?: AbortSignal;
}

/**
 * Subscribes to a core NATS subject and yields its messages as
 * {@linkcode Message} records (`topic` the subject, `headers` the NATS
 * headers, `key` the `Nats-Msg-Id` header; `value` per `format`).
 *
 * **At most once.** Core NATS keeps nothing and acknowledges nothing:
 * messages published while the source is not subscribed (before it starts,
 * while it restarts, while a connection is being re-established) are lost,
 * and so are those it holds when the process dies. Positions count the
 * messages of one run; resuming from a checkpoint is not possible. For at
 * least once, publish into a JetStream stream and read it with
 * {@linkcode jetStreamSource}.
 *
 * A message that does not decode is a `MessageError` naming the connector
 * and the cause (its `raw` is the raw message). With a `deadLetter` in the
 * pipeline it goes there (stage -1, `"source"`) and reading goes on;
 * without one the read fails and the pipeline stops `degraded`. There is
 * nothing to acknowledge or reject: the server keeps no message either way.
 *
 * @param options The subject, an optional queue group, the connection,
 * `format`, `batchSize` and `signal`.
 * @returns A source of messages (resumable in type only: it always starts
 * with what is published next).
 *
 * @example Print what is published on a subject (needs a NATS server)
 * ```ts ignore
 * import { pipeline, tap, collect } from "@ca/streams";
 * import { natsSource } from "@ca/streams/nats";
 *
 * const controller = new AbortController();
 * setTimeout(() => controller.abort(), 10_000);
 * await pipeline(
 *   natsSource({ subject: "greetings.*", format: "text", signal: controller.signal }),
 *   tap((message) => console.log(message.topic, message.value)),
 *   collect(),
 * );
 * ```
 *
 * @example Options are checked when the source is made
 * ```ts
 * import { natsSource } from "@ca/streams/nats";
 *
 * try {
 *   natsSource({ subject: "" });
 *   throw new Error("expected a TypeError");
 * } catch (error) {
 *   if (!(error instanceof TypeError)) throw error;
 * }
 * ```
 */
export function natsSource<T = unknown>(
  options: NatsSourceOptions,
): ResumableSource<Message<T>> {
  checkOptions(options);
  const format = options.format ?? "json";
  const batchSize = options.batchSize ?? 256;
  const maxBuffered = options.maxBuffered ?? 65_536;
  const created = new Date().toISOString();
  let current: NatsLink | undefined;
  return resumableSource<Message<T>>({
    name: `${CONNECTOR} ${options.subject}`,
    async *open(_after, { signal, deadLetter }) {
      const stop = options.signal === undefined
        ? signal
        : AbortSignal.any([signal, options.signal]);
      stop.throwIfAborted();
      let link: NatsLink | undefined;
      let subscription: Subscription | undefined;
      const buffer: Msg[] = [];
      let wake: (() => void) | undefined;
      let released: Promise<void> | undefined;
      const notify = () => {
        const resolve = wake;
        wake = undefined;
        resolve?.();
      };
      const release = () =>
        released ??= (async () => {
          stop.removeEventListener("abort", onAbort);
          subscription?.unsubscribe();
          notify();
          await link?.release();
        })();
      const onAbort = () => void release();
      stop.addEventListener("abort", onAbort, { once: true });
      let count = 0;
      try {
        link = current = await openNats(options, CONNECTOR);
        if (stop.aborted) return;
        subscription = link.nc.subscribe(options.subject, {
          queue: options.queue,
          callback: (error, msg) => {
            if (error) return;
            buffer.push(msg);
            if (buffer.length > maxBuffered) buffer.shift();
            notify();
          },
        });
        // The server has the subscription before the first read returns.
        await link.nc.flush();
        while (!stop.aborted) {
          if (buffer.length === 0) {
            await new Promise<void>((resolve) => wake = resolve);
            continue;
          }
          const msgs = buffer.splice(0, batchSize);
          count += msgs.length;
          const records: Message<T>[] = [];
          for (const msg of msgs) {
            const raw = natsRawMessage(msg);
            try {
              records.push(decodeMessage(raw, format, CONNECTOR) as Message<T>);
            } catch (error) {
              if (deadLetter === undefined) throw error;
              await deadLetter((error as MessageError).raw ?? raw, error);
            }
          }
          if (records.length > 0) yield { records, position: count };
        }
      } finally {
        await release();
      }
    },
    health: () => current?.health() ?? connectingHealth(created),
  });
}

function checkOptions(options: NatsSourceOptions): void {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `Cannot create ${CONNECTOR}: options must be an object with a subject`,
    );
  }
  const { subject, queue, format, batchSize, maxBuffered } = options;
  if (typeof subject !== "string" || subject === "" || /\s/.test(subject)) {
    throw new TypeError(
      `Cannot create ${CONNECTOR}: subject must be a subject such as "orders.>", got ${
        JSON.stringify(subject)
      }`,
    );
  }
  if (queue !== undefined && (typeof queue !== "string" || queue === "")) {
    throw new TypeError(
      `Cannot create ${CONNECTOR}: queue must be a non-empty string, got ${
        JSON.stringify(queue)
      }`,
    );
  }
  checkConnectionOptions(options, CONNECTOR);
  if (format !== undefined && !MESSAGE_FORMATS.includes(format)) {
    throw new TypeError(
      `Cannot create ${CONNECTOR}: format must be "json", "text", "bytes" or "cloudevents", got ${
        JSON.stringify(format)
      }`,
    );
  }
  for (
    const [field, value] of [["batchSize", batchSize], [
      "maxBuffered",
      maxBuffered,
    ]] as const
  ) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
      throw new RangeError(
        `Cannot create ${CONNECTOR}: ${field} must be a positive integer, got ${value}`,
      );
    }
  }
}
