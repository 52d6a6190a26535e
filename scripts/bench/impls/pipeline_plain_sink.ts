/**
 * (b2) `pipeline-plain-sink`: as `pipeline`, into a plain `WritableStream` that takes one
 * record per write.
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
  const { pipeline, map, filter } = lib;
  let count = 0;
  let sum = 0;
  const sink = new WritableStream<OutputRecord>({
    write(r) {
      count++;
      sum += r.x;
    },
  });
  const summary = await pipeline(
    records,
    map(parse),
    filter(keep),
    map(score),
    map(bucket),
    map(output),
    sink,
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
