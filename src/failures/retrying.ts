// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { isThenable } from "../util/is_thenable.ts";
import type { RetryPolicy } from "./retry_policy.ts";

/** The last error of a call that used up its attempts, and how many it had. */
export class Exhausted {
  readonly error: unknown;
  readonly attempts: number;
  constructor(error: unknown, attempts: number) {
    this.error = error;
    this.attempts = attempts;
  }
}

/** Checks a retry policy, naming the bad field. */
export function checkRetryPolicy(where: string, policy: RetryPolicy): void {
  const bad = (field: string, expected: string, got: unknown): never => {
    throw new RangeError(
      `Cannot create ${where}: options.retry.${field} must be ${expected}, got ${got}`,
    );
  };
  if (policy === null || typeof policy !== "object") {
    throw new TypeError(
      `Cannot create ${where}: options.retry must be an object, got ${
        policy === null ? "null" : typeof policy
      }`,
    );
  }
  const { maxAttempts, initialDelayMs, maxDelayMs, retryable } = policy;
  if (
    maxAttempts !== undefined &&
    !(Number.isInteger(maxAttempts) && maxAttempts >= 1)
  ) bad("maxAttempts", "an integer of at least 1", maxAttempts);
  if (
    initialDelayMs !== undefined &&
    !(Number.isFinite(initialDelayMs) && initialDelayMs >= 0)
  ) bad("initialDelayMs", "a non-negative number", initialDelayMs);
  if (
    maxDelayMs !== undefined &&
    !(Number.isFinite(maxDelayMs) && maxDelayMs >= 0)
  ) bad("maxDelayMs", "a non-negative number", maxDelayMs);
  if (retryable !== undefined && typeof retryable !== "function") {
    throw new TypeError(
      `Cannot create ${where}: options.retry.retryable must be a function, got ${typeof retryable}`,
    );
  }
}

/**
 * Wraps `fn` so that a failing call is retried under `policy`. A call that
 * succeeds at once returns as before (no promise for a sync result); one
 * that fails returns a promise that settles after the retries, rejecting
 * with {@linkcode Exhausted} when they run out.
 */
export function retrying<A extends unknown[], R>(
  fn: (...args: A) => R | PromiseLike<R>,
  policy: RetryPolicy,
): (...args: A) => R | Promise<R> {
  const maxAttempts = policy.maxAttempts ?? 3;
  const initialDelayMs = policy.initialDelayMs ?? 100;
  const maxDelayMs = policy.maxDelayMs ?? 5000;
  const retryable = policy.retryable ?? (() => true);

  async function again(args: A, firstError: unknown): Promise<R> {
    let error = firstError;
    for (let attempt = 1;; attempt++) {
      if (attempt >= maxAttempts || !retryable(error)) {
        throw new Exhausted(error, attempt);
      }
      const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
      const wait = ceiling / 2 + Math.random() * ceiling / 2;
      await new Promise((resolve) => setTimeout(resolve, wait));
      try {
        return await fn(...args);
      } catch (next) {
        error = next;
      }
    }
  }

  return (...args: A) => {
    let result: R | PromiseLike<R>;
    try {
      result = fn(...args);
    } catch (error) {
      return again(args, error);
    }
    if (isThenable(result)) {
      return Promise.resolve(result).catch((error) => again(args, error));
    }
    return result;
  };
}

/** The error and attempt count behind a failure, retried or not. */
export function unwrapExhausted(
  error: unknown,
): { error: unknown; attempts: number } {
  return error instanceof Exhausted
    ? { error: error.error, attempts: error.attempts }
    : { error, attempts: 1 };
}
