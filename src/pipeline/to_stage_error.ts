// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { RecordError } from "../errors/record_error.ts";
import { StageError } from "../errors/stage_error.ts";

/**
 * Wraps a failure of stage `index` as a {@linkcode StageError}. A
 * `StageError` arriving from further upstream passes through unchanged, and
 * a `RecordError` is unwrapped so that `cause` is the user's own error.
 */
export function toStageError(
  error: unknown,
  index: number,
  name: string | undefined,
): StageError {
  if (error instanceof StageError) return error;
  if (error instanceof RecordError) {
    return new StageError(index, name, error.cause, {
      recordIndex: error.index,
      attempts: error.attempts,
    });
  }
  return new StageError(index, name, error);
}
