// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { checkDefinition, typeName } from "./check_definition.ts";
import type { StandardSchemaV1 } from "./standard_schema.ts";

/**
 * Where a processor stands in a pipeline: a `"source"` comes first, a
 * `"sink"` last, every `"processor"` in between.
 *
 * @example Where each builtin may stand
 * ```ts
 * import { builtinDefinitions, Registry } from "@ca/streams/config";
 * import type { ProcessorKind } from "@ca/streams/config";
 *
 * const registry = new Registry(builtinDefinitions());
 * const kindOf = (name: string): ProcessorKind | undefined => registry.processor(name)?.kind;
 * if (kindOf("generate") !== "source" || kindOf("take") !== "processor") {
 *   throw new Error("unexpected kinds");
 * }
 * if (kindOf("console-sink") !== "sink") throw new Error("unexpected sink kind");
 * ```
 */
export type ProcessorKind = "source" | "processor" | "sink";

/**
 * What a source, sink or channel promises about each record, for the
 * catalog and `ca list`: `"exactly-once"`, `"at-least-once"` (resumes
 * from a checkpoint, may repeat after a crash), `"at-most-once"`,
 * `"best-effort"` (no acknowledgement) or `"none"` (nothing is kept).
 *
 * @example Declare what a sink guarantees, for the catalog
 * ```ts
 * import { batchSink } from "@ca/streams";
 * import { defineProcessor } from "@ca/streams/config";
 * import type { DeliveryGuarantee } from "@ca/streams/config";
 * import * as z from "zod/mini";
 *
 * const delivery: DeliveryGuarantee = "best-effort";
 * const alertSink = defineProcessor({
 *   name: "alert-sink",
 *   kind: "sink",
 *   description: "Sends each record as an alert, without acknowledgement.",
 *   args: z.strictObject({}),
 *   delivery,
 *   create: () => batchSink({ write() {} }),
 * });
 * if (alertSink.delivery !== "best-effort") throw new Error("unexpected");
 * ```
 */
export type DeliveryGuarantee =
  | "exactly-once"
  | "at-least-once"
  | "at-most-once"
  | "best-effort"
  | "none";

/**
 * What a definition's `create` receives besides its args.
 *
 * @example Resolve a path in args against the config's directory
 * ```ts
 * import { defineProcessor } from "@ca/streams/config";
 * import type { ProcessorContext } from "@ca/streams/config";
 * import * as z from "zod/mini";
 *
 * const located = defineProcessor({
 *   name: "located",
 *   kind: "source",
 *   description: "Emits the URL of a path next to the config file.",
 *   args: z.strictObject({ path: z.string() }),
 *   create: ({ path }, context: ProcessorContext) => [new URL(path, context.baseUrl).href],
 * });
 * const context: ProcessorContext = {
 *   name: "where",
 *   pipelineId: "demo",
 *   baseUrl: "file:///srv/pipelines/",
 *   signal: new AbortController().signal,
 * };
 * const source = await located.create({ path: "data/in.ndjson" }, context);
 * if (JSON.stringify(source) !== '["file:///srv/pipelines/data/in.ndjson"]') {
 *   throw new Error(`unexpected ${JSON.stringify(source)}`);
 * }
 * ```
 */
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
 *
 * @example Validate args and create a processor, as a runner does
 * ```ts
 * import { builtinDefinitions, Registry } from "@ca/streams/config";
 * import type { ProcessorDefinition } from "@ca/streams/config";
 *
 * const take: ProcessorDefinition = new Registry(builtinDefinitions()).processor("take")!;
 * const result = await take.args["~standard"].validate({ count: 2 });
 * if (result.issues) throw new Error(result.issues[0]!.message);
 * const stream = await take.create(result.value, {
 *   name: "first-two",
 *   pipelineId: "demo",
 *   baseUrl: "file:///srv/",
 *   signal: new AbortController().signal,
 * }) as TransformStream<number, number>;
 * const out = await Array.fromAsync(ReadableStream.from([1, 2, 3]).pipeThrough(stream));
 * if (out.join() !== "1,2") throw new Error(`unexpected ${out}`);
 * ```
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
   * What a source or sink guarantees, for the catalog: a resumable source
   * and a sink that stores before its `write` resolves are
   * `"at-least-once"` with a checkpoint store.
   */
  readonly delivery?: DeliveryGuarantee;
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
  /**
   * Undoes what the connector keeps outside the pipeline when it is
   * deleted: a replication slot, a durable consumer. Optional. A connector
   * host calls it on `DELETE /connectors/{id}`, once the connector is
   * stopped, for each processor of its config whose definition has one;
   * when it rejects, the connector is kept and the delete may be tried
   * again, so it must succeed when there is nothing (left) to remove.
   *
   * @param args The validated args, as `create` gets them.
   * @param context The processor's name, the pipeline id, the config's
   * directory and an abort signal.
   * @returns Once it is removed.
   */
  remove?(args: Args, context: ProcessorContext): Promise<void>;
}

/**
 * Checks a processor definition and returns it, typed: `Args` is inferred
 * from the args schema, so `create` sees validated, typed args.
 *
 * @typeParam Args The args after validation.
 * @param definition The name, kind, description, args schema and `create`
 * (and optionally `delivery` and `remove`).
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
  checkDefinition(definition, "define processor", [
    "source",
    "processor",
    "sink",
  ]);
  const { remove } = definition as { remove?: unknown };
  if (remove !== undefined && typeof remove !== "function") {
    throw new TypeError(
      `Cannot define processor "${definition.name}": remove must be a function when given, got ${
        typeName(remove)
      }`,
    );
  }
  return definition;
}
