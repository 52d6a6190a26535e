// Copyright 2026 the @ca/streams authors. MIT license.

import * as z from "zod/mini";
import {
  defineProcessor,
  type ProcessorContext,
  type ProcessorDefinition,
} from "../../src/config/define_processor.ts";
import type { Definition } from "../../src/config/definition_kinds.ts";
import {
  fieldSelectorArg,
  messageFormatArg,
} from "../../src/config/message_args.ts";
import { natsUrlArg } from "./_nats_url_arg.ts";
import { toFilePath } from "../runtime/to_file_path.ts";
import { jetStreamSink } from "./jetstream_sink.ts";
import { jetStreamSource } from "./jetstream_source.ts";
import type { NatsConnectionOptions } from "./nats_connection_options.ts";
import { natsKvStoreDefinitions } from "./nats_kv_store_definition.ts";
import { natsSink } from "./nats_sink.ts";
import { natsSource } from "./nats_source.ts";

const positive = () => z.optional(z.int().check(z.positive()));
const name = () =>
  z.string().check(
    z.regex(/^[^\s.*>]+$/, "expected a name without spaces, dots or wildcards"),
  );
const subject = () =>
  z.string().check(
    z.regex(/^[^\s]+$/, 'expected a subject such as "orders.created"'),
  );

/** Connection args shared by the four definitions. */
const connection = {
  url: z.optional(natsUrlArg()),
  user: z.optional(z.string()),
  pass: z.optional(z.string()),
  token: z.optional(z.string()),
  tls: z.optional(z.strictObject({
    caFile: z.optional(z.string()),
    certFile: z.optional(z.string()),
    keyFile: z.optional(z.string()),
  })),
  name: z.optional(z.string()),
};

interface ConnectionArgs {
  url?: string | string[];
  user?: string;
  pass?: string;
  token?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  name?: string;
}

/** The connector options of the connection args (TLS files relative to the config). */
function connectionOptions(
  args: ConnectionArgs,
  context: ProcessorContext,
): NatsConnectionOptions {
  const connectOptions: NonNullable<NatsConnectionOptions["connectOptions"]> =
    {};
  if (args.user !== undefined) connectOptions.user = args.user;
  if (args.pass !== undefined) connectOptions.pass = args.pass;
  if (args.token !== undefined) connectOptions.token = args.token;
  if (args.name !== undefined) connectOptions.name = args.name;
  if (args.tls !== undefined) {
    const tls: Record<string, string> = {};
    for (const [key, path] of Object.entries(args.tls)) {
      if (path !== undefined) tls[key] = toFilePath(path, context.baseUrl);
    }
    connectOptions.tls = tls;
  }
  return { url: args.url, connectOptions };
}

const encoding = {
  value: z.optional(fieldSelectorArg()),
  key: z.optional(fieldSelectorArg()),
  headers: z.optional(fieldSelectorArg()),
  topic: z.optional(fieldSelectorArg()),
  format: messageFormatArg(),
  cloudEventsMode: z.optional(z.enum(["structured", "binary"])),
};

/**
 * The NATS connector's definitions for pipeline configs: `jetstream-source`
 * (a durable pull consumer, at least once), `jetstream-sink` (PubAck per
 * message, `Nats-Msg-Id` from `key`), `nats-source` and `nats-sink` (core
 * NATS subjects, at most once). Connection args: `url` (`nats://`,
 * `tls://`, `ws://` or `wss://`, default `nats://127.0.0.1:4222`), `user`
 * and `pass`, `token`, `tls` (`caFile`, `certFile`, `keyFile`, relative to
 * the config file) and `name`. Importing this file loads no client: the
 * `@nats-io/*` packages load when a source reads or a sink writes.
 *
 * @returns A new array of the definitions.
 *
 * @example List them
 * ```ts
 * import { natsDefinitions } from "./nats_definitions.ts";
 *
 * const names = natsDefinitions().map((d) => `${d.kind}:${d.name}`);
 * if (names.join() !== "source:jetstream-source,sink:jetstream-sink,source:nats-source,sink:nats-sink,store:nats-kv") {
 *   throw new Error(`unexpected ${names}`);
 * }
 * ```
 */
