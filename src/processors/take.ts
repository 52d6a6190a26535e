// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { processorStream } from "../pipeline/processor_stream.ts";

/**
 * Returns a processor that passes on the first `count` records and then
 * ends its output. Inside `pipeline()` the source is then cancelled and
 * what was already taken drains to the sink.
 *
 * @typeParam T The record type.
 * @param count How many records to pass on; a non-negative integer.
 * @returns A `TransformStream` that ends after `count` records.
 *
 * @example Take the first two
 * ```ts
 * import { take } from "@ca/streams";
 *
 * const out = await Array.fromAsync(
 *   ReadableStream.from([1, 2, 3, 4]).pipeThrough(take(2)),
 * );
 * if (out.join() !== "1,2") throw new Error(`unexpected ${out}`);
 * ```
 */
export function take<T>(count: number): TransformStream<T, T> {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(
      `Cannot create take(): count must be a non-negative integer, got ${count}`,
    );
  }
  return processorStream<T, T>({
    kind: "op",
    name: "take",
    create() {
      let left = count;
      return {
        get done() {
          return left === 0;
        },
        apply(records) {
          if (records.length <= left) {
            left -= records.length;
            return records;
          }
          const kept = records.slice(0, left);
          left = 0;
          return kept;
        },
      };
    },
  });
}
