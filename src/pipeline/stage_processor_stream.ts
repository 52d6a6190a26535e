// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type {
  BatchController,
  BatchStage,
  StageSpec,
} from "./processor_spec.ts";
import { PROCESSOR_SPEC } from "./processor_spec.ts";

/**
 * A stage processor (`batch()`, `mapConcurrent()`) as a plain
 * `TransformStream` of records, carrying its spec for `pipeline()`. Apart
 * from `processorStream()` so that a pipeline of `map`/`filter` bundles
 * none of it.
 */
export function stageProcessorStream<I, O>(
  spec: StageSpec<I, O>,
): TransformStream<I, O> {
  const stream = new TransformStream<I, O>(stageTransformer(spec.create()));
  Object.defineProperty(stream, PROCESSOR_SPEC, { value: spec });
  return stream;
}

function stageTransformer<I, O>(stage: BatchStage<I, O>): Transformer<I, O> {
  let next = 0;
  let batches!: BatchController<O>;
  return {
    start(controller) {
      batches = {
        enqueue(batch) {
          for (const record of batch.records) controller.enqueue(record);
        },
        error: (reason) => controller.error(reason),
        terminate: () => controller.terminate(),
      };
    },
    transform(chunk) {
      const from = next++;
      return stage.transform({ records: [chunk], from, to: next }, batches);
    },
    flush() {
      return stage.flush?.(batches);
    },
    cancel(reason) {
      stage.cancel?.(reason);
    },
  };
}
