// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { createBatchReader } from "./batch_reader.ts";
import type { RecordBatch } from "./record_batch.ts";
import { toStageError } from "./to_stage_error.ts";

/**
 * Runs a user's own `TransformStream` inside the pipeline: it receives one
 * record per chunk, as its author expects, and what it emits is gathered
 * into batches again.
 *
 * It is a black box: nobody knows which input an output came from, so every
 * batch it emits covers an empty range, and the range of everything that
 * entered it is released only when it has drained.
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
  const records = input
    .pipeThrough(
      new TransformStream<RecordBatch<I>, I>({
        transform(batch, controller) {
          for (const record of batch.records) controller.enqueue(record);
          enteredTo = batch.to;
        },
      }),
    )
    .pipeThrough(transform);
  const reader = records.getReader();
  const nextBatch = createBatchReader<O>(
    () => reader.read(),
    batchSize,
    lingerMs,
  );

  return new ReadableStream<RecordBatch<O>>({
    async pull(controller) {
      let out: O[] | null;
      try {
        out = await nextBatch();
      } catch (error) {
        throw toStageError(error, index, name);
      }
      if (out !== null) {
        controller.enqueue({ records: out, from: releasedTo, to: releasedTo });
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
