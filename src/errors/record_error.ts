// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { describeError } from "./describe_error.ts";

/**
 * Thrown by a processor when the user function it calls throws or rejects.
 * It names the index of the record (0 for the first record the processor
 * received) and keeps the original error as `cause`.
 *
 * Inside `pipeline()` the same failure surfaces as a `StageError` whose
 * `recordIndex` is this index and whose `cause` is the user's error.
 *
 * @example Find the record that failed
 * ```ts
 * import { map, RecordError } from "@ca/streams";
 *
 * const parsed = ReadableStream.from(['{"a":1}', "oops"])
 *   .pipeThrough(map((line: string) => JSON.parse(line)));
 * try {
 *   await Array.fromAsync(parsed);
 *   throw new Error("expected a failure");
 * } catch (error) {
 *   if (!(error instanceof RecordError) || error.index !== 1) throw error;
 * }
 * ```
 */
export class RecordError extends Error {
  /** Stable code to match on. */
  readonly code: "CA_ERR_RECORD" = "CA_ERR_RECORD";
  /** Index of the failing record in the processor's input, from 0. */
  readonly index: number;
  /** How many times the record was tried (more than 1 with a retry policy). */
  readonly attempts: number;

  /**
   * Creates a record error.
   *
   * @param index Index of the failing record in the processor's input.
   * @param cause The error the user function threw or rejected with.
   * @param attempts How many times the record was tried (default 1).
   */
  constructor(index: number, cause: unknown, attempts = 1) {
    super(
      `Cannot process record ${index}${
        attempts > 1 ? ` after ${attempts} attempts` : ""
      }: ${describeError(cause)}`,
      { cause },
    );
    this.name = "RecordError";
    this.index = index;
    this.attempts = attempts;
  }
}
