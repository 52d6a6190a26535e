/**
 * The `pipeline` workload over a resumable source, shared by
 * `pipeline-resumable` and `pipeline-checkpoint`, so that they differ only in
 * the checkpoint option.
 *
 * @module
 */

import type { PipelineOptions } from "../../../mod.ts";
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

const SLICE = 1024;
/** Passes over the input in one run; see `ImplInfo.passes`. */
const PASSES = 10;

/**
 * Runs map, filter, map, map, map into a counting batch sink, from the
 * array served as a resumable source.
 *
 * @param records The input.
 * @param lib The library.
 * @param options Extra pipeline options (the checkpoint).
 * @returns Count and sum of `x`, and the pipeline's summary counters.
 */
export async function runWorkload(
  records: readonly InputRecord[],
  lib: Library,
  options: PipelineOptions | undefined,
): Promise<ImplResult> {
  const { pipeline, map, filter, batchSink, resumableSource } = lib;
  const source = resumableSource<InputRecord>({
    // Positions count across passes: pass p, index i is p * length + i.
    async *open(after) {
      const total = records.length * PASSES;
      for (let at = after === undefined ? 0 : Number(after); at < total;) {
        const offset = at % records.length;
        const end = Math.min(offset + SLICE, records.length);
        yield {
          records: records.slice(offset, end),
          position: at + end - offset,
        };
        at += end - offset;
      }
    },
  });
  let count = 0;
  let sum = 0;
  const summary = await pipeline(
    source,
    map(parse),
    filter(keep),
    map(score),
    map(bucket),
    map(output),
    batchSink<OutputRecord>({
      write(batch) {
        count += batch.length;
        for (const r of batch) sum += r.x;
      },
    }),
    options ?? {},
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
