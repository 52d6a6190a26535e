// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import * as z from "zod/mini";
import { filter } from "../../processors/filter.ts";
import { defineProcessor } from "../define_processor.ts";
import type { ProcessorDefinition } from "../define_processor.ts";
import { jsonEqual, type JsonValue } from "./json_value.ts";

/** The args of {@linkcode whereDefinition}. */
export interface WhereArgs {
  /** The field compared. */
  field: string;
  /** The JSON value it must equal (deeply, for objects and arrays). */
  equals: JsonValue;
}

/**
 * `where`: keeps the records whose `field` equals `equals` (deep JSON
 * equality); a record without the field, or that is not an object, is
 * dropped. Built on `filter()`, so it fuses with its neighbours.
 *
 * @example Keep the paid orders
 * ```ts
 * import { builtinProcessors } from "@ca/streams/config";
 *
 * const definition = builtinProcessors().find((d) => d.name === "where")!;
 * const stream = await definition.create(
 *   { field: "status", equals: "paid" },
 *   {
 *     name: "paid",
 *     pipelineId: "demo",
 *     baseUrl: "file:///tmp/",
 *     signal: new AbortController().signal,
 *   },
 * ) as TransformStream<{ id: number }, { id: number }>;
 * const out = await Array.fromAsync(
 *   ReadableStream.from([
 *     { id: 1, status: "paid" },
 *     { id: 2, status: "open" },
 *   ]).pipeThrough(stream),
 * );
 * if (out.map((o) => o.id).join() !== "1") throw new Error("unexpected");
 * ```
 */
export const whereDefinition: ProcessorDefinition<WhereArgs> = defineProcessor<
  WhereArgs
>({
  name: "where",
  kind: "processor",
  description: "Keeps the records whose field equals a JSON value.",
  args: z.strictObject({
    field: z.string().check(z.minLength(1)),
    equals: z.json(),
  }),
  create({ field, equals }): TransformStream<unknown, unknown> {
    return filter(function where(record: unknown): boolean {
      return record !== null && typeof record === "object" &&
        Object.hasOwn(record, field) &&
        jsonEqual((record as Record<string, unknown>)[field], equals);
    });
  },
});
