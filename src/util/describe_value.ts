// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/** The longest string shown whole. */
const MAX_SHOWN = 60;

/**
 * A short rendering of a received value for an error message or an issue's
 * `received`: strings quoted (cut at 60 characters), numbers, booleans,
 * `null` and `undefined` as written, otherwise the type with an article
 * (`an object`, `an array of 3 items`, `a Uint8Array of 12 bytes`). The one
 * helper every part of the library describes values with.
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
      return String(value);
    case "bigint":
      return `${value}n`;
    case "object":
      if (Array.isArray(value)) {
        return `an array of ${value.length} item${
          value.length === 1 ? "" : "s"
        }`;
      }
      if (value instanceof Uint8Array) {
        return `a Uint8Array of ${value.length} byte${
          value.length === 1 ? "" : "s"
        }`;
      }
      return "an object";
    default:
      return `a ${typeof value}`;
  }
}
