// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import * as z from "zod/mini";
import { take } from "../../processors/take.ts";
import { defineProcessor } from "../define_processor.ts";
import type { ProcessorDefinition } from "../define_processor.ts";

/** The args of {@linkcode takeDefinition}. */
export interface TakeArgs {
  /** How many records pass; a non-negative integer. */
  count: number;
}

/**
 * `take`: passes the first `count` records, then ends the stream (the
 * source is cancelled). Built on `take()`.
 *
 * @example Take two
 * ```ts
 * import { builtinProcessors } from "@ca/streams/config";
 *
 * const definition = builtinProcessors().find((d) => d.name === "take")!;
 * const stream = await definition.create({ count: 2 }, {
 *   name: "first",
 *   pipelineId: "demo",
 *   baseUrl: "file:///tmp/",
 *   signal: new AbortController().signal,
 * }) as TransformStream<number, number>;
 * const out = await Array.fromAsync(
 *   ReadableStream.from([1, 2, 3]).pipeThrough(stream),
 * );
 * if (out.join() !== "1,2") throw new Error(`unexpected ${out}`);
 * ```
 */
export const takeDefinition: ProcessorDefinition<TakeArgs> = defineProcessor<
  TakeArgs
>({
  name: "take",
  kind: "processor",
  description: "Passes the first count records, then ends the stream.",
  args: z.strictObject({ count: z.int().check(z.minimum(0)) }),
  create: ({ count }): TransformStream<unknown, unknown> => take(count),
});
