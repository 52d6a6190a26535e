/**
 * (a) `loop`: a plain loop applying the five functions to each record, the limit for any
 * library that calls user functions. Also the checksum reference.
 *
 * @module
 */

import type { Checksum } from "../types.ts";
import {
  bucket,
  type InputRecord,
  keep,
  output,
  parse,
  score,
} from "../workload.ts";

/**
 * Runs the workload.
 *
 * @param records The input.
 * @returns Count and sum of `x` over the output records.
 */
export function run(records: readonly InputRecord[]): Checksum {
  let count = 0;
  let sum = 0;
  let kept = 0;
  for (let i = 0; i < records.length; i++) {
    const parsed = parse(records[i], i);
    if (!keep(parsed, i)) continue;
    const out = output(bucket(score(parsed, kept), kept), kept);
    kept++;
    count++;
    sum += out.x;
  }
  return { count, sum };
}
