// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import * as z from "zod/mini";
import { map } from "../../processors/map.ts";
import { defineProcessor } from "../define_processor.ts";
import type { ProcessorDefinition } from "../define_processor.ts";
import { assertObjectRecord } from "./json_value.ts";

/** The args of {@linkcode selectDefinition}. */
export interface SelectArgs {
  /** The fields to keep; at least one. */
  fields: string[];
}

/**
 * `select`: keeps only the given fields of each record (fields a record
 * lacks stay absent). Built on `map()`, so it fuses with its neighbours.
 *
 * @example Keep the id
 * ```ts
 * import { builtinProcessors } from "@ca/streams/config";
 *
 * const definition = builtinProcessors().find((d) => d.name === "select")!;
 * const stream = await definition.create({ fields: ["id"] }, {
 *   name: "ids",
 *   pipelineId: "demo",
 *   baseUrl: "file:///tmp/",
 *   signal: new AbortController().signal,
 * }) as TransformStream<object, object>;
 * const [out] = await Array.fromAsync(
 *   ReadableStream.from([{ id: 1, secret: "x" }]).pipeThrough(stream),
 * );
 * if (JSON.stringify(out) !== '{"id":1}') throw new Error("unexpected");
 * ```
 */
export const selectDefinition: ProcessorDefinition<SelectArgs> =
  defineProcessor<SelectArgs>({
    name: "select",
    kind: "processor",
    description: "Keeps only the given fields of each record.",
    args: z.strictObject({
      fields: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
    }),
    create({ fields }): TransformStream<unknown, Record<string, unknown>> {
      const keep = [...new Set(fields)];
      return map(function select(record: unknown): Record<string, unknown> {
        assertObjectRecord("select", record);
        const out: Record<string, unknown> = {};
        for (const field of keep) {
          if (Object.hasOwn(record, field)) out[field] = record[field];
        }
        return out;
      });
    },
  });
