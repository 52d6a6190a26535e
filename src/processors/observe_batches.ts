// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { processorStream } from "../pipeline/processor_stream.ts";
import { isThenable } from "../util/is_thenable.ts";
import { assertFunction } from "./assert_function.ts";

/**
 * Returns a processor that calls `fn(records)` once per batch and passes
 * the batch on unchanged: the hook for metrics (counts, sizes, timings)
 * that must not cost a call per record.
 *
 * Inside `pipeline()` it fuses with its neighbours: no stream hop of its
 * own, one call per batch that reaches it. Empty batches (every record
 * dropped upstream) are skipped. Used alone, as a plain `TransformStream`,
 * each chunk is a batch of one record.
 *
 * `records` is the array that moves on to the next processor: read it,
 * never change it or keep it. An async `fn` is awaited before the batch
 * moves on, so keep it synchronous where speed matters. If `fn` throws or
 * rejects, the stream errors (in a pipeline, with a `StageError` naming
 * this processor).
 *
 * @typeParam T The record type.
 * @param fn Called with the records of each batch; its result is ignored.
 * @returns A `TransformStream` that emits its input unchanged.
 *
 * @example Count records and batches between two stages
 * ```ts
 * import { collect, map, observeBatches, pipeline } from "@ca/streams";
 *
 * let records = 0;
 * let batches = 0;
 * const sink = collect<number>();
 * await pipeline(
 *   Array.from({ length: 2500 }, (_, i) => i),
 *   map((n: number) => n * 2),
 *   observeBatches((batch: readonly number[]) => {
 *     batches++;
 *     records += batch.length;
 *   }),
 *   sink,
 *   { batchSize: 1000 },
 * );
 * if (records !== 2500 || batches !== 3 || sink.records.length !== 2500) {
 *   throw new Error(`unexpected ${records} records in ${batches} batches`);
 * }
 * ```
 *
 * @example Used alone, every chunk is a batch of one
 * ```ts
 * import { observeBatches } from "@ca/streams";
 *
 * const sizes: number[] = [];
 * const out = await Array.fromAsync(
 *   ReadableStream.from(["a", "b"]).pipeThrough(
 *     observeBatches((batch: readonly string[]) => void sizes.push(batch.length)),
 *   ),
 * );
 * if (out.join() !== "a,b" || sizes.join() !== "1,1") throw new Error("unexpected");
 * ```
 */
export function observeBatches<T>(
  fn: (records: readonly T[]) => unknown,
): TransformStream<T, T> {
  assertFunction("observeBatches", "fn", fn);
  return processorStream<T, T>({
    kind: "op",
    name: fn.name || "observeBatches",
    create() {
      return {
        apply(records) {
          if (records.length === 0) return records;
          const result = fn(records);
          return isThenable(result)
            ? Promise.resolve(result).then(() => records)
            : records;
        },
      };
    },
  });
}
