// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.
// Internal: reading a checkpoint row back, for the SQL stores.

import type { Position } from "./position.ts";

/**
 * A stored generation as a number; anything else is a TypeError naming
 * the `server` that returned it.
 */
export function storedGeneration(value: unknown, server: string): number {
  const n = Number(value);
  if (value === null || value === undefined || !Number.isSafeInteger(n)) {
    throw new TypeError(
      `Cannot read checkpoint: ${server} returned ${
        String(value)
      } where a generation was expected`,
    );
  }
  return n;
}

/** A stored position, kept as JSON text; `undefined` for none. */
export function storedPosition(json: unknown): Position | undefined {
  return json === null || json === undefined
    ? undefined
    : JSON.parse(String(json));
}
