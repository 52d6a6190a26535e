// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import * as z from "zod/mini";
import { map } from "../../processors/map.ts";
import { defineProcessor } from "../define_processor.ts";
import type { ProcessorDefinition } from "../define_processor.ts";
import { assertObjectRecord, copyJson, type JsonValue } from "./json_value.ts";

/** The args of {@linkcode setDefinition}. */
export interface SetArgs {
  /** The field to set. */
  field: string;
  /** Its new value, any JSON (each record gets its own copy). */
  value: JsonValue;
}

/**
 * `set`: sets `field` to `value` on a copy of each record. Built on
 * `map()`, so it fuses with its neighbours.
 *
 * @example Mark every record
 * ```ts
 * import { builtinProcessors } from "@ca/streams/config";
 *
 * const definition = builtinProcessors().find((d) => d.name === "set")!;
 * const stream = await definition.create(
 *   { field: "seen", value: true },
 *   {
 *     name: "mark",
 *     pipelineId: "demo",
 *     baseUrl: "file:///tmp/",
 *     signal: new AbortController().signal,
 *   },
 * ) as TransformStream<object, { seen: boolean }>;
 * const [out] = await Array.fromAsync(
 *   ReadableStream.from([{ id: 1 }]).pipeThrough(stream),
 * );
 * if (out?.seen !== true) throw new Error("unexpected");
 * ```
 */
export const setDefinition: ProcessorDefinition<SetArgs> = defineProcessor<
  SetArgs
>({
  name: "set",
  kind: "processor",
  description: "Sets a field of each record to a JSON value.",
  args: z.strictObject({
    field: z.string().check(z.minLength(1)),
    value: z.json(),
  }),
  create({ field, value }): TransformStream<unknown, Record<string, unknown>> {
    const nested = value !== null && typeof value === "object";
    return map(function set(record: unknown): Record<string, unknown> {
      assertObjectRecord("set", record);
      return { ...record, [field]: nested ? copyJson(value) : value };
    });
  },
});
