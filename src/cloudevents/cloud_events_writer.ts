// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { RetryPolicy } from "../failures/retry_policy.ts";
import {
  checkRetryPolicy,
  retrying,
  unwrapExhausted,
} from "../failures/retrying.ts";
import { batchSink } from "../sinks/batch_sink.ts";
import type { BatchSink, BatchWriteContext } from "../sinks/batch_sink.ts";
import type { CloudEvent } from "./cloud_event.ts";
import { CloudEventsDeliveryError } from "./cloud_events_delivery_error.ts";
import { encodeHttp } from "./encode_http.ts";
import type {
  CloudEventsHttpMessage,
  CloudEventsMode,
} from "./http_message.ts";
import { positiveIntegerOption } from "./positive_integer_option.ts";

/**
 * Sends one request: `globalThis.fetch`, or anything shaped like it.
 *
 * @example Send through a function of your own instead of the network
 * ```ts
 * import { pipeline } from "@ca/streams";
 * import { cloudEventsWriter } from "@ca/streams/cloudevents";
 * import type { FetchFunction } from "@ca/streams/cloudevents";
 *
 * const ids: string[] = [];
 * const fetch: FetchFunction = async (request) => {
 *   ids.push(request.headers.get("ce-id") ?? "");
 *   return new Response(null, { status: 202 });
 * };
 * const event = { specversion: "1.0" as const, id: "1", source: "/s", type: "t" };
 * const writer = cloudEventsWriter("http://localhost/", { fetch });
 * await pipeline([event, { ...event, id: "2" }], writer);
 * if (ids.join() !== "1,2") throw new Error(`unexpected ${ids}`);
 * ```
 */
export type FetchFunction = (request: Request) => Promise<Response>;

/**
 * Options for {@linkcode cloudEventsWriter}.
 *
 * @example Structured mode, a header on every request, and a retry after 503
 * ```ts
 * import { pipeline } from "@ca/streams";
 * import { cloudEventsWriter } from "@ca/streams/cloudevents";
 * import type { CloudEventsWriterOptions } from "@ca/streams/cloudevents";
 *
 * const statuses = [503, 204];
 * const auth: string[] = [];
 * const options: CloudEventsWriterOptions = {
 *   mode: "structured",
 *   headers: { authorization: "Bearer s3cret" },
 *   retry: { maxAttempts: 2, initialDelayMs: 1 },
 *   fetch: async (request) => {
 *     auth.push(request.headers.get("authorization") ?? "");
 *     return new Response(null, { status: statuses.shift() });
 *   },
 * };
 * const event = { specversion: "1.0" as const, id: "1", source: "/s", type: "t" };
 * await pipeline([event], cloudEventsWriter("http://localhost/", options));
 * if (auth.length !== 2 || auth[1] !== "Bearer s3cret") throw new Error("unexpected");
 * ```
 */
