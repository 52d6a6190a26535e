// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/** Throws a `TypeError` naming the processor and argument unless `value` is a function. */
export function assertFunction(
  processor: string,
  argument: string,
  value: unknown,
): void {
  if (typeof value !== "function") {
    throw new TypeError(
      `Cannot create ${processor}(): ${argument} must be a function, got ${
        value === null ? "null" : typeof value
      }`,
    );
  }
}
