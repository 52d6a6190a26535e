// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { RetryPolicy } from "../failures/retry_policy.ts";
import { checkRetryPolicy, retrying } from "../failures/retrying.ts";

/** Options of the processors that call a user function per record. */
export interface FunctionOptions {
  /**
   * Retry a failing call before giving up on the record. Without it, the
   * first failure counts. A record that still fails goes to the pipeline's
   * `deadLetter` sink, if it has one; else the stream errors.
   */
  retry?: RetryPolicy;
}

/** Applies `options.retry` to `fn`, checking the policy first. */
export function withRetry<F extends (...args: never[]) => unknown>(
  processor: string,
  fn: F,
  options: FunctionOptions | undefined,
): F {
  if (options?.retry === undefined) return fn;
  checkRetryPolicy(`${processor}()`, options.retry);
  const wrapped = retrying(fn, options.retry);
  Object.defineProperty(wrapped, "name", { value: fn.name });
  return wrapped as unknown as F;
}
