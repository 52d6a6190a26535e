/**
 * `pipeline-merge2`: the `pipeline` workload from `merge()` of two array
 * sources, each half of the input (500,000 records each at the default
 * 1,000,000), into one counting `batchSink`. The halves are made by `prepare`,
 * untimed, as `pipeline`'s array is.
 *
 * @module
 */

import type { ImplResult, Library } from "../types.ts";
import {
  bucket,
  type InputRecord,
  keep,
  output,
  type OutputRecord,
  parse,
  score,
} from "../workload.ts";

/** The input in two halves, one per origin of the merge. */
export interface Halves {
  a: readonly InputRecord[];
  b: readonly InputRecord[];
}

/**
 * Splits the input in two.
 *
 * @param records The input.
 * @returns Its first and its second half.
 */
export function prepare(records: readonly InputRecord[]): Halves {
  const half = Math.ceil(records.length / 2);
  return { a: records.slice(0, half), b: records.slice(half) };
}

/**
 * Runs the workload.
 *
 * @param halves The input, split by `prepare`.
 * @param lib The library.
 * @returns Count and sum of `x`, and the pipeline's summary counters.
 */
export async function run(halves: Halves, lib: Library): Promise<ImplResult> {
  const { pipeline, merge, map, filter, batchSink } = lib;
  let count = 0;
  let sum = 0;
  const countingSink = batchSink<OutputRecord>({
    write(batch) {
      count += batch.length;
      for (const r of batch) sum += r.x;
    },
  });
  const summary = await pipeline(
    merge({ a: halves.a, b: halves.b }),
    map(parse),
    filter(keep),
    map(score),
    map(bucket),
    map(output),
    countingSink,
  );
  return {
    count,
    sum,
    summary: {
      recordsRead: summary.recordsRead,
      recordsWritten: summary.recordsWritten,
    },
  };
}
