// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { Position } from "../../src/checkpoint/position.ts";
import { valueAt } from "../../src/util/json_pointer.ts";
import type { RetryPolicy } from "../../src/failures/retry_policy.ts";
import { checkRetryPolicy } from "../../src/failures/retrying.ts";
import type { Message } from "../../src/messages/message.ts";
import { MessageError } from "../../src/messages/message_error.ts";
import { resumableSource } from "../../src/sources/resumable_source.ts";
import type {
  ResumableSource,
  SourceBatch,
} from "../../src/sources/resumable_source.ts";
import { describeValue } from "../../src/util/describe_value.ts";
import { sleep } from "../../src/util/sleep.ts";
import { exchange, exchangePolicy } from "./_exchange.ts";
import type { OutgoingRequest } from "./_exchange.ts";
import type { Fetch } from "./_http_internals.ts";
import {
  bodyKind,
  moveCredentials,
  parseNdjson,
  positiveOption,
  redactUrl,
  utf8,
} from "./_http_internals.ts";

/**
 * One poll's answer, as {@linkcode HttpPollSourceOptions.cursor} sees it.
 *
 * @example Take the cursor from a Link-like header
 * ```ts
 * import type { HttpPollResponse } from "@ca/streams/http";
 *
 * const cursor = (response: HttpPollResponse) => response.headers.get("x-next-cursor");
 * const seen: HttpPollResponse = {
 *   status: 200,
 *   headers: new Headers({ "x-next-cursor": "c2" }),
 *   body: [],
 *   records: [],
 * };
 * if (cursor(seen) !== "c2") throw new Error("unexpected");
 * ```
 */
export interface HttpPollResponse {
  /** The status (2xx). */
  status: number;
  /** The answer's headers. */
  headers: Headers;
  /** The parsed body: the JSON document, or the NDJSON lines as an array. */
  body: unknown;
  /** The records found in the body. */
  records: unknown[];
}

/**
 * Options for {@linkcode httpPollSource}.
 *
 * @example A cursor from the body, sent as the `after` query parameter
 * ```ts
 * import { httpPollSource } from "@ca/streams/http";
 * import type { HttpPollSourceOptions } from "@ca/streams/http";
 *
 * const options: HttpPollSourceOptions = {
 *   records: "/items",
 *   cursor: "/next",
 *   cursorParam: "after",
 *   intervalMs: 10_000,
 * };
 * const source = httpPollSource("https://api.example.com/events", options);
 * if (source === undefined) throw new Error("unexpected");
 * ```
 */
export interface HttpPollSourceOptions {
  /**
   * Where the records are in a JSON body: a JSON pointer to an array
   * (default `""`: the body is the array). NDJSON bodies give one record
   * per line.
   */
  records?: string;
  /**
   * The next cursor, from the answer: a function (`undefined` or `null`
   * keeps the current cursor), or a JSON pointer into the body. Without
   * one, every poll asks for the same thing (use `ETag`s then).
   */
  cursor?: ((response: HttpPollResponse) => unknown) | string;
  /** The query parameter that carries the cursor (default `"cursor"`). */
  cursorParam?: string;
  /** The request header that carries the cursor, instead of a query parameter. */
  cursorHeader?: string;
  /** The cursor of the first poll when there is no checkpoint. */
  initialCursor?: string;
  /**
   * How the body is read (default: from its content type: NDJSON types as
   * NDJSON, anything else as JSON).
   */
  bodyFormat?: "json" | "ndjson";
  /** The wait between polls that found nothing new, in ms (default 5000). */
  intervalMs?: number;
  /** Headers on every request, such as `authorization`. */
  requestHeaders?: Headers | Record<string, string> | [string, string][];
  /**
   * Retries of network errors, timeouts, 408, 429 and 5xx (default 5
   * attempts, 100 ms up to 10 s, or what `Retry-After` asks); after them,
   * and at once for other statuses, the source fails with an `HttpError`.
   */
  retry?: RetryPolicy;
  /** The longest wait a `Retry-After` may ask for, in ms (default 60,000). */
  maxRetryAfterMs?: number;
  /** How long one request may take, in ms (default 30,000). */
  timeoutMs?: number;
  /** Sends the requests (default `globalThis.fetch`); inject one in tests. */
  fetch?: (request: Request) => Promise<Response>;
}

/** What application/x-www-form-urlencoded leaves unencoded. */
const FORM_SAFE = /^[A-Za-z0-9*._-]*$/;

