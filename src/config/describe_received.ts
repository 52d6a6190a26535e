// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/** The longest string shown whole in a message. */
const MAX_SHOWN = 60;

/**
 * What an issue says it got: strings quoted (cut at 60 characters),
 * numbers, booleans and `null` as written, `nothing` for a missing value,
 * otherwise the type with an article (`an object`, `an array of 3 items`).
 */
export function describeReceived(value: unknown): string {
  if (value === undefined) return "nothing";
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
      if (Array.isArray(value)) {
        return `an array of ${value.length} item${
          value.length === 1 ? "" : "s"
        }`;
      }
      return "an object";
    default:
      return `a ${typeof value}`;
  }
}
