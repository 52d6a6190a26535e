/**
 * `pipeline-resumable`: the `pipeline` workload read from a resumable source
 * (the array in slices of 1024, each with its end index as position), with no
 * checkpoint. The baseline for `pipeline-checkpoint`.
 *
 * @module
 */

import type { ImplResult, Library } from "../types.ts";
import type { InputRecord } from "../workload.ts";
import { runWorkload } from "./resumable_workload.ts";

/**
 * Runs the workload.
 *
 * @param records The input.
 * @param lib The library.
 * @returns Count and sum of `x`, and the pipeline's summary counters.
 */
export function run(
  records: readonly InputRecord[],
  lib: Library,
): Promise<ImplResult> {
  return runWorkload(records, lib, undefined);
}
