// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { FusedRun } from "./fuse.ts";
import type { RecordBatch } from "./record_batch.ts";

/**
 * Runs fused processors as one `TransformStream` of batches, where they
 * follow a stage with its own boundary (the leading run executes inside the
 * source's pull instead). A batch costs one stream hop however many
 * processors it crosses.
 */
export function fusedStage(
  run: FusedRun,
): TransformStream<RecordBatch<unknown>, RecordBatch<unknown>> {
  let lastTo = 0;
  function emit(
    controller: TransformStreamDefaultController<RecordBatch<unknown>>,
    batch: RecordBatch<unknown>,
  ): void {
    controller.enqueue(batch);
    lastTo = batch.to;
    if (run.done) controller.terminate();
  }
  return new TransformStream({
    start(controller) {
      if (run.done) controller.terminate();
    },
    transform(batch, controller) {
      const { from, to } = batch;
      const out = run.apply(batch.records);
      if (out instanceof Promise) {
        return out.then((records) => emit(controller, { records, from, to }));
      }
      emit(controller, { records: out, from, to });
    },
    async flush(controller) {
      const records = await run.flush();
      if (records.length > 0) {
        controller.enqueue({ records, from: lastTo, to: lastTo });
      }
    },
  });
}
