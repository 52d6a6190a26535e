// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * True when `value` is a thenable. User functions are called synchronously
 * and awaited only when they return one of these (the sync fast path).
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function";
}