/**
 * Creates a source that polls an HTTP endpoint with GET: each answer's
 * records become a batch of {@linkcode Message}s (`value` = the record),
 * and the cursor taken from the answer goes into the next request (a query
 * parameter or a header). Its position is that cursor, so a pipeline with
 * a checkpoint resumes from the last cursor whose records were stored
 * (at-least-once: a crash re-reads what came after it).
 *
 * While the cursor moves, it polls again at once; when an answer brings
 * nothing new it waits `intervalMs`. The answer's `ETag` is sent back as
 * `If-None-Match` when the same cursor is asked for again, and `304 Not
 * Modified` means nothing new. A body that does not parse or has no array
 * at `records` fails the source with a `MessageError`; a server that keeps
 * failing with an `HttpError`. Only web-standard `fetch`: it runs in
 * workers.
 *
 * @typeParam T The type of the records' `value` (not checked).
 * @param url The endpoint.
 * @param options Where records and cursor are, the interval, retries.
 * @returns A resumable source for `pipeline()`.
 *
 * @example Poll a paged API until its cursor stops moving
 * ```ts
 * import { collect, memoryStore, pipeline, take } from "@ca/streams";
 * import { httpPollSource } from "@ca/streams/http";
 * import type { Message } from "@ca/streams/messages";
 *
 * const pages: Record<string, { items: number[]; next: string }> = {
 *   "": { items: [1, 2], next: "p2" },
 *   p2: { items: [3], next: "p3" },
 * };
 * const source = httpPollSource<number>("http://localhost/items", {
 *   records: "/items",
 *   cursor: "/next",
 *   fetch: async (request) => {
 *     const cursor = new URL(request.url).searchParams.get("cursor") ?? "";
 *     return Response.json(pages[cursor] ?? { items: [], next: cursor });
 *   },
 * });
 * const sink = collect<Message<number>>();
 * const store = memoryStore();
 * const summary = await pipeline(source, take(3), sink, { id: "items", checkpoint: { store } });
 * if (sink.records.map((m) => m.value).join() !== "1,2,3") throw new Error("unexpected");
 * if (summary.position !== "p3") throw new Error(`position ${summary.position}`);
 * ```
 */
