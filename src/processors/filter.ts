// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { processorStream } from "../pipeline/processor_stream.ts";
import type { Step } from "../pipeline/step_chain.ts";
import { assertFunction } from "./assert_function.ts";
import type { FunctionOptions } from "./function_options.ts";
import { withRetry } from "./with_retry.ts";

/**
 * Returns a processor that keeps the records for which
 * `predicate(record, index)` is truthy and drops the others.
 *
 * The predicate may be sync or async (awaited only when it returns a
 * thenable). A type guard narrows the output type. If the predicate throws
 * or rejects, the stream errors with a `RecordError` carrying the index.
 *
 * @typeParam I The input record type.
 * @typeParam O The narrowed output type, when `predicate` is a type guard.
 * @param predicate Decides whether a record is kept.
 * @param options `retry`: a {@linkcode RetryPolicy} for failing calls.
 * @returns A `TransformStream` that passes the kept records on.
 *
 * @example Keep even numbers
 * ```ts
 * import { filter } from "@ca/streams";
 *
 * const even = ReadableStream.from([1, 2, 3, 4])
 *   .pipeThrough(filter((n: number) => n % 2 === 0));
 * const out = await Array.fromAsync(even);
 * if (out.join() !== "2,4") throw new Error(`unexpected ${out}`);
 * ```
 */
export function filter<I, O extends I>(
  predicate: (record: I, index: number) => record is O,
  options?: FunctionOptions,
): TransformStream<I, O>;
/**
 * Returns a processor that keeps the records for which
 * `predicate(record, index)` is truthy and drops the others.
 *
 * @typeParam I The record type.
 * @param predicate Decides whether a record is kept; may be async.
 * @param options `retry`: a {@linkcode RetryPolicy} for failing calls.
 * @returns A `TransformStream` that passes the kept records on.
 *
 * @example Drop blank lines
 * ```ts
 * import { filter } from "@ca/streams";
 *
 * const lines = ReadableStream.from(["a", "", "b"])
 *   .pipeThrough(filter((line: string) => line.length > 0));
 * const out = await Array.fromAsync(lines);
 * if (out.join() !== "a,b") throw new Error(`unexpected ${out}`);
 * ```
 */
export function filter<I>(
  predicate: (record: I, index: number) => unknown,
  options?: FunctionOptions,
): TransformStream<I, I>;
export function filter<I>(
  predicate: (record: I, index: number) => unknown,
  options?: FunctionOptions,
): TransformStream<I, I> {
  assertFunction("filter", "predicate", predicate);
  predicate = withRetry("filter", predicate, options);
  return processorStream<I, I>({
    kind: "step",
    name: predicate.name || "filter",
    step: { kind: "filter", fn: predicate as Step["fn"] },
  });
}
