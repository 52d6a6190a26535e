// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { RetryPolicy } from "../../src/failures/retry_policy.ts";
import { checkRetryPolicy } from "../../src/failures/retrying.ts";
import { messageEncoder } from "../../src/messages/message_encoder.ts";
import type {
  EncodedMessage,
  MessageEncoding,
} from "../../src/messages/message_encoder.ts";
import { batchSink } from "../../src/sinks/batch_sink.ts";
import type {
  BatchSink,
  BatchWriteContext,
} from "../../src/sinks/batch_sink.ts";
import { exchange, exchangePolicy, retryableStatus } from "./_exchange.ts";
import type { Fetch } from "./_http_internals.ts";
import {
  moveCredentials,
  positiveOption,
  redactUrl,
} from "./_http_internals.ts";
import { HttpError } from "./http_error.ts";

/**
 * Options for {@linkcode httpSink}: what each record sends (`value`, `key`,
 * `headers`, `format`, as {@linkcode MessageEncoding}), how records are put
 * into requests, and how failures are retried.
 *
 * @typeParam T The record type.
 *
 * @example NDJSON batches with a bearer token, keyed by order id
 * ```ts
 * import { pipeline } from "@ca/streams";
 * import { httpSink } from "@ca/streams/http";
 * import type { HttpSinkOptions } from "@ca/streams/http";
 *
 * const seen: string[] = [];
 * const options: HttpSinkOptions<{ id: number }> = {
 *   mode: "ndjson",
 *   key: "/id",
 *   requestHeaders: { authorization: "Bearer s3cret" },
 *   retry: { maxAttempts: 3, initialDelayMs: 1 },
 *   fetch: async (request) => {
 *     seen.push(`${request.headers.get("content-type")} ${(await request.text()).trim()}`);
 *     return new Response(null, { status: 204 });
 *   },
 * };
 * await pipeline([{ id: 1 }, { id: 2 }], httpSink("http://localhost/bulk", options));
 * if (seen[0] !== 'application/x-ndjson {"id":1}\n{"id":2}') throw new Error(seen[0]);
 * ```
 */
export interface HttpSinkOptions<T> extends Omit<MessageEncoding<T>, "topic"> {
  /**
   * How records are put into requests (default `"record"`): `"record"`, one
   * request per record (its `headers` become request headers, its `key` the
   * `Idempotency-Key`); `"ndjson"`, one `application/x-ndjson` request per
   * batch of up to `maxBatchRecords`; `"array"`, one JSON array per batch.
   * The batch modes take `format: "json"` only.
   */
  mode?: "record" | "ndjson" | "array";
  /** The method (default `"POST"`). */
  method?: "POST" | "PUT" | "PATCH";
  /** The most records in one request in the batch modes (default 500). */
  maxBatchRecords?: number;
  /**
   * Headers on every request, such as `authorization`: a `Headers`, a
   * record or name/value pairs.
   */
  requestHeaders?: Headers | Record<string, string> | [string, string][];
  /**
   * The header that carries the key (default `"Idempotency-Key"`). In the
   * batch modes it carries the SHA-256 (hex) of the batch's keys, one per
   * line, when every record has one.
   */
  idempotencyHeader?: string;
  /**
   * Retries of network errors, timeouts, 408, 429 and 5xx: default 5
   * attempts, waits from 100 ms up to 10 s, or what the answer's
   * `Retry-After` says (seconds or an HTTP date). `retryable` can veto a
   * retry; it receives an {@linkcode HttpError}.
   */
  retry?: RetryPolicy;
  /** The longest wait a `Retry-After` may ask for, in ms (default 60,000). */
  maxRetryAfterMs?: number;
  /** How long one attempt may take, in ms (default 30,000). */
  timeoutMs?: number;
  /** Sends the requests (default `globalThis.fetch`); inject one in tests. */
  fetch?: (request: Request) => Promise<Response>;
  /** Aborting it aborts the requests in flight and fails the sink. */
  signal?: AbortSignal;
}

interface Outgoing {
  body: Uint8Array | string;
  headers: HeadersInit;
  /** The indexes of its records in the batch. */
  from: number;
  to: number;
}

/** The records of a refused batch that the pipeline now writes one by one. */
interface Isolating<T> {
  records: readonly T[];
  sent: boolean[];
  /** The error of a record refused on its own (mode "record"). */
  refused: Map<number, unknown>;
  next: number;
}

const CONTENT_TYPES: Record<string, string> = {
  json: "application/json",
  text: "text/plain; charset=utf-8",
  bytes: "application/octet-stream",
  cloudevents: "application/cloudevents+json; charset=utf-8",
};

