// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { BatchOp, OpSpec, StepSpec } from "./processor_spec.ts";
import { PROCESSOR_SPEC } from "./processor_spec.ts";
import { RecordError } from "../errors/record_error.ts";
import { stepChain } from "./step_chain.ts";

function recordFailure(
  _position: number,
  index: number,
  error: unknown,
  attempts: number,
): RecordError {
  return new RecordError(index, error, attempts);
}

/**
 * Makes the `TransformStream` a processor function returns. Used alone it
 * runs the spec one record per chunk; `pipeline()` finds the spec on it and
 * runs a fresh instance over whole batches instead.
 */
export function processorStream<I, O>(
  spec: StepSpec | OpSpec<I, O>,
): TransformStream<I, O> {
  const stream = new TransformStream<I, O>(
    spec.kind === "step"
      ? opTransformer(stepChain([spec.step], recordFailure) as BatchOp<I, O>)
      : opTransformer((spec as OpSpec<I, O>).create()),
  );
  Object.defineProperty(stream, PROCESSOR_SPEC, { value: spec });
  return stream;
}

function opTransformer<I, O>(op: BatchOp<I, O>): Transformer<I, O> {
  function emit(records: O[], controller: TransformStreamDefaultController<O>) {
    for (const record of records) controller.enqueue(record);
    if (op.done) controller.terminate();
  }
  return {
    start(controller) {
      if (op.done) controller.terminate();
    },
    transform(chunk, controller) {
      const out = op.apply([chunk]);
      if (out instanceof Promise) {
        return out.then((records) => emit(records, controller));
      }
      emit(out, controller);
    },
    flush(controller) {
      if (op.flush) emit(op.flush(), controller);
    },
  };
}
