// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

const TIMED_OUT = Symbol("timed out");

/** What both `ReadableStreamDefaultReader.read()` and `AsyncIterator.next()` resolve to. */
export type ReadResult<T> =
  | { done: true; value?: unknown }
  | { done?: false; value: T };

/**
 * Turns a one-record-at-a-time `read` (an async iterator's `next`, a
 * stream reader's `read`) into a function that resolves to the next batch:
 * it waits for the first record, then takes what arrives before the next
 * macrotask (or `lingerMs`), up to `size` records. Resolves to `null` at the
 * end. A read still pending when the linger ends is kept for the next call,
 * so no record is lost or reordered.
 */
export function createBatchReader<T>(
  read: () => Promise<ReadResult<T>>,
  size: number,
  lingerMs: number,
): () => Promise<T[] | null> {
  let carried: Promise<ReadResult<T>> | undefined;
  let ended = false;
  return async function nextBatch(): Promise<T[] | null> {
    if (ended) return null;
    const first = await (carried ?? read());
    carried = undefined;
    if (first.done) {
      ended = true;
      return null;
    }
    const records = [first.value];
    if (size === 1) return records;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(resolve, lingerMs, TIMED_OUT);
    });
    try {
      while (records.length < size) {
        const pending = read();
        const result = await Promise.race([pending, timeout]);
        if (result === TIMED_OUT) {
          // Nobody may await it again if the pipeline stops: mark it handled.
          pending.catch(() => {});
          carried = pending;
          break;
        }
        if (result.done) {
          ended = true;
          break;
        }
        records.push(result.value);
      }
    } finally {
      clearTimeout(timer);
    }
    return records;
  };
}
