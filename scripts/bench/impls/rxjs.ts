/**
 * (e) `rxjs`: RxJS 7, `from(array).pipe(map, filter, map, map, map)`.
 *
 * @module
 */

import { filter, from, map } from "rxjs";
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
 * @returns Count and sum of `x`.
 */
export function run(records: readonly InputRecord[]): Promise<Checksum> {
  return new Promise((resolve, reject) => {
    let count = 0;
    let sum = 0;
    from(records)
      .pipe(map(parse), filter(keep), map(score), map(bucket), map(output))
      .subscribe({
        next(r) {
          count++;
          sum += r.x;
        },
        error: reject,
        complete() {
          resolve({ count, sum });
        },
      });
  });
}
