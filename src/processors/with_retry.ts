// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { checkRetryPolicy, retrying } from "../failures/retrying.ts";
import type { FunctionOptions } from "./function_options.ts";

/**
 * Applies `options.retry` to `fn`, checking the policy first.
 *
 * @example Give a function of your own processor the `retry` option
 * ```ts
 * import { withRetry } from "./with_retry.ts";
 *
 * let calls = 0;
 * const flaky = async (n: number) => {
 *   if (++calls < 2) throw new Error("busy");
 *   return n * 2;
 * };
 * const fn = withRetry("double", flaky, { retry: { initialDelayMs: 1 } });
 * if ((await fn(21)) !== 42 || calls !== 2) throw new Error("unexpected");
 * ```
 */
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