export function httpPollSource<T = unknown>(
  url: string | URL,
  options: HttpPollSourceOptions = {},
): ResumableSource<Message<T>> {
  const where = "httpPollSource()";
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
  const pointer = (name: string, value: unknown) => {
    if (
      value !== undefined &&
      (typeof value !== "string" || (value !== "" && !value.startsWith("/")))
    ) {
      throw new TypeError(
        `Cannot create ${where}: options.${name} must be a JSON pointer such as "/items", got ${
          describeValue(value)
        }`,
      );
    }
  };
  pointer("records", options.records);
  const recordsAt = options.records ?? "";
  const cursorOption = options.cursor;
  if (typeof cursorOption !== "function") pointer("cursor", cursorOption);
  const cursorOf = cursorOption === undefined
    ? () => undefined
    : typeof cursorOption === "function"
    ? cursorOption
    : (response: HttpPollResponse) => valueAt(response.body, cursorOption);
  const cursorParam = options.cursorParam ?? "cursor";
  const cursorHeader = options.cursorHeader;
  const bodyFormat = options.bodyFormat;
  if (
    bodyFormat !== undefined && bodyFormat !== "json" &&
    bodyFormat !== "ndjson"
  ) {
    throw new TypeError(
      `Cannot create ${where}: options.bodyFormat must be "json" or "ndjson", got ${
        describeValue(bodyFormat)
      }`,
    );
  }
  const intervalMs = positiveOption(
    where,
    "intervalMs",
    options.intervalMs,
    5000,
  );
  if (options.retry !== undefined) checkRetryPolicy(where, options.retry);
  const policy = exchangePolicy(
    options.retry,
    positiveOption(where, "maxRetryAfterMs", options.maxRetryAfterMs, 60_000),
    positiveOption(where, "timeoutMs", options.timeoutMs, 30_000),
  );
  // Without one, each poll is a plain fetch(url, init).
  const send: Fetch | undefined = options.fetch;
  if (send !== undefined && typeof send !== "function") {
    throw new TypeError(
      `Cannot create ${where}: options.fetch must be a function, got ${typeof send}`,
    );
  }
  const fixedHeaders = new Headers(options.requestHeaders);
  // User info becomes a Basic authorization header.
  const address = moveCredentials(target, fixedHeaders);

  // Made once: a poll only adds its cursor and ETag (a page is a request:
  // what is built per request shows in the records per second).
  const baseHeaders = new Headers(fixedHeaders);
  baseHeaders.set("accept", "application/json, application/x-ndjson");
  const headerPairs = [...baseHeaders];
  const base = new URL(address);
  /** The URL up to where `cursorParam=...` is appended, when it can be. */
  const encodedParam = new URLSearchParams([[cursorParam, ""]]).toString()
    .slice(0, -1);
  const queryPrefix = base.hash === "" && !base.searchParams.has(cursorParam)
    ? base.href +
      (base.search === "" ? (base.href.endsWith("?") ? "" : "?") : "&")
    : undefined;

  function urlFor(cursor: string | null): string {
    if (cursor === null || cursorHeader !== undefined) return base.href;
    if (queryPrefix !== undefined) {
      // Characters form encoding leaves as they are need no encoder.
      return queryPrefix +
        (FORM_SAFE.test(cursor)
          ? `${encodedParam}=${cursor}`
          : new URLSearchParams([[cursorParam, cursor]]));
    }
    const url = new URL(base);
    url.searchParams.set(cursorParam, cursor);
    return url.href;
  }

  function request(
    cursor: string | null,
    etag: string | undefined,
  ): () => OutgoingRequest {
    return () => {
      let headers: HeadersInit = headerPairs;
      if (
        etag !== undefined || (cursor !== null && cursorHeader !== undefined)
      ) {
        const more = new Headers(baseHeaders);
        if (etag !== undefined) more.set("if-none-match", etag);
        if (cursor !== null && cursorHeader !== undefined) {
          more.set(cursorHeader, cursor);
        }
        headers = more;
      }
      return { url: urlFor(cursor), init: { method: "GET", headers } };
    };
  }

  async function read(response: Response): Promise<HttpPollResponse> {
    const bytes = new Uint8Array(await response.arrayBuffer());
    const kind = bodyFormat ??
      (bodyKind(response.headers.get("content-type")) === "ndjson"
        ? "ndjson"
        : "json");
    const fail = (cause: unknown): never => {
      throw new MessageError(
        "http-poll-source",
        `read the answer of ${shown}`,
        cause,
        bytes,
      );
    };
    let body: unknown;
    try {
      const text = utf8(bytes);
      body = kind === "ndjson" ? parseNdjson(text) : JSON.parse(text);
    } catch (error) {
      fail(error);
    }
    const records = kind === "ndjson" ? body : valueAt(body, recordsAt);
    if (!Array.isArray(records)) {
      fail(
        new TypeError(
          `the body at ${JSON.stringify(recordsAt)} must be an array, got ${
            describeValue(records)
          }`,
        ),
      );
    }
    return {
      status: response.status,
      headers: response.headers,
      body,
      records: records as unknown[],
    };
  }

  async function* open(
    after: Position | undefined,
    { signal }: { signal: AbortSignal },
  ): AsyncGenerator<SourceBatch<Message<T>>> {
    let cursor: string | null = after === undefined
      ? options.initialCursor ?? null
      : after === null
      ? null
      : String(after);
    /** The last ETag, and the cursor it was given for. */
    let etag: { cursor: string | null; value: string } | undefined;
    while (!signal.aborted) {
      /** The answer read (within the request's timeout); none for a 304. */
      let polled: { answer: HttpPollResponse; tag: string | null } | undefined;
      try {
        polled = await exchange(
          request(cursor, etag?.cursor === cursor ? etag.value : undefined),
          send,
          policy,
          "poll (http-poll-source)",
          shown,
          signal,
          async (response) => {
            if (response.status === 304) {
              await response.body?.cancel().catch(() => {});
              return undefined;
            }
            const answer = await read(response);
            return { answer, tag: response.headers.get("etag") };
          },
          (status) => (status >= 200 && status < 300) || status === 304,
        );
      } catch (error) {
        if (signal.aborted) return;
        throw error;
      }
      if (polled === undefined) {
        if (!(await pause(signal))) return;
        continue;
      }
      const { answer, tag } = polled;
      etag = tag === null ? undefined : { cursor, value: tag };
      const found = cursorOf(answer);
      const next = found === undefined || found === null
        ? cursor
        : String(found);
      const moved = next !== cursor;
      cursor = next;
      const values = answer.records;
      if (values.length > 0) {
        const records = new Array<Message<T>>(values.length);
        for (let i = 0; i < values.length; i++) {
          records[i] = { value: values[i] as T };
        }
        yield { records, position: cursor };
      }
      if (!moved || answer.records.length === 0) {
        if (!(await pause(signal))) return;
      }
    }
  }

  /** Waits an interval; false when the signal aborted meanwhile. */
  async function pause(signal: AbortSignal): Promise<boolean> {
    try {
      await sleep(intervalMs, signal);
      return true;
    } catch {
      return false;
    }
  }

  return resumableSource<Message<T>>({ name: "httpPollSource", open });
}
