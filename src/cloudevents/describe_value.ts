// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/** The longest string shown whole in an issue's `received`. */
const MAX_SHOWN = 60;

/**
 * A short rendering of a received value for an issue: strings quoted (cut
 * at 60 characters), numbers and booleans as written, otherwise the type.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(
        value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}...` : value,
      );
    case "number":
    case "boolean":
    case "bigint":
      return String(value);
    case "object":
      if (Array.isArray(value)) return `array of ${value.length}`;
      if (value instanceof Uint8Array) return `Uint8Array of ${value.length}`;
      return "object";
    default:
      return typeof value;
  }
}
