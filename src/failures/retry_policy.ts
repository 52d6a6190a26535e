// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * How often and how patiently to retry a user function (`map`, `filter`,
 * `flatMap`, `tap`, `mapConcurrent`) or a `batchSink()` write before giving
 * up on a record. Waits grow exponentially with jitter:
 * `initialDelayMs * 2^(attempt - 1)`, capped at `maxDelayMs`, each a random
 * value between half and all of that.
 *
 * An errored `WritableStream` or `TransformStream` cannot be retried: only
 * functions can. Give a plain sink's logic to `batchSink()` to retry it.
 *
 * @example Retry only the errors worth retrying
 * ```ts
 * import { map } from "@ca/streams";
 * import type { RetryPolicy } from "@ca/streams";
 *
 * const policy: RetryPolicy = {
 *   maxAttempts: 5,
 *   initialDelayMs: 1,
 *   retryable: (error) => !(error instanceof RangeError),
 * };
 * let calls = 0;
 * const check = (n: number) => {
 *   calls++;
 *   if (n < 0) throw new RangeError(`Cannot check ${n}: negative`);
 *   return n;
 * };
 * const out = ReadableStream.from([-1]).pipeThrough(map(check, { retry: policy }));
 * const error = await Array.fromAsync(out).then(() => undefined, (e: unknown) => e);
 * if (error === undefined || calls !== 1) throw new Error("unexpected");
 * ```
 */
export interface RetryPolicy {
  /** Attempts in all, the first included (default 3). */
  maxAttempts?: number;
  /** The wait before the second attempt, in ms (default 100). */
  initialDelayMs?: number;
  /** The longest wait between attempts, in ms (default 5000). */
  maxDelayMs?: number;
  /** Whether an error is worth another attempt (default: every error). */
  retryable?: (error: unknown) => boolean;
}
