// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { FencedError } from "./fenced_error.ts";
import type { Position } from "./position.ts";
import { positionJson } from "./position_json.ts";

/** What a store's `commit()` goes on with once {@linkcode beginCommit} passed. */
export interface CommitStart {
  /** The signal the call must honour (already checked not to be aborted). */
  signal: AbortSignal | undefined;
  /** The position's JSON text. */
  json: string;
}

/**
 * The common start of a store's `commit()`: the store's own start of a call
 * (`beginStoreCall("commit", ...)` over its state: the id, an open store,
 * the merged signal), then the position's JSON text (a `TypeError` when it
 * has none), then, for a store that passes the generation on as an integer
 * (a bigint column, a Redis integer), a {@linkcode FencedError} when the
 * generation is not a safe integer: no store hands one out, so no instance
 * holds it. A store that only compares the generation leaves it out.
 *
 * @param start The store's start of a call, such as
 * `(verb, id, signal) => beginStoreCall(verb, id, closed, storeSignal, signal)`.
 * @param id The pipeline id.
 * @param position The position to commit.
 * @param options The call's options (its `signal`).
 * @param integerGeneration The generation, for a store that passes it on as
 * an integer.
 * @returns The call's signal and the position's JSON text.
 */
export function beginCommit(
  start: (
    verb: "commit",
    id: string,
    callSignal?: AbortSignal,
  ) => AbortSignal | undefined,
  id: string,
  position: Position,
  options: { signal?: AbortSignal } | undefined,
  ...integerGeneration: [generation: number] | []
): CommitStart {
  const signal = start("commit", id, options?.signal);
  const json = positionJson(id, position);
  // Checked when given, even as undefined (a JS caller that left it out).
  if (integerGeneration.length === 1) {
    const [generation] = integerGeneration;
    if (!Number.isSafeInteger(generation)) {
      throw new FencedError(id, generation);
    }
  }
  return { signal, json };
}