/**
 * Creates a sink that sends records to an HTTP endpoint: one request per
 * record, or an NDJSON body or a JSON array per batch. A batch counts as
 * stored once every request of it was answered 2xx.
 *
 * Every record of a batch is encoded before anything is sent (a record
 * that cannot be encoded throws a `MessageError` and nothing goes out).
 * Network errors, timeouts, 408, 429 and 5xx are retried with backoff,
 * waiting what `Retry-After` asks. Any other 4xx is the record's fault: the
 * write throws an {@linkcode HttpError}, and with a pipeline `deadLetter`
 * the pipeline writes that batch again one record per call, so only the
 * refused record becomes a dead letter (records of the batch already
 * answered 2xx are not sent twice, nor is a record refused on its own). A server that still fails after the
 * retries fails the pipeline (through the batch's deferred
 * acknowledgement, so not into the dead letter): nothing of that batch is
 * checkpointed, and a rerun sends it again, with the same
 * `Idempotency-Key` (at-least-once).
 *
 * @typeParam T The record type.
 * @param url Where to send.
 * @param options `mode`, the message fields, retries, headers, `fetch`, `signal`.
 * @returns A batch sink for `pipeline()`.
 *
 * @example One request per record, keyed for the server's deduplication
 * ```ts
 * import { pipeline } from "@ca/streams";
 * import { httpSink } from "@ca/streams/http";
 *
 * const keys: string[] = [];
 * const sink = httpSink<{ id: string; total: number }>("http://localhost/orders", {
 *   key: (order) => order.id,
 *   fetch: async (request) => {
 *     keys.push(request.headers.get("idempotency-key") ?? "");
 *     return new Response(null, { status: 201 });
 *   },
 * });
 * await pipeline([{ id: "a", total: 1 }, { id: "b", total: 2 }], sink);
 * if (keys.join() !== "a,b") throw new Error(`unexpected ${keys}`);
 * ```
 */
