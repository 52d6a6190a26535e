/**
 * (b) `pipeline`: the library's processors into a `batchSink`, the way the docs tell users
 * to write it.
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

/**
 * Runs the workload.
 *
 * @param records The input.
 * @param lib The library.
 * @returns Count and sum of `x`, and the pipeline's summary counters.
 */
export async function run(
  records: readonly InputRecord[],
  lib: Library,
): Promise<ImplResult> {
  const { pipeline, map, filter, batchSink } = lib;
  let count = 0;
  let sum = 0;
  const countingSink = batchSink<OutputRecord>({
    write(batch) {
      count += batch.length;
      for (const r of batch) sum += r.x;
    },
  });
  const summary = await pipeline(
    records,
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
