// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { RetryPolicy } from "../failures/retry_policy.ts";

/**
 * Options of the processors that call a user function per record.
 *
 * @example Retry a filter's predicate
 * ```ts
 * import { filter } from "@ca/streams";
 * import type { FunctionOptions } from "@ca/streams";
 *
 * const options: FunctionOptions = { retry: { maxAttempts: 3, initialDelayMs: 1 } };
 * let calls = 0;
 * const isValid = (n: number) => {
 *   if (++calls < 3) throw new Error("service busy");
 *   return n > 0;
 * };
 * const out = await Array.fromAsync(
 *   ReadableStream.from([5]).pipeThrough(filter(isValid, options)),
 * );
 * if (out.join() !== "5" || calls !== 3) throw new Error(`unexpected ${out}`);
 * ```
 */
export interface FunctionOptions {
  /**
   * Retry a failing call before giving up on the record. Without it, the
   * first failure counts. A record that still fails goes to the pipeline's
   * `deadLetter` sink, if it has one; else the stream errors.
   */
  retry?: RetryPolicy;
}
