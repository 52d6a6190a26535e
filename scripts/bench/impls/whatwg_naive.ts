/**
 * (d) `whatwg-naive`: raw chained `TransformStream`s, one record per chunk, no library.
 *
 * @module
 */

import type { Checksum } from "../types.ts";
import { userStages } from "../user_transforms.ts";
import type { InputRecord, OutputRecord } from "../workload.ts";

/**
 * Runs the workload.
 *
 * @param records The input.
 * @returns Count and sum of `x`.
 */
export async function run(records: readonly InputRecord[]): Promise<Checksum> {
  let count = 0;
  let sum = 0;
  const s = userStages();
  await ReadableStream.from(records)
    .pipeThrough(s.parse)
    .pipeThrough(s.keep)
    .pipeThrough(s.score)
    .pipeThrough(s.bucket)
    .pipeThrough(s.output)
    .pipeTo(
      new WritableStream<OutputRecord>({
        write(r) {
          count++;
          sum += r.x;
        },
      }),
    );
  return { count, sum };
}
