// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { describeValue } from "../util/describe_value.ts";

/**
 * What a config issue says it got: as {@linkcode describeValue}, but
 * `nothing` for a missing value.
 */
export function describeReceived(value: unknown): string {
  return value === undefined ? "nothing" : describeValue(value);
}
