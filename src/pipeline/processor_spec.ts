// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { RecordBatch } from "./record_batch.ts";
import type { Step } from "./step_chain.ts";

/**
 * Marks a `TransformStream` made by this library: `pipeline()` reads the
 * spec behind it instead of pushing one record per chunk through it.
 * `Symbol.for` so that two copies of the library still recognise each other.
 */
export const PROCESSOR_SPEC: unique symbol = Symbol.for(
  "@ca/streams/processor-spec",
) as never;

/**
 * A fusable step: called with a whole array of records, it returns the
 * output array, or a promise of it when a user function returned a thenable.
 * Consecutive ops run inside one `TransformStream`.
 */
export interface BatchOp<I, O> {
  apply(records: I[]): O[] | Promise<O[]>;
  /** Records held back by a stateful op, emitted when the input ends. */
  flush?(): O[];
  /** Set by `take()` once it wants no more input. */
  readonly done?: boolean;
}

/** Lets a stage emit batches, fail, or end its output early. */
export interface BatchController<O> {
  enqueue(batch: RecordBatch<O>): void;
  error(reason: unknown): void;
  terminate(): void;
}

/**
 * A stage that needs its own stream boundary: it keeps timers or
 * concurrent work, so it cannot be fused.
 */
export interface BatchStage<I, O> {
  transform(
    batch: RecordBatch<I>,
    controller: BatchController<O>,
  ): void | Promise<void>;
  flush?(controller: BatchController<O>): void | Promise<void>;
  cancel?(reason: unknown): void;
}

/**
 * Sends a record that kept failing to the pipeline's dead-letter sink; the
 * record then counts as dropped. Only inside a pipeline with `deadLetter`.
 */
export type Divert = (
  record: unknown,
  error: unknown,
  attempts: number,
) => Promise<void>;

/** What a stage learns from the pipeline it runs in. */
export interface StageContext {
  /** Present when the pipeline has a dead-letter sink. */
  divert?: Divert;
}

/** A per-record processor (`map`, `filter`, `tap`), chained record by record. */
export interface StepSpec {
  kind: "step";
  name: string;
  step: Step;
}

/** A batch op, fused with its neighbours; `create()` runs once per pipeline. */
export interface OpSpec<I, O> {
  kind: "op";
  name: string;
  create(context?: StageContext): BatchOp<I, O>;
}

/** A stage with its own stream boundary; `create()` runs once per pipeline. */
export interface StageSpec<I, O> {
  kind: "stage";
  name: string;
  create(context?: StageContext): BatchStage<I, O>;
  /**
   * Runs a stage over batches (`stageStream`), carried by the spec so that
   * a pipeline without such a stage bundles none of it.
   */
  run(
    stage: BatchStage<I, O>,
    index: number,
    name: string,
  ): TransformStream<RecordBatch<I>, RecordBatch<O>>;
}

/** What a library processor is, for `pipeline()`. */
export type ProcessorSpec<I, O> = StepSpec | OpSpec<I, O> | StageSpec<I, O>;

/** A `TransformStream` that carries its {@linkcode ProcessorSpec}. */
export interface SpecifiedStream<I, O> extends TransformStream<I, O> {
  readonly [PROCESSOR_SPEC]: ProcessorSpec<I, O>;
}

/** Returns the spec of a library processor, or `undefined` for a user's own. */
export function specOf<I, O>(
  stream: TransformStream<I, O>,
): ProcessorSpec<I, O> | undefined {
  return (stream as Partial<SpecifiedStream<I, O>>)[PROCESSOR_SPEC];
}