export function natsDefinitions(): Definition[] {
  return [
    defineProcessor({
      name: "jetstream-source",
      kind: "source",
      delivery: "at-least-once",
      description:
        "Reads a JetStream stream through a durable pull consumer (created when missing), acknowledging each message only once the sink stored it; the server keeps the position (needs the npm packages @nats-io/transport-node and @nats-io/jetstream).",
      args: z.strictObject({
        ...connection,
        stream: name(),
        consumer: name(),
        filterSubject: z.optional(subject()),
        deliver: z.optional(z.enum(["all", "new"])),
        ackWaitMs: positive(),
        maxAckPending: positive(),
        reset: z.optional(
          z.union([
            z.literal("start"),
            z.strictObject({ sequence: z.int().check(z.positive()) }),
          ]),
        ),
        format: messageFormatArg(),
        batchSize: positive(),
        fetchWaitMs: z.optional(z.int().check(z.minimum(1000))),
      }),
      create: (args, context) =>
        jetStreamSource({
          ...connectionOptions(args, context),
          stream: args.stream,
          consumer: args.consumer,
          filterSubject: args.filterSubject,
          deliver: args.deliver,
          ackWaitMs: args.ackWaitMs,
          maxAckPending: args.maxAckPending,
          reset: args.reset,
          format: args.format,
          batchSize: args.batchSize,
          fetchWaitMs: args.fetchWaitMs,
          signal: context.signal,
        }),
    }) as ProcessorDefinition,
    defineProcessor({
      name: "jetstream-sink",
      kind: "sink",
      delivery: "at-least-once",
      description:
        "Publishes records to JetStream and counts them stored on each PubAck; the key becomes Nats-Msg-Id, so the stream drops repeats (needs the npm packages @nats-io/transport-node and @nats-io/jetstream).",
      args: z.strictObject({
        ...connection,
        ...encoding,
        subject: z.optional(subject()),
        timeoutMs: positive(),
        expectStream: z.optional(name()),
      }),
      create: (args, context) =>
        jetStreamSink({
          ...connectionOptions(args, context),
          subject: args.subject,
          value: args.value,
          key: args.key,
          headers: args.headers,
          topic: args.topic,
          format: args.format,
          cloudEventsMode: args.cloudEventsMode,
          timeoutMs: args.timeoutMs,
          expectStream: args.expectStream,
          signal: context.signal,
        }),
    }) as ProcessorDefinition,
    defineProcessor({
      name: "nats-source",
      kind: "source",
      delivery: "at-most-once",
      description:
        "Subscribes to a core NATS subject (wildcards, optional queue group); core NATS keeps nothing, so messages published while it is not subscribed are lost (needs the npm package @nats-io/transport-node).",
      args: z.strictObject({
        ...connection,
        subject: subject(),
        queue: z.optional(z.string().check(z.minLength(1))),
        format: messageFormatArg(),
        batchSize: positive(),
      }),
      create: (args, context) =>
        natsSource({
          ...connectionOptions(args, context),
          subject: args.subject,
          queue: args.queue,
          format: args.format,
          batchSize: args.batchSize,
          signal: context.signal,
        }),
    }) as ProcessorDefinition,
    defineProcessor({
      name: "nats-sink",
      kind: "sink",
      delivery: "at-most-once",
      description:
        "Publishes records on core NATS subjects, flushed to the server; nothing confirms delivery to a subscriber (needs the npm package @nats-io/transport-node).",
      args: z.strictObject({
        ...connection,
        ...encoding,
        subject: z.optional(subject()),
      }),
      create: (args, context) =>
        natsSink({
          ...connectionOptions(args, context),
          subject: args.subject,
          value: args.value,
          key: args.key,
          headers: args.headers,
          topic: args.topic,
          format: args.format,
          cloudEventsMode: args.cloudEventsMode,
          signal: context.signal,
        }),
    }) as ProcessorDefinition,
    ...natsKvStoreDefinitions(),
  ];
}
