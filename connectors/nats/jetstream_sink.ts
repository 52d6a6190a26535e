// Copyright 2026 the @ca/streams authors. MIT license.

import { sleep } from "../../src/util/sleep.ts";
import type { JetStreamClient, PubAck } from "@nats-io/jetstream";
import {
  type EncodedMessage,
  messageEncoder,
  type MessageEncoding,
} from "../../src/messages/message_encoder.ts";
import {
  type BatchSink,
  batchSink,
  type BatchSinkOptions,
} from "../../src/sinks/batch_sink.ts";
import { importOptional } from "../runtime/import_optional.ts";
import { checkConnectionOptions } from "./connect_nats.ts";
import type { NatsConnectionOptions } from "./nats_connection_options.ts";
import {
  checkSubject,
  encodeWithSubjects,
  publishLink,
  type ToHeaders,
} from "./nats_publish.ts";
import { orAbort } from "../../src/util/or_abort.ts";

const CONNECTOR = "jetstream-sink";

/**
 * Options for {@linkcode jetStreamSink}: where to connect, the subject, and
 * where each part of a message comes from (`MessageEncoding` of
 * `@ca/streams/messages`: a function of the record, or a JSON pointer).
 *
 * @typeParam T The record type.
 *
 * @example Publish each order under its own subject, deduplicated on its id
 * ```ts
 * import { jetStreamSink } from "@ca/streams/nats";
 * import type { JetStreamSinkOptions } from "@ca/streams/nats";
 *
 * type Order = { id: string; region: string; total: number };
 * const options: JetStreamSinkOptions<Order> = {
 *   url: "nats://127.0.0.1:4222",
 *   subject: "orders.unknown",
 *   topic: (order) => `orders.${order.region}`,
 *   key: "/id", // the Nats-Msg-Id header: the stream drops a repeat
 * };
 * const sink = jetStreamSink(options); // connects on the first write
 * if (!(sink instanceof WritableStream)) throw new Error("unexpected");
 * ```
 */
export interface JetStreamSinkOptions<T>
  extends NatsConnectionOptions, MessageEncoding<T> {
  /**
   * The subject to publish to, unless `topic` picks one for the record. A
   * stream must capture it: the sink never creates a stream.
   */
  subject?: string;
  /** How long to wait for each PubAck, in ms (default 5000); a longer wait retries. */
  timeoutMs?: number;
  /** The stream the subject must land in: a PubAck from another fails the write. */
  expectStream?: string;
  /** Inside `pipeline()`, retries a failing write (see `batchSink()`). */
  retry?: BatchSinkOptions["retry"];
  /** Aborting it makes a write in flight give up and releases the connection. */
  signal?: AbortSignal;
}

/**
 * Publishes records to JetStream and counts a batch as stored only once
 * the server confirmed every message of it (a PubAck each): the whole batch
 * is encoded first (a record that cannot be encoded fails the write with a
 * `MessageError` before anything is sent, so a dead letter can isolate it),
 * then every message is sent at once and the PubAcks are awaited together.
 *
 * With `key`, the key goes into the `Nats-Msg-Id` header and the stream
 * drops a message whose id it saw within its duplicate window (two minutes
 * by default): a batch sent again after a failure or a crash is stored
 * once. A PubAck that does not come (a connection being cut) is waited for
 * again, with backoff, until the signal aborts; a server that refuses
 * (no stream for the subject, a wrong `expectStream`) fails the write.
 *
 * @typeParam T The record type.
 * @param options The subject, the encoding, the connection and `signal`.
 * @returns A batch sink; its `close()` lets go of the connection.
 *
 * @example Write records to JetStream (needs a NATS server with JetStream)
 * ```ts ignore
 * import { pipeline } from "@ca/streams";
 * import { jetStreamSink } from "@ca/streams/nats";
 *
 * const orders = [{ id: "a1", total: 3 }, { id: "a2", total: 5 }];
 * await pipeline(orders, jetStreamSink<{ id: string; total: number }>({
 *   url: "nats://127.0.0.1:4222",
 *   subject: "orders.created",
 *   key: "/id",
 * }));
 * ```
 *
 * @example A record that cannot be encoded fails before anything is sent
 * ```ts
 * import { jetStreamSink } from "@ca/streams/nats";
 * import { MessageError } from "@ca/streams/messages";
 *
 * const sink = jetStreamSink<{ n: bigint }>({ subject: "numbers", url: "nats://127.0.0.1:1" });
 * const writer = sink.getWriter();
 * try {
 *   await writer.write({ n: 1n }); // JSON cannot hold a bigint: no connection is made
 *   throw new Error("expected a MessageError");
 * } catch (error) {
 *   if (!(error instanceof MessageError)) throw error;
 * }
 * ```
 */
