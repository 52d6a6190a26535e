// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * The common start of every store method: checks the id and that the store
 * is open, and merges the store's signal with the call's. Returns the
 * signal the call must honour (already checked not to be aborted).
 *
 * @param verb What the call does ("read", "acquire", "commit", "delete").
 * @param id The pipeline id.
 * @param closed Whether the store was closed.
 * @param storeSignal The signal that stops the whole store.
 * @param callSignal The signal of this call.
 */
export function beginStoreCall(
  verb: string,
  id: string,
  closed: boolean,
  storeSignal: AbortSignal | undefined,
  callSignal: AbortSignal | undefined,
): AbortSignal | undefined {
  if (typeof id !== "string") {
    throw new TypeError(
      `Cannot ${verb} checkpoint: id must be a string, got ${typeof id}`,
    );
  }
  if (closed) {
    throw new Error(
      `Cannot ${verb} checkpoint of "${id}": the store is closed`,
    );
  }
  const signal = storeSignal && callSignal
    ? AbortSignal.any([storeSignal, callSignal])
    : storeSignal ?? callSignal;
  signal?.throwIfAborted();
  return signal;
}
