// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * Reads an optional positive-integer option of `creator`, or `fallback` when
 * it is unset. Throws a `RangeError` naming the option for any other value.
 */
export function positiveIntegerOption(
  creator: string,
  name: string,
  value: number | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (!(Number.isSafeInteger(value) && value > 0)) {
    throw new RangeError(
      `Cannot create ${creator}(): options.${name} must be a positive integer, got ${value}`,
    );
  }
  return value;
}
