/**
 * (c) `pipeline-user-transforms`: `pipeline()` with the five stages as the user's own
 * `TransformStream`s, into the same `batchSink` as `pipeline`.
 *
 * @module
 */

import type { ImplResult, Library } from "../types.ts";
import { userStages } from "../user_transforms.ts";
import type { InputRecord, OutputRecord } from "../workload.ts";

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
  const { pipeline, batchSink } = lib;
  let count = 0;
  let sum = 0;
  const countingSink = batchSink<OutputRecord>({
    write(batch) {
      count += batch.length;
      for (const r of batch) sum += r.x;
    },
  });
  const s = userStages();
  const summary = await pipeline(
    records,
    s.parse,
    s.keep,
    s.score,
    s.bucket,
    s.output,
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
