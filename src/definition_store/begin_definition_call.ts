// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { describeValue } from "../util/describe_value.ts";

/**
 * The common start of every definition store method: checks that the store
 * is open, and merges the store's signal with the call's. Returns the
 * signal the call must honour (already checked not to be aborted).
 *
 * @param doing What the call does, for messages: `append to connector "x"`.
 * @param closed Whether the store was closed.
 * @param storeSignal The signal that stops the whole store.
 * @param callSignal The signal of this call.
 * @returns The signal to honour, if any.
 */
export function beginDefinitionCall(
  doing: string,
  closed: boolean,
  storeSignal: AbortSignal | undefined,
  callSignal: AbortSignal | undefined,
): AbortSignal | undefined {
  if (closed) throw new Error(`Cannot ${doing}: the store is closed`);
  const signal = storeSignal && callSignal
    ? AbortSignal.any([storeSignal, callSignal])
    : storeSignal ?? callSignal;
  signal?.throwIfAborted();
  return signal;
}

/**
 * Checks a connector id given to a definition store method: a non-empty
 * string without the NUL character.
 *
 * @param connector The id.
 * @param doing What the call does, for messages: `"append"`, `"read"`.
 * @throws {TypeError} When it is not such a string.
 */
export function checkConnectorId(connector: unknown, doing: string): void {
  if (
    typeof connector !== "string" || connector === "" ||
    connector.includes("\0")
  ) {
    throw new TypeError(
      `Cannot ${doing} connector: the id must be a non-empty string without the NUL character, got ${
        describeValue(connector)
      }`,
    );
  }
}

/**
 * Sorts stream infos by connector id, by UTF-16 code units, in place.
 *
 * @param streams The infos.
 * @returns The same array.
 */
export function byConnector<T extends { connector: string }>(
  streams: T[],
): T[] {
  return streams.sort((a, b) =>
    a.connector < b.connector ? -1 : a.connector > b.connector ? 1 : 0
  );
}
