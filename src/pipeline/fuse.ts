// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { StageError } from "../errors/stage_error.ts";
import type { BatchOp, Divert, OpSpec, StepSpec } from "./processor_spec.ts";
import { stepChain } from "./step_chain.ts";
import { toStageError } from "./to_stage_error.ts";

/** A fusable processor and its place in the pipeline. */
export interface PlacedSpec {
  spec: StepSpec | OpSpec<unknown, unknown>;
  /** Index of the processor among the pipeline's processors. */
  index: number;
}

/** Consecutive fusable processors, run as one function over a batch. */
export interface FusedRun {
  /** Runs a batch through every processor; a promise only if one went async. */
  apply(records: unknown[]): unknown[] | Promise<unknown[]>;
  /** Records held by stateful ops (a partial line), run through the rest. */
  flush(): Promise<unknown[]>;
  /** True once a `take()` wants no more input. */
  readonly done: boolean;
}

interface Segment {
  op: BatchOp<unknown, unknown>;
  index: number;
  name: string;
}

/**
 * Fuses consecutive processors: runs of steps (`map`, `filter`, `tap`)
 * become one record-by-record chain, other ops (`flatMap`, `take`, text
 * decoding) one pass each over the batch. Errors name the processor that
 * failed, as a `StageError`.
 */
export function fuse(
  placed: readonly PlacedSpec[],
  divertFor?: (index: number, name: string) => Divert | undefined,
): FusedRun {
  const segments: Segment[] = [];
  for (let p = 0; p < placed.length;) {
    const { spec, index } = placed[p]!;
    if (spec.kind === "op") {
      const divert = divertFor?.(index, spec.name);
      segments.push({ op: spec.create({ divert }), index, name: spec.name });
      p++;
      continue;
    }
    const run: PlacedSpec[] = [];
    while (p < placed.length && placed[p]!.spec.kind === "step") {
      run.push(placed[p++]!);
    }
    const steps = run.map((item) => (item.spec as StepSpec).step);
    const op = stepChain(
      steps,
      (position, recordIndex, error, attempts) => {
        const { spec, index } = run[position]!;
        return new StageError(index, spec.name, error, {
          recordIndex,
          attempts,
        });
      },
      divertFor &&
        ((position) =>
          divertFor(run[position]!.index, run[position]!.spec.name)),
    );
    segments.push({ op, index, name: spec.name });
  }

  let done = false;
  function runFrom(
    records: unknown[],
    from: number,
  ): unknown[] | Promise<unknown[]> {
    for (let s = from; s < segments.length; s++) {
      const segment = segments[s]!;
      let out: unknown[] | Promise<unknown[]>;
      try {
        out = segment.op.apply(records);
      } catch (error) {
        throw toStageError(error, segment.index, segment.name);
      }
      if (segment.op.done) done = true;
      if (out instanceof Promise) {
        return out.then(
          (resolved) => runFrom(resolved, s + 1),
          (error) => {
            throw toStageError(error, segment.index, segment.name);
          },
        );
      }
      records = out;
    }
    return records;
  }

  return {
    apply: (records) => runFrom(records, 0),
    async flush() {
      const out: unknown[] = [];
      for (let s = 0; s < segments.length; s++) {
        const segment = segments[s]!;
        if (!segment.op.flush) continue;
        let held: unknown[];
        try {
          held = segment.op.flush();
        } catch (error) {
          throw toStageError(error, segment.index, segment.name);
        }
        if (held.length > 0) out.push(...await runFrom(held, s + 1));
      }
      return out;
    },
    get done() {
      return done || segments.some((segment) => segment.op.done);
    },
  };
}
