// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { ONE_TO_ONE } from "./one_to_one_mark.ts";
import type { RecordBatch } from "./record_batch.ts";
import { toStageError } from "./to_stage_error.ts";

/**
 * Runs a user's own `TransformStream` inside the pipeline: it receives one
 * record per chunk, as its author expects, and what it emits is gathered
 * into batches again.
 *
 * It is a black box: nobody knows which input an output came from, so every
 * batch it emits covers an empty range, and the range of everything that
 * entered it is released only when it has drained. A stream declared with
 * `oneToOne()` instead releases each input batch's range once as many
 * outputs as that batch had inputs have come out.
 */
export function userTransformStage<I, O>(
  input: ReadableStream<RecordBatch<I>>,
  transform: TransformStream<I, O>,
  index: number,
  name: string | undefined,
  batchSize: number,
  lingerMs: number,
): ReadableStream<RecordBatch<O>> {
  let enteredTo = 0;
  let releasedTo = 0;
  const oneToOne =
    (transform as { [ONE_TO_ONE]?: boolean })[ONE_TO_ONE] === true;
  /** One-to-one: each input batch's record count and range end, in order. */
  const entered: Array<{ count: number; to: number }> = [];
  let owed = 0; // outputs seen towards the oldest entered batch
  const records = input
    .pipeThrough(
      new TransformStream<RecordBatch<I>, I>({
        transform(batch, controller) {
          for (const record of batch.records) controller.enqueue(record);
          enteredTo = batch.to;
          if (oneToOne) {
            entered.push({ count: batch.records.length, to: batch.to });
          }
        },
      }),
    )
    .pipeThrough(transform)
    .pipeThrough(rebatch<O>(batchSize, lingerMs));
  const reader = records.getReader();

  /** Counts `outputs` against the entered batches, releasing those complete. */
  function release(outputs: number): void {
    owed += outputs;
    while (entered.length > 0 && owed >= entered[0]!.count) {
      const { count, to } = entered.shift()!;
      owed -= count;
      releasedTo = to;
    }
  }

  return new ReadableStream<RecordBatch<O>>({
    async pull(controller) {
      let out: O[] | null;
      try {
        const step = await reader.read();
        out = step.done ? null : step.value;
      } catch (error) {
        throw toStageError(error, index, name);
      }
      if (out !== null) {
        const from = releasedTo;
        if (oneToOne) release(out.length);
        controller.enqueue({ records: out, from, to: releasedTo });
        return;
      }
      if (enteredTo > releasedTo) {
        controller.enqueue({ records: [], from: releasedTo, to: enteredTo });
        releasedTo = enteredTo;
      }
      controller.close();
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/**
 * Gathers what a user's stream emits into arrays of up to `size`: a full
 * array goes at once, a partial one after `lingerMs` (0: the next
 * macrotask). One timer per array, no promise per record.
 */
function rebatch<O>(size: number, lingerMs: number): TransformStream<O, O[]> {
  let buffer: O[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let output!: TransformStreamDefaultController<O[]>;
  function release(): void {
    timer = undefined;
    if (buffer.length === 0) return;
    const full = buffer;
    buffer = [];
    try {
      output.enqueue(full);
    } catch {
      // The stage is being torn down: nobody reads these any more.
    }
  }
  return new TransformStream<O, O[]>({
    start(controller) {
      output = controller;
    },
    transform(record) {
      buffer.push(record);
      if (buffer.length >= size) {
        clearTimeout(timer);
        release();
      } else if (timer === undefined) {
        timer = setTimeout(release, lingerMs);
      }
    },
    flush() {
      clearTimeout(timer);
      release();
    },
  });
}