export function httpSink<T = unknown>(
  url: string | URL,
  options: HttpSinkOptions<T> = {},
): BatchSink<T> {
  const where = "httpSink()";
  const target = String(url);
  try {
    if (!/^https?:$/.test(new URL(target).protocol)) throw new TypeError();
  } catch {
    throw new TypeError(
      `Cannot create ${where}: url must be an absolute http(s) URL, got ${
        JSON.stringify(redactUrl(target))
      }`,
    );
  }
  const shown = redactUrl(target);
  const mode = options.mode ?? "record";
  if (mode !== "record" && mode !== "ndjson" && mode !== "array") {
    throw new TypeError(
      `Cannot create ${where}: options.mode must be "record", "ndjson" or "array", got ${
        JSON.stringify(mode)
      }`,
    );
  }
  const format = options.format ?? "json";
  if (mode !== "record" && format !== "json") {
    throw new TypeError(
      `Cannot create ${where}: options.format must be "json" in mode "${mode}", got ${
        JSON.stringify(format)
      }`,
    );
  }
  const method = options.method ?? "POST";
  if (!["POST", "PUT", "PATCH"].includes(method)) {
    throw new TypeError(
      `Cannot create ${where}: options.method must be "POST", "PUT" or "PATCH", got ${
        JSON.stringify(method)
      }`,
    );
  }
  // Without one, each request is a plain fetch(url, init).
  const send: Fetch | undefined = options.fetch;
  if (send !== undefined && typeof send !== "function") {
    throw new TypeError(
      `Cannot create ${where}: options.fetch must be a function, got ${typeof send}`,
    );
  }
  if (options.retry !== undefined) checkRetryPolicy(where, options.retry);
  const policy = exchangePolicy(
    options.retry,
    positiveOption(where, "maxRetryAfterMs", options.maxRetryAfterMs, 60_000),
    positiveOption(where, "timeoutMs", options.timeoutMs, 30_000),
  );
  const maxBatchRecords = positiveOption(
    where,
    "maxBatchRecords",
    options.maxBatchRecords,
    500,
  );
  const idempotencyHeader = options.idempotencyHeader ?? "Idempotency-Key";
  const fixedHeaders = new Headers(options.requestHeaders);
  // User info becomes a Basic authorization header.
  const address = moveCredentials(target, fixedHeaders);
  const encode = messageEncoder<T>({
    value: options.value,
    key: options.key,
    headers: options.headers,
    format,
    cloudEventsMode: options.cloudEventsMode,
  }, "http-sink");
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

  // Built once: fetch() reads name/value pairs several times faster than a
  // Headers object, and a request is a batch, so per-request work shows in
  // the records per second. Per request, Headers are made only when a
  // record or a batch adds its own (its headers, its key).
  const batchHeaders = new Headers(fixedHeaders);
  batchHeaders.set(
    "content-type",
    mode === "ndjson" ? "application/x-ndjson" : "application/json",
  );
  const batchHeaderPairs = [...batchHeaders];
  const recordHeaders = new Headers(fixedHeaders);
  if (!(format === "cloudevents" && options.cloudEventsMode === "binary")) {
    recordHeaders.set("content-type", CONTENT_TYPES[format]!);
  }
  const recordHeaderPairs = [...recordHeaders];

  async function requests(messages: EncodedMessage[]): Promise<Outgoing[]> {
    if (mode === "record") {
      return messages.map((message, i) => {
        if (message.key === undefined && message.headers === undefined) {
          return {
            body: message.payload,
            headers: recordHeaderPairs,
            from: i,
            to: i + 1,
          };
        }
        const headers = new Headers(fixedHeaders);
        if (
          !(format === "cloudevents" && options.cloudEventsMode === "binary")
        ) headers.set("content-type", CONTENT_TYPES[format]!);
        for (const [name, value] of Object.entries(message.headers ?? {})) {
          headers.set(name, value);
        }
        if (message.key !== undefined) {
          headers.set(idempotencyHeader, message.key);
        }
        return { body: message.payload, headers, from: i, to: i + 1 };
      });
    }
    const out: Outgoing[] = [];
    for (let from = 0; from < messages.length; from += maxBatchRecords) {
      const chunk = messages.slice(from, from + maxBatchRecords);
      const texts = chunk.map((m) => m.payload as string);
      const body = mode === "ndjson"
        ? texts.join("\n") + "\n"
        : `[${texts.join(",")}]`;
      let headers: HeadersInit = batchHeaderPairs;
      if (chunk.every((m) => m.key !== undefined)) {
        const keys = new TextEncoder().encode(
          chunk.map((m) => m.key).join("\n"),
        );
        const digest = new Uint8Array(
          await crypto.subtle.digest("SHA-256", keys),
        );
        const keyed = new Headers(batchHeaders);
        keyed.set(
          idempotencyHeader,
          Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""),
        );
        headers = keyed;
      }
      out.push({ body, headers, from, to: from + chunk.length });
    }
    return out;
  }

  let isolating: Isolating<T> | undefined;
  let failure: { error: unknown } | undefined;

  async function write(
    records: T[],
    context: BatchWriteContext,
  ): Promise<void> {
    if (failure !== undefined) throw failure.error;
    // The pipeline's dead-letter path writes a refused batch again, one
    // record per call: skip those already answered 2xx.
    let rewrite = false;
    if (isolating !== undefined) {
      if (
        records.length === 1 &&
        records[0] === isolating.records[isolating.next]
      ) {
        rewrite = true;
        const { sent, refused } = isolating;
        const index = isolating.next++;
        if (isolating.next === isolating.records.length) isolating = undefined;
        if (sent[index]) return;
        // Refused on its own already: not sent again.
        if (refused.has(index)) throw refused.get(index);
      } else isolating = undefined;
    }
    const messages = records.map(encode);
    const outgoing = await requests(messages);
    // Either ends the requests: both given to exchange(), which listens to
    // them for each attempt (an AbortSignal.any() per write costs more).
    const signals = [abort.signal, context.signal] as const;
    const sent = new Array<boolean>(records.length).fill(false);
    for (const request of outgoing) {
      try {
        await exchange(
          () => ({
            url: address,
            init: {
              method,
              headers: request.headers,
              body: request.body as BodyInit,
            },
          }),
          send,
          policy,
          `send ${request.to - request.from} record(s) (http-sink)`,
          shown,
          signals,
          (response) => response.body?.cancel().catch(() => {}),
        );
        sent.fill(true, request.from, request.to);
      } catch (error) {
        if (abort.signal.aborted) throw abort.signal.reason;
        if (context.signal.aborted) throw context.signal.reason;
        const refused = error instanceof HttpError &&
          error.status !== undefined && !retryableStatus(error.status);
        if (refused || rewrite) {
          // The record's fault (or one record of a rewrite): the pipeline's
          // dead letter takes it, after the rest of a batch is isolated.
          if (records.length > 1) {
            const refused = new Map<number, unknown>();
            if (request.to - request.from === 1) {
              refused.set(request.from, error);
            }
            isolating = { records, sent, refused, next: 0 };
          }
          throw error;
        }
        // The server kept failing: fail the pipeline, not the records (a
        // deferred acknowledgement's error does; outside a pipeline, the
        // next write or close throws it).
        failure = { error };
        context.defer()(error);
        return;
      }
    }
  }

  return batchSink<T>({
    write,
    close() {
      if (failure !== undefined) throw failure.error;
    },
    abort(reason) {
      abort.abort(reason);
    },
  });
}
