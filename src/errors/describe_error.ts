// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * The message of an error, or the value itself as text, for error messages.
 *
 * @param error What was thrown.
 * @param maxLength Cut longer messages there, adding `...` (default: whole).
 * @returns The text.
 */
export function describeError(error: unknown, maxLength = Infinity): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > maxLength ? `${text.slice(0, maxLength)}...` : text;
}
