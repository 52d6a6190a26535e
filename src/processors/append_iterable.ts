// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Appends every value of `values` to `out` (indexing arrays, iterating
 * anything else). Returns false, appending nothing, when `values` is not
 * iterable, so the caller can name what was wrong.
 */
export function appendIterable<T>(out: T[], values: unknown): boolean {
  if (Array.isArray(values)) {
    for (let k = 0; k < values.length; k++) out.push(values[k]);
    return true;
  }
  if (
    values == null ||
    typeof (values as Iterable<T>)[Symbol.iterator] !== "function"
  ) {
    return false;
  }
  for (const value of values as Iterable<T>) out.push(value);
  return true;
}
