// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { BatchController, BatchStage } from "./processor_spec.ts";
import type { RecordBatch } from "./record_batch.ts";
import { isThenable } from "../util/is_thenable.ts";
import { toStageError } from "./to_stage_error.ts";

/** Runs a non-fusable library stage over batches, naming it in its errors. */
export function stageStream<I, O>(
  stage: BatchStage<I, O>,
  index: number,
  name: string,
): TransformStream<RecordBatch<I>, RecordBatch<O>> {
  const wrap = (error: unknown) => toStageError(error, index, name);
  const rethrow = (error: unknown): never => {
    throw wrap(error);
  };
  let batches!: BatchController<O>;
  function guard(run: () => void | Promise<void>): void | Promise<void> {
    try {
      const result = run();
      if (isThenable(result)) return result.then(undefined, rethrow);
    } catch (error) {
      rethrow(error);
    }
  }
  return new TransformStream<RecordBatch<I>, RecordBatch<O>>({
    start(controller) {
      batches = {
        enqueue: (batch) => controller.enqueue(batch),
        error: (reason) => controller.error(wrap(reason)),
        terminate: () => controller.terminate(),
      };
    },
    transform(batch) {
      return guard(() => stage.transform(batch, batches));
    },
    flush() {
      return guard(() => stage.flush?.(batches));
    },
    cancel(reason) {
      stage.cancel?.(reason);
    },
  });
}
