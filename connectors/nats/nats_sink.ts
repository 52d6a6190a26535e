// Copyright 2026 the @ca/streams authors. MIT license.

import {
  messageEncoder,
  type MessageEncoding,
} from "../../src/messages/message_encoder.ts";
import { type BatchSink, batchSink } from "../../src/sinks/batch_sink.ts";
import { checkConnectionOptions } from "./connect_nats.ts";
import type { NatsConnectionOptions } from "./nats_connection_options.ts";
import {
  checkSubject,
  encodeWithSubjects,
  publishLink,
} from "./nats_publish.ts";

const CONNECTOR = "nats-sink";

/**
 * Options for {@linkcode natsSink}: where to connect, the subject, and where
 * each part of a message comes from (`MessageEncoding` of
 * `@ca/streams/messages`).
 *
 * @typeParam T The record type.
 *
 * @example Publish readings as text under a subject per sensor
 * ```ts
 * import { natsSink } from "@ca/streams/nats";
 * import type { NatsSinkOptions } from "@ca/streams/nats";
 *
 * type Reading = { sensor: string; celsius: number };
 * const options: NatsSinkOptions<Reading> = {
 *   subject: "sensors.unknown",
 *   topic: (reading) => `sensors.${reading.sensor}`,
 *   value: "/celsius",
 *   format: "text",
 * };
 * const sink = natsSink(options); // connects on the first write
 * if (!(sink instanceof WritableStream)) throw new Error("unexpected");
 * ```
 */
export interface NatsSinkOptions<T>
  extends NatsConnectionOptions, MessageEncoding<T> {
  /** The subject to publish to, unless `topic` picks one for the record. */
  subject?: string;
  /** Aborting it makes a write in flight give up and releases the connection. */
  signal?: AbortSignal;
}

/**
 * Publishes records on core NATS subjects. A batch counts as written once
 * the server has received all of it (a flush: PING and PONG after the
 * messages).
 *
 * **At most once.** Core NATS keeps nothing: a message reaches the
 * subscribers connected at that moment, or no one; nothing tells the sink
 * whether anyone got it. For at least once, publish into a JetStream
 * stream with {@linkcode jetStreamSink}.
 *
 * The whole batch is encoded before anything is sent: a record that cannot
 * be encoded fails the write with a `MessageError`. `key` goes into the
 * `Nats-Msg-Id` header (which only JetStream uses).
 *
 * @typeParam T The record type.
 * @param options The subject, the encoding, the connection and `signal`.
 * @returns A batch sink; its `close()` lets go of the connection.
 *
 * @example Publish greetings (needs a NATS server)
 * ```ts ignore
 * import { pipeline } from "@ca/streams";
 * import { natsSink } from "@ca/streams/nats";
 *
 * await pipeline(["hello", "world"], natsSink<string>({ subject: "greetings.en", format: "text" }));
 * ```
 *
 * @example A record without a subject fails before anything is sent
 * ```ts
 * import { natsSink } from "@ca/streams/nats";
 * import { MessageError } from "@ca/streams/messages";
 *
 * const sink = natsSink<{ to?: string }>({ topic: "/to", url: "nats://127.0.0.1:1" });
 * try {
 *   await sink.getWriter().write({}); // no topic, no subject option: no connection is made
 *   throw new Error("expected a MessageError");
 * } catch (error) {
 *   if (!(error instanceof MessageError)) throw error;
 * }
 * ```
 */
export function natsSink<T = unknown>(
  options: NatsSinkOptions<T>,
): BatchSink<T> {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `Cannot create ${CONNECTOR}: options must be an object`,
    );
  }
  checkConnectionOptions(options, CONNECTOR);
  const { subject, signal } = options;
  if (subject !== undefined) checkSubject(subject, CONNECTOR, "subject");
  const encode = messageEncoder(options, CONNECTOR);
  const publisher = publishLink(options, CONNECTOR);

  return batchSink<T>({
    async write(records, context) {
      const abort = signal === undefined
        ? context.signal
        : AbortSignal.any([context.signal, signal]);
      abort.throwIfAborted();
      const messages = encodeWithSubjects(records, encode, subject, CONNECTOR);
      const { link: { nc }, toHeaders } = await publisher.open();
      for (const message of messages) {
        const headers = toHeaders(
          message.key === undefined
            ? message.headers
            : { ...message.headers, "Nats-Msg-Id": message.key },
        );
        nc.publish(message.subject, message.payload, { headers });
      }
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(abort.reason);
        abort.addEventListener("abort", onAbort, { once: true });
        nc.flush().then(resolve, reject).finally(() =>
          abort.removeEventListener("abort", onAbort)
        );
      });
    },
    close: () => publisher.release(),
    abort: () => publisher.release({ flush: false }),
    health: publisher.health,
  });
}
