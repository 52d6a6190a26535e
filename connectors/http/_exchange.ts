// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.
// One HTTP exchange with retries honouring Retry-After (not exported from mod.ts).

import type { RetryPolicy } from "../../src/failures/retry_policy.ts";
import type { Fetch } from "./_http_internals.ts";
import { sleep } from "../../src/util/sleep.ts";
import { excerpt, retryAfterMs } from "./_http_internals.ts";
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

/** One attempt's request: its URL and init, without a signal. */
export interface OutgoingRequest {
  url: string;
  init: Omit<RequestInit, "signal">;
}

/**
 * Sends `make()` until an answer `accept`s, retrying network errors,
 * timeouts, 408, 429 and 5xx with backoff; a `Retry-After` on the answer
 * sets the wait instead (at most `maxRetryAfterMs`). Other statuses throw
 * at once. Throws {@linkcode HttpError} with the attempts made, or the
 * signal's reason once it aborts.
 *
 * An accepted answer is handed to `consume`, which reads its body while
 * the attempt's timeout still runs, and whose result (or error: it is not
 * retried) `exchange` returns. Without `send`, each attempt is
 * `fetch(url, init)`: a `Request` is made only for an injected `send`,
 * which takes one (fetch would copy it).
 *
 * `signal` may be two signals (the sink's own and its write's): either
 * ends the exchange, without the cost of an `AbortSignal.any()` per call.
 */
export async function exchange<R>(
  make: () => OutgoingRequest,
  send: Fetch | undefined,
  policy: ExchangePolicy,
  action: string,
  url: string,
  signal: AbortSignal | readonly [AbortSignal, AbortSignal],
  consume: (response: Response) => R | Promise<R>,
  accept: (status: number) => boolean = (status) =>
    status >= 200 && status < 300,
): Promise<R> {
  const [first, second] = signal instanceof AbortSignal
    ? [signal, undefined]
    : signal;
  const throwIfAborted = () => {
    first.throwIfAborted();
    second?.throwIfAborted();
  };
  for (let attempt = 1;; attempt++) {
    throwIfAborted();
    let error: HttpError;
    let wait: number | undefined;
    // One controller per attempt, ended by the signal or the timeout, and
    // its timer cleared once the answer is read: cheaper than a dependent
    // signal with a timeout signal that lives on for `timeoutMs`.
    const attemptControl = new AbortController();
    const forward = (event: Event) =>
      attemptControl.abort((event.target as AbortSignal).reason);
    first.addEventListener("abort", forward, { once: true });
    second?.addEventListener("abort", forward, { once: true });
    const timer = setTimeout(
      () =>
        attemptControl.abort(
          new DOMException(
            `no answer within ${policy.timeoutMs} ms`,
            "TimeoutError",
          ),
        ),
      policy.timeoutMs,
    );
    try {
      let response: Response | undefined;
      try {
        const outgoing = make();
        const init: RequestInit = {
          ...outgoing.init,
          signal: attemptControl.signal,
        };
        response = await (send === undefined
          ? fetch(outgoing.url, init)
          : send(new Request(outgoing.url, init)));
      } catch (cause) {
        throwIfAborted();
        error = new HttpError(action, url, undefined, attempt, "", { cause });
      }
      if (response !== undefined) {
        if (accept(response.status)) return await consume(response);
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
    } finally {
      clearTimeout(timer);
      first.removeEventListener("abort", forward);
      second?.removeEventListener("abort", forward);
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
    // Retries are rare: a dependent signal for the wait costs nothing here.
    await sleep(
      wait,
      second === undefined ? first : AbortSignal.any([first, second]),
    );
  }
}
