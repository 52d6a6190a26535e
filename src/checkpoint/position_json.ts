// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { Position } from "./position.ts";

/** The JSON text of a position to commit; a `TypeError` naming `id` when it has none. */
export function positionJson(id: string, position: Position): string {
  const json = JSON.stringify(position);
  if (json === undefined) {
    throw new TypeError(
      `Cannot commit checkpoint of "${id}": position must be a JSON value, got ${typeof position}`,
    );
  }
  return json;
}