export function jetStreamSink<T = unknown>(
  options: JetStreamSinkOptions<T>,
): BatchSink<T> {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `Cannot create ${CONNECTOR}: options must be an object`,
    );
  }
  checkConnectionOptions(options, CONNECTOR);
  const { subject, timeoutMs = 5000, expectStream, signal } = options;
  if (subject !== undefined) checkSubject(subject, CONNECTOR, "subject");
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) {
    throw new RangeError(
      `Cannot create ${CONNECTOR}: timeoutMs must be a positive integer, got ${timeoutMs}`,
    );
  }
  const encode = messageEncoder(options, CONNECTOR);
  const publisher = publishLink(options, CONNECTOR, async (link) => {
    const { jetstream } = await importOptional(
      () => import("@nats-io/jetstream"),
      "@nats-io/jetstream",
      `open ${CONNECTOR}`,
    );
    return { js: jetstream(link.nc, { timeout: timeoutMs }) };
  });

  return batchSink<T>({
    async write(records, context) {
      const abort = signal === undefined
        ? context.signal
        : AbortSignal.any([context.signal, signal]);
      abort.throwIfAborted();
      const messages = encodeWithSubjects(records, encode, subject, CONNECTOR);
      const { js, toHeaders } = await publisher.open();
      await publishAll(js, toHeaders, messages, expectStream, timeoutMs, abort);
    },
    close: () => publisher.release(),
    abort: () => publisher.release({ flush: false }),
    health: publisher.health,
  }, options.retry === undefined ? {} : { retry: options.retry });
}

/**
 * Sends every message, then awaits the PubAcks; those that time out (a
 * connection being cut) are sent again, with backoff, until all are
 * confirmed or `signal` aborts.
 */
async function publishAll(
  js: JetStreamClient,
  toHeaders: ToHeaders,
  messages: Array<EncodedMessage & { subject: string }>,
  expectStream: string | undefined,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  let pending = messages;
  for (let attempt = 0; pending.length > 0; attempt++) {
    signal.throwIfAborted();
    const settled = Promise.allSettled(
      pending.map((message) =>
        js.publish(
          message.subject,
          message.payload,
          {
            msgID: message.key,
            headers: toHeaders(message.headers),
            timeout: timeoutMs,
            expect: expectStream === undefined ? undefined : {
              streamName: expectStream,
            },
          } as Parameters<JetStreamClient["publish"]>[2],
        ) as Promise<PubAck>
      ),
    );
    // An abort does not wait for PubAcks (a cut link waits out their timeout).
    const results = await orAbort(settled, signal);
    const again: typeof pending = [];
    for (let i = 0; i < results.length; i++) {
      const result = results[i]!;
      if (result.status === "fulfilled") continue;
      if (!isTransient(result.reason)) {
        throw new Error(
          `Cannot publish to "${pending[i]!.subject}" (${CONNECTOR}): ${
            describeRefusal(result.reason)
          }`,
          { cause: result.reason },
        );
      }
      again.push(pending[i]!);
    }
    pending = again;
    if (pending.length > 0) {
      await sleep(Math.min(50 * 2 ** attempt, 2000), signal);
    }
  }
}

/** A PubAck that did not come in time, or a connection being cut: try again. */
function isTransient(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  const message = error instanceof Error ? error.message : "";
  return name === "TimeoutError" || name === "RequestError" &&
      /timeout|disconnect|reconnect/i.test(message) ||
    /timeout|disconnect/i.test(message);
}

function describeRefusal(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  const message = error instanceof Error ? error.message : String(error);
  // Nobody answered the publish (nats.js v3 says "jetstream is not enabled").
  if (
    name === "NoRespondersError" || /jetstream is not enabled/i.test(message)
  ) {
    return "no stream captures the subject, or JetStream is not enabled (create a stream for it, or fix the subject)";
  }
  return message;
}
