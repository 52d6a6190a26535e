// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { unwrapExhausted } from "../failures/retrying.ts";
import type { BatchOp, Divert } from "./processor_spec.ts";
import { isThenable } from "./thenable.ts";

/**
 * What a step does with its function's result: `"map"` replaces the record,
 * `"filter"` drops it when falsy, `"tap"` ignores it.
 */
export type StepKind = "map" | "filter" | "tap";

/** A per-record processor (`map`, `filter`, `tap`): one user function. */
export interface Step {
  readonly kind: StepKind;
  readonly fn: (record: unknown, index: number) => unknown;
}

/** A step placed in a chain: its counter and where its errors point. */
interface RunningStep extends Step {
  index: number;
  readonly position: number;
  /** Sends a record that kept failing to the dead-letter sink, if any. */
  readonly divert: Divert | undefined;
}

/**
 * Builds the error for a user function that failed on a record: a
 * `RecordError` for a processor used alone, a `StageError` in a pipeline.
 */
export type StepFailure = (
  position: number,
  recordIndex: number,
  error: unknown,
  attempts: number,
) => Error;

/**
 * Runs consecutive steps record by record: each record goes through every
 * step before the next record starts. Compared with one pass per step over
 * the batch, no intermediate arrays are built, which roughly doubles the
 * speed of a typical map/filter chain. User functions are called
 * synchronously and awaited only when they return a thenable; from then on
 * the rest of the batch runs on the async path.
 *
 * @param steps The steps, in pipeline order; `position` in failures is the
 * index into this array.
 * @param fail Builds the error thrown when a user function fails.
 */
export function stepChain(
  steps: readonly Step[],
  fail: StepFailure,
  divert?: (position: number) => Divert | undefined,
): BatchOp<unknown, unknown> {
  const chain: RunningStep[] = steps.map((step, position) => ({
    kind: step.kind,
    fn: step.fn,
    index: 0,
    position,
    divert: divert?.(position),
  }));
  const length = chain.length;

  /** Continues record `i` at step `k`, whose result is `pending`, and the rest of the batch. */
  async function resume(
    records: readonly unknown[],
    out: unknown[],
    i: number,
    k: number,
    record: unknown,
    pending: PromiseLike<unknown>,
  ): Promise<unknown[]> {
    let waiting: PromiseLike<unknown> | undefined = pending;
    for (;;) {
      let kept = true;
      for (; k < length; k++) {
        const step = chain[k]!;
        let result: unknown;
        try {
          if (waiting !== undefined) {
            result = await waiting;
            waiting = undefined;
          } else {
            result = step.fn(record, step.index);
            if (isThenable(result)) result = await result;
          }
        } catch (thrown) {
          waiting = undefined;
          const { error, attempts } = unwrapExhausted(thrown);
          if (step.divert === undefined) {
            throw fail(step.position, step.index, error, attempts);
          }
          await step.divert(record, error, attempts);
          step.index++;
          kept = false;
          break;
        }
        step.index++;
        if (step.kind === "map") record = result;
        else if (step.kind === "filter" && !result) {
          kept = false;
          break;
        }
      }
      if (kept) out.push(record);
      if (++i >= records.length) return out;
      record = records[i];
      k = 0;
    }
  }

  return {
    apply(records) {
      const out: unknown[] = [];
      let i = 0;
      let k = 0;
      let record: unknown;
      try {
        for (; i < records.length; i++) {
          record = records[i];
          for (k = 0; k < length; k++) {
            const step = chain[k]!;
            const result = step.fn(record, step.index);
            if (isThenable(result)) {
              return resume(records, out, i, k, record, result);
            }
            step.index++;
            if (step.kind === "map") record = result;
            else if (step.kind === "filter" && !result) break;
          }
          if (k === length) out.push(record);
        }
      } catch (error) {
        // A sync throw: the async path decides between failing and diverting.
        return resume(records, out, i, k, record, Promise.reject(error));
      }
      return out;
    },
  };
}
