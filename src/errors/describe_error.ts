// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/** The message of an error, or the value itself as text, for error messages. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
