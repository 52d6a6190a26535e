// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * A record that kept failing, as the pipeline's `deadLetter` sink receives
 * it: the record, the last error, where it failed and how often it was
 * tried. The pipeline goes on without the record, and counts it as done.
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
}
