// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { unwrapExhausted } from "../failures/retrying.ts";
import type { BatchOp, Divert } from "./processor_spec.ts";
import { isThenable } from "../util/is_thenable.ts";

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

  if (length <= UNROLLED) return { apply: unrolled(chain, resume) };
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

/** Chains up to this many steps get one call site per step. */
const UNROLLED = 8;

const skip = (): unknown => undefined;

type Resume = (
  records: readonly unknown[],
  out: unknown[],
  i: number,
  k: number,
  record: unknown,
  pending: PromiseLike<unknown>,
) => Promise<unknown[]>;

/**
 * The sync loop of a chain of at most 8 steps, unrolled: each step has its
 * own call site, so the engine can inline a pipeline's user functions into
 * the loop, which it cannot do through one shared call site. It runs the
 * same semantics as the generic loop and leaves for the same async path.
 */
function unrolled(
  chain: RunningStep[],
  resume: Resume,
): (records: unknown[]) => unknown[] | Promise<unknown[]> {
  const length = chain.length;
  const f0 = chain[0]?.fn ?? skip;
  const m0 = chain[0]?.kind === "map";
  const d0 = chain[0]?.kind === "filter";
  const f1 = chain[1]?.fn ?? skip;
  const m1 = chain[1]?.kind === "map";
  const d1 = chain[1]?.kind === "filter";
  const f2 = chain[2]?.fn ?? skip;
  const m2 = chain[2]?.kind === "map";
  const d2 = chain[2]?.kind === "filter";
  const f3 = chain[3]?.fn ?? skip;
  const m3 = chain[3]?.kind === "map";
  const d3 = chain[3]?.kind === "filter";
  const f4 = chain[4]?.fn ?? skip;
  const m4 = chain[4]?.kind === "map";
  const d4 = chain[4]?.kind === "filter";
  const f5 = chain[5]?.fn ?? skip;
  const m5 = chain[5]?.kind === "map";
  const d5 = chain[5]?.kind === "filter";
  const f6 = chain[6]?.fn ?? skip;
  const m6 = chain[6]?.kind === "map";
  const d6 = chain[6]?.kind === "filter";
  const f7 = chain[7]?.fn ?? skip;
  const m7 = chain[7]?.kind === "map";
  const d7 = chain[7]?.kind === "filter";
  return (records) => {
    const out: unknown[] = [];
    let c0 = chain[0]?.index ?? 0;
    let c1 = chain[1]?.index ?? 0;
    let c2 = chain[2]?.index ?? 0;
    let c3 = chain[3]?.index ?? 0;
    let c4 = chain[4]?.index ?? 0;
    let c5 = chain[5]?.index ?? 0;
    let c6 = chain[6]?.index ?? 0;
    let c7 = chain[7]?.index ?? 0;
    const save = () => {
      if (0 < length) chain[0]!.index = c0;
      if (1 < length) chain[1]!.index = c1;
      if (2 < length) chain[2]!.index = c2;
      if (3 < length) chain[3]!.index = c3;
      if (4 < length) chain[4]!.index = c4;
      if (5 < length) chain[5]!.index = c5;
      if (6 < length) chain[6]!.index = c6;
      if (7 < length) chain[7]!.index = c7;
    };
    let i = 0;
    let k = 0;
    let record: unknown;
    let result: unknown;
    try {
      next: for (; i < records.length; i++) {
        record = records[i];
        k = 0;
        result = f0(record, c0);
        if (isThenable(result)) break next;
        c0++;
        if (m0) record = result;
        else if (d0 && !result) continue;
        if (length === 1) {
          out.push(record);
          continue;
        }
        k = 1;
        result = f1(record, c1);
        if (isThenable(result)) break next;
        c1++;
        if (m1) record = result;
        else if (d1 && !result) continue;
        if (length === 2) {
          out.push(record);
          continue;
        }
        k = 2;
        result = f2(record, c2);
        if (isThenable(result)) break next;
        c2++;
        if (m2) record = result;
        else if (d2 && !result) continue;
        if (length === 3) {
          out.push(record);
          continue;
        }
        k = 3;
        result = f3(record, c3);
        if (isThenable(result)) break next;
        c3++;
        if (m3) record = result;
        else if (d3 && !result) continue;
        if (length === 4) {
          out.push(record);
          continue;
        }
        k = 4;
        result = f4(record, c4);
        if (isThenable(result)) break next;
        c4++;
        if (m4) record = result;
        else if (d4 && !result) continue;
        if (length === 5) {
          out.push(record);
          continue;
        }
        k = 5;
        result = f5(record, c5);
        if (isThenable(result)) break next;
        c5++;
        if (m5) record = result;
        else if (d5 && !result) continue;
        if (length === 6) {
          out.push(record);
          continue;
        }
        k = 6;
        result = f6(record, c6);
        if (isThenable(result)) break next;
        c6++;
        if (m6) record = result;
        else if (d6 && !result) continue;
        if (length === 7) {
          out.push(record);
          continue;
        }
        k = 7;
        result = f7(record, c7);
        if (isThenable(result)) break next;
        c7++;
        if (m7) record = result;
        else if (d7 && !result) continue;
        out.push(record);
      }
    } catch (error) {
      save();
      return resume(records, out, i, k, record, Promise.reject(error));
    }
    save();
    if (i < records.length) {
      return resume(records, out, i, k, record, result as PromiseLike<unknown>);
    }
    return out;
  };
}
