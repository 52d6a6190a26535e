// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { checkDefinition } from "./check_definition.ts";
import type { StandardSchemaV1 } from "./standard_schema.ts";

/**
 * Where a processor stands in a pipeline: a `"source"` comes first, a
 * `"sink"` last, every `"processor"` in between.
 */
export type ProcessorKind = "source" | "processor" | "sink";

/** What a definition's `create` receives besides its args. */
export interface ProcessorContext {
  /** The processor's name in the config, such as `"source_processor"`. */
  name: string;
  /** The config's `id`. */
  pipelineId: string;
  /**
   * The URL of the config file's directory, ending with `/`: resolve
   * relative paths in args against it (`new URL(args.path, baseUrl)`).
   */
  baseUrl: string;
  /** Aborted when the runner stops: release what `create` opened. */
  signal: AbortSignal;
}

/**
 * A processor a pipeline config can `use` by name: its kind, its args
 * schema (any Standard Schema: zod, Valibot, ArkType...) and how to create
 * it from validated args.
 *
 * `create` returns, by kind: a source (anything `pipeline()` accepts as a
 * source, such as a `resumableSource()`), a processor (a `TransformStream`)
 * or a sink (a `WritableStream` or a `batchSink()`).
 *
 * @typeParam Args The args after validation.
 */
export interface ProcessorDefinition<Args = unknown> {
  /** The name configs `use`: kebab-case, or scoped (`"acme/fetch-page"`). */
  readonly name: string;
  /** Source, processor or sink. */
  readonly kind: ProcessorKind;
  /** One sentence for `ca list` and generated docs. */
  readonly description: string;
  /** Validates the `args` of the config; its output goes to `create`. */
  readonly args: StandardSchemaV1<unknown, Args>;
  /**
   * Creates the source, processor or sink. Called by a runner, once per
   * run, never while a config is parsed.
   *
   * @param args The validated args.
   * @param context The processor's name, the pipeline id, the config's
   * directory and an abort signal.
   * @returns The source, `TransformStream` or sink, or a promise of it.
   */
  create(args: Args, context: ProcessorContext): unknown | Promise<unknown>;
}

/**
 * Checks a processor definition and returns it, typed: `Args` is inferred
 * from the args schema, so `create` sees validated, typed args.
 *
 * @typeParam Args The args after validation.
 * @param definition The name, kind, description, args schema and `create`.
 * @returns The same definition.
 * @throws {TypeError} When a field is wrong: the message names it.
 *
 * @example Define a processor that upper-cases a field
 * ```ts
 * import { map } from "@ca/streams";
 * import { defineProcessor } from "@ca/streams/config";
 * import * as z from "zod/mini";
 *
 * export const upper = defineProcessor({
 *   name: "upper",
 *   kind: "processor",
 *   description: "Upper-cases one string field of each record.",
 *   args: z.strictObject({ field: z.string() }),
 *   create: ({ field }) =>
 *     map((record: Record<string, string>) => ({
 *       ...record,
 *       [field]: record[field]!.toUpperCase(),
 *     })),
 * });
 * if (upper.kind !== "processor") throw new Error("unexpected kind");
 * ```
 */
export function defineProcessor<Args>(
  definition: ProcessorDefinition<Args>,
): ProcessorDefinition<Args> {
  checkDefinition(definition, "define processor");
  return definition;
}
