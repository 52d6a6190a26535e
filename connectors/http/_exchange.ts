// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.
// One HTTP exchange with retries honouring Retry-After (not exported from mod.ts).

import type { RetryPolicy } from "../../src/failures/retry_policy.ts";
import type { Fetch } from "./_http_internals.ts";
import { excerpt, retryAfterMs, sleep } from "./_http_internals.ts";
import { HttpError } from "./http_error.ts";

/** How an exchange retries. */
export interface ExchangePolicy {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
  retryable: ((error: unknown) => boolean) | undefined;
  timeoutMs: number;
}

/** Fills in a retry policy's defaults. */
export function exchangePolicy(
  retry: RetryPolicy | undefined,
  maxRetryAfterMs: number,
  timeoutMs: number,
): ExchangePolicy {
  return {
    maxAttempts: retry?.maxAttempts ?? 5,
    initialDelayMs: retry?.initialDelayMs ?? 100,
    maxDelayMs: retry?.maxDelayMs ?? 10_000,
    maxRetryAfterMs,
    retryable: retry?.retryable,
    timeoutMs,
  };
}

/** Whether a status is worth another attempt: 408, 429 and 5xx. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Sends `make()` until an answer `accept`s, retrying network errors,
 * timeouts, 408, 429 and 5xx with backoff; a `Retry-After` on the answer
 * sets the wait instead (at most `maxRetryAfterMs`). Other statuses throw
 * at once. Throws {@linkcode HttpError} with the attempts made, or the
 * signal's reason once it aborts.
 */
export async function exchange(
  make: (signal: AbortSignal) => Request,
  send: Fetch,
  policy: ExchangePolicy,
  action: string,
  url: string,
  signal: AbortSignal,
  accept: (status: number) => boolean = (status) =>
    status >= 200 && status < 300,
): Promise<Response> {
  for (let attempt = 1;; attempt++) {
    signal.throwIfAborted();
    let error: HttpError;
    let wait: number | undefined;
    let response: Response | undefined;
    try {
      response = await send(
        make(AbortSignal.any([signal, AbortSignal.timeout(policy.timeoutMs)])),
      );
    } catch (cause) {
      signal.throwIfAborted();
      error = new HttpError(action, url, undefined, attempt, "", { cause });
    }
    if (response !== undefined) {
      if (accept(response.status)) return response;
      error = new HttpError(
        action,
        url,
        response.status,
        attempt,
        await excerpt(response),
      );
      if (!retryableStatus(response.status)) throw error;
      wait = retryAfterMs(response.headers.get("retry-after"));
    }
    if (
      attempt >= policy.maxAttempts ||
      (policy.retryable !== undefined && !policy.retryable(error!))
    ) throw error!;
    if (wait === undefined) {
      const ceiling = Math.min(
        policy.maxDelayMs,
        policy.initialDelayMs * 2 ** (attempt - 1),
      );
      wait = ceiling / 2 + Math.random() * ceiling / 2;
    } else wait = Math.min(wait, policy.maxRetryAfterMs);
    await sleep(wait, signal);
  }
}
