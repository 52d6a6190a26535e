// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/** Marks a user's `TransformStream` declared with `oneToOne()` (internal). */
export const ONE_TO_ONE: unique symbol = Symbol.for(
  "@ca/streams/one-to-one",
) as never;

/** Whether `stream` was declared with `oneToOne()` (internal). */
export function isOneToOne(stream: unknown): boolean {
  return (stream as { [ONE_TO_ONE]?: boolean })[ONE_TO_ONE] === true;
}
