// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * `promise`, or a rejection with the signal's reason once it aborts (at
 * once when it already has; `promise` is then left to settle unobserved).
 * Without a signal, `promise` itself. Internal: the connectors' calls that
 * a signal may cut short share it.
 */
export function orAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.then(undefined, () => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() =>
      signal.removeEventListener("abort", onAbort)
    );
  });
}
