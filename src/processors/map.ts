// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { processorStream } from "../pipeline/processor_stream.ts";
import type { Step } from "../pipeline/step_chain.ts";
import { assertFunction } from "./assert_function.ts";
import type { FunctionOptions } from "./function_options.ts";
import { withRetry } from "./with_retry.ts";

/**
 * Returns a processor that replaces each record with `fn(record, index)`.
 *
 * `fn` may be sync or async; it is awaited only when it returns a thenable,
 * and records are processed one at a time, in order (`mapConcurrent()`
 * overlaps async calls). `index` counts the records this processor has
 * received, from 0. If `fn` throws or rejects, the stream errors with a
 * `RecordError` carrying that index.
 *
 * @typeParam I The input record type.
 * @typeParam O The output record type.
 * @param fn The function applied to each record.
 * @param options `retry`: a {@linkcode RetryPolicy} for failing calls.
 * @returns A `TransformStream` from `I` to `O`.
 *
 * @example Double every number
 * ```ts
 * import { map } from "@ca/streams";
 *
 * const doubled = ReadableStream.from([1, 2, 3])
 *   .pipeThrough(map((n: number) => n * 2));
 * const out = await Array.fromAsync(doubled);
 * if (out.join() !== "2,4,6") throw new Error(`unexpected ${out}`);
 * ```
 */
export function map<I, O>(
  fn: (record: I, index: number) => O | PromiseLike<O>,
  options?: FunctionOptions,
): TransformStream<I, O> {
  assertFunction("map", "fn", fn);
  fn = withRetry("map", fn, options);
  return processorStream<I, O>({
    kind: "step",
    name: fn.name || "map",
    step: { kind: "map", fn: fn as Step["fn"] },
  });
}
