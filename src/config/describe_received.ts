// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { describeValue } from "../cloudevents/describe_value.ts";

/**
 * What an issue says it got: strings quoted (cut at 60 characters),
 * numbers, booleans and `null` as written (as CloudEvents issues show
 * them), `nothing` for a missing value, otherwise the type with an article
 * (`an object`, `an array of 3 items`).
 */
export function describeReceived(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "object" && value !== null) {
    if (Array.isArray(value)) {
      return `an array of ${value.length} item${value.length === 1 ? "" : "s"}`;
    }
    return "an object";
  }
  if (typeof value === "function" || typeof value === "symbol") {
    return `a ${typeof value}`;
  }
  return describeValue(value);
}
