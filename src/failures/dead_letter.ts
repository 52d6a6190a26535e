// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * A record that kept failing, as the pipeline's `deadLetter` sink receives
 * it: the record, the last error, where it failed and how often it was
 * tried. The pipeline goes on without the record, and counts it as done.
 *
 * @example Set unparsable records aside and go on
 * ```ts
 * import { collect, map, pipeline } from "@ca/streams";
 * import type { DeadLetter } from "@ca/streams";
 *
 * const parse = (s: string) => {
 *   if (!/^\d+$/.test(s)) throw new SyntaxError(`Cannot parse ${s}: not a number`);
 *   return Number(s);
 * };
 * const dead = collect<DeadLetter<string>>();
 * const sink = collect<number>();
 * await pipeline(["1", "x", "3"], map(parse), sink, { deadLetter: dead });
 * const [letter] = dead.records;
 * if (sink.records.join() !== "1,3" || letter?.record !== "x" || letter.stageIndex !== 0) {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export interface DeadLetter<T = unknown> {
  /** The record as the failing stage received it. */
  record: T;
  /** The error of the last attempt. */
  error: unknown;
  /** The failing stage: 0 for the first processor, `processors.length` for the sink. */
  stageIndex: number;
  /** The failing stage's function or class name, when it has one. */
  stageName: string | undefined;
  /** How many times the record was tried. */
  attempts: number;
  /** The branch of a graph the stage is on (`"paid/nats"`), when not the main line. */
  branch?: string;
}