export interface CloudEventsWriterOptions {
  /**
   * The content mode (default `"binary"`): one request per event in
   * `"binary"` and `"structured"` mode, up to `maxBatchEvents` per request
   * in `"batch"` mode (use it only where the receiver accepts batches).
   */
  mode?: CloudEventsMode;
  /** Sends the requests (default `globalThis.fetch`); inject one in tests. */
  fetch?: FetchFunction;
  /**
   * Retries of a request that failed for a reason worth retrying: the
   * receiver unreachable or too slow, or status 408, 429 or 5xx (other
   * statuses fail at once). Default: 3 attempts, waits from 100 ms up to
   * 5 s. `retryable` can veto a retry; it receives a
   * {@linkcode CloudEventsDeliveryError}.
   */
  retry?: RetryPolicy;
  /**
   * More headers on every request, such as `authorization`: a `Headers`,
   * a record or name/value pairs (what `new Headers()` takes, spelled out
   * so that the type needs no DOM lib).
   */
  headers?: Headers | Record<string, string> | [string, string][];
  /** The most events in one request in batch mode (default 1000). */
  maxBatchEvents?: number;
  /**
   * How many requests may be in flight at once (default 1: in order). With
   * more, the sink takes the next batch while requests are on their way,
   * and the pipeline's checkpoint waits for each batch's answers
   * (`context.defer()`); the receiver may then see events out of order.
   */
  concurrency?: number;
  /** How long one attempt may take, in ms (default 30,000). */
  timeoutMs?: number;
  /** Aborting it aborts the requests in flight and fails the sink. */
  signal?: AbortSignal;
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Creates a sink that POSTs CloudEvents to an HTTP receiver, in binary,
 * structured or batched mode, with retries and backoff. A batch counts as
 * stored once the receiver answered 2xx for every one of its events.
 *
 * Encoding (`encodeHttp()`) is kept apart from sending (`options.fetch`),
 * so any transport that takes a `Request` fits. Every event is checked
 * before it is sent; an invalid one fails the write with a
 * `CloudEventError`, so with a pipeline's `deadLetter` only that event
 * becomes a dead letter. A receiver that keeps refusing fails it with a
 * {@linkcode CloudEventsDeliveryError}.
 *
 * @typeParam T The type of the events' `data`.
 * @param url Where to POST.
 * @param options `mode`, `fetch`, `retry`, `headers`, `maxBatchEvents`,
 * `concurrency`, `timeoutMs`, `signal`.
 * @returns A batch sink for `pipeline()`.
 *
 * @example Send events in batched mode (with a fake fetch)
 * ```ts
 * import { pipeline } from "@ca/streams";
 * import { type CloudEvent, cloudEventsWriter } from "@ca/streams/cloudevents";
 *
 * const bodies: string[] = [];
 * const writer = cloudEventsWriter("http://localhost/events", {
 *   mode: "batch",
 *   fetch: async (request) => {
 *     bodies.push(await request.text());
 *     return new Response(null, { status: 204 });
 *   },
 * });
 * const events: CloudEvent[] = [1, 2, 3].map((n) => ({
 *   specversion: "1.0",
 *   id: String(n),
 *   source: "/counter",
 *   type: "com.example.tick",
 *   data: n,
 * }));
 * await pipeline(events, writer);
 * if (JSON.parse(bodies[0]!).length !== 3) throw new Error("unexpected");
 * ```
 */
export function cloudEventsWriter<T = unknown>(
  url: string | URL,
  options: CloudEventsWriterOptions = {},
): BatchSink<CloudEvent<T>> {
  const target = String(url);
  try {
    new URL(target);
  } catch {
    throw new TypeError(
      `Cannot create cloudEventsWriter(): url must be an absolute URL, got ${
        JSON.stringify(target)
      }`,
    );
  }
  const mode = options.mode ?? "binary";
  if (mode !== "binary" && mode !== "structured" && mode !== "batch") {
    throw new TypeError(
      `Cannot create cloudEventsWriter(): options.mode must be "binary", "structured" or "batch", got ${
        JSON.stringify(mode)
      }`,
    );
  }
  const send: FetchFunction = options.fetch ??
    ((request) => globalThis.fetch(request));
  if (typeof send !== "function") {
    throw new TypeError(
      `Cannot create cloudEventsWriter(): options.fetch must be a function, got ${typeof send}`,
    );
  }
  const policy = options.retry ?? {};
  checkRetryPolicy("cloudEventsWriter()", policy);
  const maxBatchEvents = positiveIntegerOption(
    "cloudEventsWriter",
    "maxBatchEvents",
    options.maxBatchEvents,
    1000,
  );
  const concurrency = positiveIntegerOption(
    "cloudEventsWriter",
    "concurrency",
    options.concurrency,
    1,
  );
  const timeoutMs = positiveIntegerOption(
    "cloudEventsWriter",
    "timeoutMs",
    options.timeoutMs,
    30_000,
  );
  const extraHeaders = new Headers(options.headers);
  const abort = new AbortController();
  if (options.signal !== undefined) {
    if (options.signal.aborted) abort.abort(options.signal.reason);
    else {
      options.signal.addEventListener(
        "abort",
        () => abort.abort(options.signal!.reason),
        { once: true },
      );
    }
  }

  /** One attempt; `deliver()` fills in how many there were. */
  async function post(message: CloudEventsHttpMessage): Promise<void> {
    abort.signal.throwIfAborted();
    const headers = new Headers(extraHeaders);
    message.headers.forEach((value, name) => headers.set(name, value));
    const request = new Request(target, {
      method: "POST",
      headers,
      body: message.body,
      signal: AbortSignal.any([abort.signal, AbortSignal.timeout(timeoutMs)]),
    });
    let response: Response;
    try {
      response = await send(request);
    } catch (cause) {
      if (abort.signal.aborted) throw abort.signal.reason;
      throw new CloudEventsDeliveryError(target, undefined, 1, "", { cause });
    }
    if (response.status >= 200 && response.status < 300) {
      await response.arrayBuffer().catch(() => {});
      return;
    }
    const text = await response.text().catch(() => "");
    throw new CloudEventsDeliveryError(
      target,
      response.status,
      1,
      text.length > 200 ? `${text.slice(0, 200)}...` : text,
    );
  }
  const userRetryable = policy.retryable;
  const postWithRetries = retrying(post, {
    ...policy,
    retryable: (error) =>
      error instanceof CloudEventsDeliveryError &&
      (error.status === undefined || RETRYABLE_STATUS.has(error.status)) &&
      (userRetryable === undefined || userRetryable(error)),
  });
  async function deliver(message: CloudEventsHttpMessage): Promise<void> {
    try {
      await postWithRetries(message);
    } catch (thrown) {
      const { error, attempts } = unwrapExhausted(thrown);
      if (error instanceof CloudEventsDeliveryError) {
        throw new CloudEventsDeliveryError(
          error.url,
          error.status,
          attempts,
          error.body,
          { cause: error.cause },
        );
      }
      throw error;
    }
  }

  function encode(records: CloudEvent<T>[]): CloudEventsHttpMessage[] {
    if (mode !== "batch") {
      return records.map((event) => encodeHttp(event, mode));
    }
    const messages: CloudEventsHttpMessage[] = [];
    for (let i = 0; i < records.length; i += maxBatchEvents) {
      messages.push(encodeHttp(records.slice(i, i + maxBatchEvents), mode));
    }
    return messages;
  }

  /** Requests in flight (concurrency > 1) and the first failure among them. */
  let inFlight = 0;
  let failure: { error: unknown } | undefined;
  const waiters: (() => void)[] = [];
  const settled = () => {
    inFlight--;
    waiters.shift()?.();
  };
  async function slot(): Promise<void> {
    while (inFlight >= concurrency) {
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
    inFlight++;
  }
  function rethrow(): void {
    if (failure !== undefined) throw failure.error;
  }

  return batchSink<CloudEvent<T>>({
    async write(records: CloudEvent<T>[], context: BatchWriteContext) {
      rethrow();
      const messages = encode(records);
      if (concurrency === 1) {
        for (const message of messages) await deliver(message);
        return;
      }
      const acknowledge = context.defer();
      const sends: Promise<void>[] = [];
      for (const message of messages) {
        await slot();
        const sent = deliver(message);
        sent.then(settled, (error) => {
          failure ??= { error };
          settled();
        });
        sends.push(sent);
      }
      Promise.all(sends).then(
        () => acknowledge(),
        (error) => acknowledge(error),
      );
    },
    async close() {
      while (inFlight > 0) {
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
      rethrow();
    },
    abort(reason) {
      abort.abort(reason);
    },
  });
}
