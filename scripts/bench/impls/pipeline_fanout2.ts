/**
 * `pipeline-fanout2`: the `pipeline` workload into `fanOut()` to two counting
 * `batchSink`s, so every record is stored twice. Its rate is input records per
 * second, as `pipeline`'s is; both sinks must see the same count and sum.
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
 * @returns Count and sum of `x` (of either sink), and the pipeline's summary counters.
 */
export async function run(
  records: readonly InputRecord[],
  lib: Library,
): Promise<ImplResult> {
  const { pipeline, map, filter, batchSink, fanOut } = lib;
  // Two counting sinks, each written as `pipeline`'s one is.
  let countA = 0;
  let sumA = 0;
  const sinkA = batchSink<OutputRecord>({
    write(batch) {
      countA += batch.length;
      for (const r of batch) sumA += r.x;
    },
  });
  let countB = 0;
  let sumB = 0;
  const sinkB = batchSink<OutputRecord>({
    write(batch) {
      countB += batch.length;
      for (const r of batch) sumB += r.x;
    },
  });
  const summary = await pipeline(
    records,
    map(parse),
    filter(keep),
    map(score),
    map(bucket),
    map(output),
    fanOut({ a: sinkA, b: sinkB }),
  );
  if (countA !== countB || sumA !== sumB) {
    throw new Error(
      `Cannot trust pipeline-fanout2: sink a got count ${countA}, sum ${sumA}; ` +
        `sink b got count ${countB}, sum ${sumB}`,
    );
  }
  return {
    count: countA,
    sum: sumA,
    summary: {
      recordsRead: summary.recordsRead,
      recordsWritten: summary.recordsWritten,
    },
  };
}
