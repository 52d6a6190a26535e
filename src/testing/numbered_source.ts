// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { resumableSource } from "../sources/resumable_source.ts";
import type { ResumableSource } from "../sources/resumable_source.ts";
import { sleep } from "./case_run.ts";

/** Options for {@linkcode numberedSource}. */
export interface NumberedSourceOptions<T> {
  /** Records per batch. */
  batchSize: number;
  /**
   * Makes record `i` when the source runs past `records` (an endless
   * source); records made are appended to `records`.
   */
  more?: (index: number) => T;
  /** Wait a little before each batch after the first, so a stop lands mid-way. */
  pause?: boolean;
  /**
   * Once this many records were emitted in all, emit no more and wait
   * until the run is stopped or aborted: the run cannot end by itself.
   */
  holdAfter?: number;
}

/**
 * The source the sink cases write from: `records` in batches, the position
 * of a batch being the index of its last record, so a rerun resumes right
 * after what the checkpoint holds.
 */
export function numberedSource<T>(
  records: T[],
  options: NumberedSourceOptions<T>,
): ResumableSource<T> {
  const { batchSize, more, pause, holdAfter } = options;
  return resumableSource<T>({
    name: "conformance records",
    async *open(after, { signal }) {
      let next = after === undefined ? 0 : Number(after) + 1;
      for (let first = true;; first = false) {
        if (pause && !first) await sleep(1, signal);
        if (signal.aborted) return;
        if (holdAfter !== undefined && next >= holdAfter) {
          await new Promise<void>((resolve) => {
            if (signal.aborted) resolve();
            else {signal.addEventListener("abort", () => resolve(), {
                once: true,
              });}
          });
          return;
        }
        const end = next + batchSize;
        while (more && records.length < end) {
          records.push(more(records.length));
        }
        const batch = records.slice(next, end);
        if (batch.length === 0) return;
        next += batch.length;
        yield { records: batch, position: next - 1 };
      }
    },
  });
}
