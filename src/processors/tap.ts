// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { processorStream } from "../pipeline/processor_stream.ts";
import type { Step } from "../pipeline/step_chain.ts";
import { assertFunction } from "./assert_function.ts";
import type { FunctionOptions } from "./function_options.ts";
import { withRetry } from "./with_retry.ts";

/**
 * Returns a processor that calls `fn(record, index)` for each record and
 * passes the record on unchanged: for logging, metrics or side effects.
 *
 * An async `fn` is awaited before the record moves on. If `fn` throws or
 * rejects, the stream errors with a `RecordError` carrying the index.
 *
 * @typeParam T The record type.
 * @param fn Called with each record; its result is ignored.
 * @param options `retry`: a {@linkcode RetryPolicy} for failing calls.
 * @returns A `TransformStream` that emits its input unchanged.
 *
 * @example Count records as they pass
 * ```ts
 * import { tap } from "@ca/streams";
 *
 * let seen = 0;
 * const out = await Array.fromAsync(
 *   ReadableStream.from(["a", "b"]).pipeThrough(tap(() => void seen++)),
 * );
 * if (seen !== 2 || out.join() !== "a,b") throw new Error("unexpected");
 * ```
 */
export function tap<T>(
  fn: (record: T, index: number) => unknown,
  options?: FunctionOptions,
): TransformStream<T, T> {
  assertFunction("tap", "fn", fn);
  fn = withRetry("tap", fn, options);
  return processorStream<T, T>({
    kind: "step",
    name: fn.name || "tap",
    step: { kind: "tap", fn: fn as Step["fn"] },
  });
}
