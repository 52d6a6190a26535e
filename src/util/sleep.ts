// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Resolves after `ms`, or rejects with the signal's reason once it aborts
 * (at once when it already has). Internal: the connectors' backoffs and
 * poll intervals share it.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
