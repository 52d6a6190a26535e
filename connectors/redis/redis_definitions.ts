// Copyright 2026 the @ca/streams authors. MIT license.

import * as z from "zod/mini";
import {
  defineProcessor,
  type ProcessorDefinition,
} from "../../src/config/define_processor.ts";
import { defineStore } from "../../src/config/define_store.ts";
import type { Definition } from "../../src/config/definition_kinds.ts";
import {
  fieldSelectorArg,
  messageFormatArg,
} from "../../src/config/message_args.ts";
import { urlArg } from "../../src/config/url_arg.ts";
import { redisStore } from "./redis_store.ts";
import { redisStreamSink } from "./redis_stream_sink.ts";
import { redisStreamSource } from "./redis_stream_source.ts";

const url = urlArg(["redis", "rediss"]);
const name = z.string().check(z.minLength(1));
const format = messageFormatArg();
const pointer = z.optional(fieldSelectorArg());
const count = (min: number) =>
  z.optional(z.number().check(z.int(), z.gte(min)));

const store = defineStore({
  name: "redis",
  description:
    "Keeps checkpoints in Redis, one hash per pipeline id, fenced by Lua scripts (needs the npm package redis).",
  args: z.strictObject({
    url,
    prefix: z.optional(z.string()),
  }),
  // The store owns the connection it opens from the URL: its close() ends
  // it. The `redis` package loads on the first call, not here.
  create: ({ url, prefix }) =>
    redisStore(url, prefix === undefined ? {} : { prefix }),
});

const source = defineProcessor({
  name: "redis-stream-source",
  kind: "source",
  delivery: "at-least-once",
  description:
    "Reads a Redis stream through a consumer group (XREADGROUP, created when missing), acknowledges entries (XACK) once stored, takes over entries left pending (XAUTOCLAIM); the group keeps the position (needs the npm package redis).",
  args: z.strictObject({
    url,
    stream: name,
    group: name,
    consumer: z.optional(name),
    format,
    valueField: z.optional(name),
    keyField: z.optional(name),
    start: z.optional(z.enum(["oldest", "newest"])),
    batchSize: count(1),
    blockMs: count(1),
    claimIdleMs: count(0),
    reconnectTimeoutMs: count(0),
  }),
  // The consumer name defaults to the pipeline's id: stable across
  // restarts, so a restarted run reads its own pending entries first.
  create: (args, context) =>
    redisStreamSource({
      ...args,
      consumer: args.consumer ?? (context.pipelineId || undefined),
      signal: context.signal,
    }),
});

const sink = defineProcessor({
  name: "redis-stream-sink",
  kind: "sink",
  delivery: "at-least-once",
  description:
    "Appends records to a Redis stream, one pipelined XADD per record of a batch, optionally capped (MAXLEN ~); done once Redis confirmed (needs the npm package redis).",
  args: z.strictObject({
    url,
    stream: z.optional(name),
    value: pointer,
    key: pointer,
    headers: pointer,
    topic: pointer,
    format,
    cloudEventsMode: z.optional(z.enum(["structured", "binary"])),
    valueField: z.optional(name),
    keyField: z.optional(name),
    maxLen: count(1),
    reconnectTimeoutMs: count(0),
  }).check(
    z.refine((args) => args.stream !== undefined || args.topic !== undefined, {
      message: "expected stream, or topic to take each record's stream from",
    }),
  ),
  create: (args, context) =>
    redisStreamSink({ ...args, signal: context.signal }),
});

/**
 * The Redis connector's definitions for pipeline configs: the `redis`
 * checkpoint store (`checkpoint.store: { type: redis, url, prefix? }`),
 * the source `redis-stream-source` and the sink `redis-stream-sink`.
 * Importing this file loads no client: the `redis` package loads when a
 * store, source or sink first talks to Redis, and a missing package is an
 * error that names it.
 *
 * @returns A new array of the definitions.
 *
 * @example List them
 * ```ts
 * import { redisDefinitions } from "./redis_definitions.ts";
 *
 * const names = redisDefinitions().map((d) => `${d.kind}:${d.name}`);
 * if (names.join() !== "store:redis,source:redis-stream-source,sink:redis-stream-sink") {
 *   throw new Error(`unexpected ${names}`);
 * }
 * ```
 */
export function redisDefinitions(): Definition[] {
  return [
    store as Definition,
    source as ProcessorDefinition as Definition,
    sink as ProcessorDefinition as Definition,
  ];
}
