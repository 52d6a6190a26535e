// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { stageStream } from "../pipeline/stage_stream.ts";
import type { BatchController } from "../pipeline/processor_spec.ts";
import { stageProcessorStream } from "../pipeline/stage_processor_stream.ts";

/**
 * Options for {@linkcode batch}.
 *
 * @example Emit a partial group when the source pauses
 * ```ts
 * import { batch } from "@ca/streams";
 * import type { BatchOptions } from "@ca/streams";
 *
 * const options: BatchOptions = { maxWaitMs: 10 };
 * const slow = new ReadableStream<number>({
 *   async start(controller) {
 *     [1, 2, 3].forEach((n) => controller.enqueue(n));
 *     await new Promise((resolve) => setTimeout(resolve, 100));
 *     controller.enqueue(4);
 *     controller.close();
 *   },
 * });
 * const groups = await Array.fromAsync(slow.pipeThrough(batch(10, options)));
 * if (JSON.stringify(groups) !== "[[1,2,3],[4]]") throw new Error("unexpected");
 * ```
 */
export interface BatchOptions {
  /**
   * Emit a partial group once this many milliseconds have passed since its
   * first record arrived, so a slow source still makes progress. By default
   * a partial group waits for more records or for the end of the input.
   */
  maxWaitMs?: number;
}

/**
 * Returns a processor that groups records into arrays of `size` (the last
 * group may be shorter). With `maxWaitMs`, a group that has waited that
 * long is emitted even if it is not full.
 *
 * Use it in front of a sink that writes in bulk; `unbatch()` undoes it.
 * Inside `pipeline()` records already travel in batches: you need `batch()`
 * only when your own code wants arrays.
 *
 * @typeParam T The record type.
 * @param size Records per group; a positive integer.
 * @param options `maxWaitMs` bounds how long a partial group waits.
 * @returns A `TransformStream` from `T` to `T[]`.
 *
 * @example Groups of two
 * ```ts
 * import { batch } from "@ca/streams";
 *
 * const out = await Array.fromAsync(
 *   ReadableStream.from([1, 2, 3, 4, 5]).pipeThrough(batch(2)),
 * );
 * if (JSON.stringify(out) !== "[[1,2],[3,4],[5]]") throw new Error("unexpected");
 * ```
 */
export function batch<T>(
  size: number,
  options: BatchOptions = {},
): TransformStream<T, T[]> {
  if (!Number.isInteger(size) || size <= 0) {
    throw new RangeError(
      `Cannot create batch(): size must be a positive integer, got ${size}`,
    );
  }
  const { maxWaitMs } = options;
  if (
    maxWaitMs !== undefined && !(Number.isFinite(maxWaitMs) && maxWaitMs >= 0)
  ) {
    throw new RangeError(
      `Cannot create batch(): options.maxWaitMs must be a non-negative number, got ${maxWaitMs}`,
    );
  }
  return stageProcessorStream<T, T[]>({
    kind: "stage",
    run: stageStream,
    name: "batch",
    create() {
      let group: T[] = [];
      let groupFrom = 0; // first source record the open group depends on
      let emittedTo = -1; // end of the range already passed downstream
      let seenTo = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let output: BatchController<T[]> | undefined;

      function emit(groups: T[][], to: number): void {
        output!.enqueue({ records: groups, from: emittedTo, to });
        emittedTo = to;
      }
      function stopTimer(): void {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
      }
      function onTimeout(): void {
        timer = undefined;
        if (group.length === 0) return;
        try {
          emit([group], seenTo);
          group = [];
        } catch {
          // The stream was torn down while the timer was pending.
        }
      }

      return {
        transform(input, controller) {
          output = controller;
          if (emittedTo < 0) emittedTo = input.from;
          const full: T[][] = [];
          for (const record of input.records) {
            if (group.length === 0) groupFrom = input.from;
            group.push(record);
            if (group.length === size) {
              full.push(group);
              group = [];
            }
          }
          seenTo = input.to;
          const to = group.length > 0 ? groupFrom : input.to;
          if (full.length > 0 || to > emittedTo) emit(full, to);
          if (maxWaitMs === undefined) return;
          if (full.length > 0) stopTimer();
          if (group.length > 0 && timer === undefined) {
            timer = setTimeout(onTimeout, maxWaitMs);
          }
        },
        flush(controller) {
          output = controller;
          stopTimer();
          if (emittedTo < 0) return;
          if (group.length > 0) emit([group], seenTo);
          else if (seenTo > emittedTo) emit([], seenTo);
          group = [];
        },
        cancel() {
          stopTimer();
        },
      };
    },
  });
}
