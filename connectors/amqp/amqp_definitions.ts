// Copyright 2026 the @ca/streams authors. MIT license.

import * as z from "zod/mini";
import { defineProcessor } from "../../src/config/define_processor.ts";
import type { Definition } from "../../src/config/definition_kinds.ts";
import {
  fieldSelectorArg,
  messageFormatArg,
} from "../../src/config/message_args.ts";
import { urlArg } from "../../src/config/url_arg.ts";
import { amqpSink } from "./amqp_sink.ts";
import { amqpSource } from "./amqp_source.ts";

const format = () => messageFormatArg();
const pointer = () => z.optional(fieldSelectorArg());
const clientOptions = () => z.optional(z.record(z.string(), z.json()));

const source = defineProcessor({
  name: "amqp-source",
  kind: "source",
  delivery: "at-least-once",
  description:
    "Consumes a RabbitMQ (AMQP 0-9-1) queue as messages, acknowledged only once stored; the queue keeps the position (needs the npm package amqplib).",
  args: z.strictObject({
    url: urlArg(["amqp", "amqps"]),
    queue: z.string().check(z.minLength(1)),
    assertQueue: z.optional(
      z.union([z.boolean(), z.record(z.string(), z.json())]),
    ),
    format: format(),
    batchSize: z.optional(z.int().check(z.positive())),
    prefetch: z.optional(z.int().check(z.positive(), z.maximum(65535))),
    lingerMs: z.optional(z.number().check(z.nonnegative())),
    clientOptions: clientOptions(),
  }),
  // The source opens its connection on the first read and closes it when
  // the run ends; amqplib loads then, not here.
  create: (args, context) => amqpSource({ ...args, signal: context.signal }),
});

const sink = defineProcessor({
  name: "amqp-sink",
  kind: "sink",
  delivery: "at-least-once",
  description:
    "Publishes records to a RabbitMQ (AMQP 0-9-1) exchange with publisher confirms, the key as messageId (needs the npm package amqplib).",
  args: z.strictObject({
    url: urlArg(["amqp", "amqps"]),
    exchange: z.optional(z.string()),
    routingKey: z.optional(z.string()),
    topic: pointer(),
    key: pointer(),
    value: pointer(),
    headers: pointer(),
    format: format(),
    cloudEventsMode: z.optional(z.enum(["structured", "binary"])),
    persistent: z.optional(z.boolean()),
    mandatory: z.optional(z.boolean()),
    contentType: z.optional(z.string()),
    clientOptions: clientOptions(),
  }),
  create: (args, context) =>
    amqpSink<unknown>({ ...args, signal: context.signal }),
});

/**
 * The AMQP connector's definitions for pipeline configs: `amqp-source`
 * (`{ use: amqp-source, args: { url, queue, format?, batchSize?,
 * prefetch?, assertQueue? } }`) and `amqp-sink` (`{ use: amqp-sink, args:
 * { url, exchange?, routingKey? or topic, key?, format?, persistent? } }`).
 * Importing this file loads no client: `amqplib` loads when a source
 * first reads or a sink first writes, and a missing package is an error
 * that names it.
 *
 * @returns A new array of the definitions.
 *
 * @example List them
 * ```ts
 * import { amqpDefinitions } from "@ca/streams/amqp";
 *
 * const names = amqpDefinitions().map((d) => `${d.kind}:${d.name}`);
 * if (names.join() !== "source:amqp-source,sink:amqp-sink") throw new Error(`unexpected ${names}`);
 * ```
 */
export function amqpDefinitions(): Definition[] {
  return [source as Definition, sink as Definition];
}
