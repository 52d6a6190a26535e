// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { Message } from "../../src/messages/message.ts";
import type { ResumableSource } from "../../src/sources/resumable_source.ts";
import {
  requestQueueSource,
  successAnswer,
} from "../../src/sources/request_queue_source.ts";
import {
  bodyKind,
  BodyTooLarge,
  parseNdjson,
  positiveOption,
  readLimited,
  utf8,
} from "./_http_internals.ts";
import { signedContent, webhookKey } from "./_webhook_key.ts";

/**
 * Options for {@linkcode webhookSource}.
 *
 * @example Signed webhooks, deduplicated for ten minutes
 * ```ts
 * import { webhookSource } from "@ca/streams/http";
 * import type { WebhookSourceOptions } from "@ca/streams/http";
 *
 * const options: WebhookSourceOptions = {
 *   secret: "whsec_" + btoa("a secret of enough bytes"),
 *   dedupWindowMs: 10 * 60_000,
 *   headers: ["webhook-id", "user-agent"],
 * };
 * const source = webhookSource(options);
 * const response = await source.fetch(new Request("http://localhost/", {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: "{}",
 * }));
 * source.close();
 * if (response.status !== 401) throw new Error(`got ${response.status}`);
 * ```
 */
export interface WebhookSourceOptions {
  /**
   * Standard Webhooks secrets (`whsec_` + base64). When set, every request
   * must carry `webhook-id`, `webhook-timestamp` and a `webhook-signature`
   * that one of them signed (several: while a secret is rotated); else 401.
   */
  secret?: string | string[];
  /**
   * How far `webhook-timestamp` may be from now, in seconds (default 300),
   * with a secret: older or newer requests get 401 (replay protection).
   */
  toleranceSeconds?: number;
  /**
   * How long a stored webhook id is remembered, in ms (default 300,000):
   * a request with the same id within it is answered 2xx and not stored
   * again. A repeat that arrives while the first is still being stored
   * gets the first one's answer.
   */
  dedupWindowMs?: number;
  /** The most ids remembered at once (default 100,000); the oldest go first. */
  maxDedupIds?: number;
  /** The header that carries the webhook id (default `"webhook-id"`). */
  idHeader?: string;
  /**
   * Request headers copied into each record's `headers` (lower case),
   * when present. Default: none.
   */
  headers?: string[];
  /**
   * Whether a JSON body that is an array gives one record per element
   * (default `false`: the whole body is one record).
   */
  splitArrays?: boolean;
  /** The largest request body, in bytes (default 1 MiB); larger gets 413. */
  maxBodyBytes?: number;
  /**
   * How long a request may wait for its records to be stored, in ms
   * (default 30,000); past it, 503 and the sender retries.
   */
  ackTimeoutMs?: number;
  /** How many records may wait to be read (default 65,536); beyond, 503. */
  maxQueuedRecords?: number;
  /** The most records handed to the pipeline as one batch (default 1024). */
  maxBatchRecords?: number;
  /** The status of a successful answer: 200, 202 or 204 (default 204). */
  successStatus?: 200 | 202 | 204;
  /** Aborting it closes the source, like `close()`. */
  signal?: AbortSignal;
}

/**
 * A webhook receiver: a fetch handler and a resumable source of
 * {@linkcode Message} records.
 *
 * @typeParam T The type of the records' `value`.
 *
 * @example Answers to a GET, a form and after close
 * ```ts
 * import { webhookSource } from "@ca/streams/http";
 * import type { WebhookSource } from "@ca/streams/http";
 *
 * const source: WebhookSource = webhookSource();
 * const get = await source.fetch(new Request("http://localhost/"));
 * const form = await source.fetch(new Request("http://localhost/", {
 *   method: "POST",
 *   headers: { "content-type": "application/x-www-form-urlencoded" },
 *   body: "a=1",
 * }));
 * source.close();
 * const late = await source.fetch(new Request("http://localhost/", {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: "{}",
 * }));
 * if (get.status !== 405 || form.status !== 415 || late.status !== 503) {
 *   throw new Error(`unexpected ${get.status} ${form.status} ${late.status}`);
 * }
 * ```
 */
export interface WebhookSource<T = unknown>
  extends ResumableSource<Message<T>> {
  /**
   * Answers one request: 2xx once its records are stored (or for a repeated
   * webhook id), 400 naming what is wrong with the body, 401 for a missing
   * or wrong signature, 405 for a method other than POST, 413 over
   * `maxBodyBytes`, 415 for a media type other than JSON or NDJSON, 503
   * (with `Retry-After`) when closed, stopped, full or too slow. Bound: pass
   * it to `Deno.serve()`, `serveNode()`, or as a worker's `fetch`.
   */
  readonly fetch: (request: Request) => Promise<Response>;
  /**
   * Stops accepting requests (new ones get 503) and ends the source once
   * what was received is read.
   */
  close(): void;
  /** Requests received and not answered yet. */
  readonly pending: number;
}

const CODE = "CA_ERR_WEBHOOK";

function answer(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ code: CODE, message }), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

const unavailable = (message: string) =>
  answer(503, message, { "retry-after": "1" });

/**
 * Creates a webhook receiver: a fetch handler for JSON and NDJSON bodies
 * and a source that hands their records to a pipeline. A request is
 * answered 2xx only once its records are stored: their sink's `write`
 * resolved (or its deferred acknowledgement arrived), or a processor or
 * the dead letter took them. The pipeline reports that through the
 * source's `ack`, with or without a checkpoint store, so the sender's
 * retry is the replay (at-least-once; with a webhook id, repeats within
 * `dedupWindowMs` are stored once).
 *
 * Records are {@linkcode Message}s: `value` is the body (or each NDJSON
 * line, or each element of a JSON array with `splitArrays`), `id` the
 * webhook id, `time` the `webhook-timestamp` as ISO 8601, `headers` the
 * request headers named by `options.headers`. Only web-standard APIs
 * (`Request`, `Response`, `crypto.subtle`): it runs in workers.
 *
 * @typeParam T The type of the records' `value` (not checked).
 * @param options Signature, deduplication, limits and `signal`.
 * @returns The source: `fetch` for the server, the source for `pipeline()`.
 *
 * @example Receive NDJSON webhooks into a pipeline
 * ```ts
 * import { collect, pipeline } from "@ca/streams";
 * import { webhookSource } from "@ca/streams/http";
 * import type { Message } from "@ca/streams/messages";
 *
 * const source = webhookSource<{ n: number }>();
 * const sink = collect<Message<{ n: number }>>();
 * const running = pipeline(source, sink);
 * // Deno.serve(source.fetch) or serveNode(source.fetch) would serve it.
 * const response = await source.fetch(new Request("http://localhost/", {
 *   method: "POST",
 *   headers: { "content-type": "application/x-ndjson", "webhook-id": "msg_1" },
 *   body: '{"n":1}\n{"n":2}\n',
 * }));
 * source.close();
 * await running;
 * if (response.status !== 204) throw new Error(`got ${response.status}`);
 * if (sink.records.map((m) => m.value.n).join() !== "1,2") throw new Error("not stored");
 * if (sink.records[0]!.id !== "msg_1") throw new Error("no id");
 * ```
 */
export function webhookSource<T = unknown>(
  options: WebhookSourceOptions = {},
): WebhookSource<T> {
  const where = "webhookSource()";
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `Cannot create ${where}: options must be an object, got ${
        options === null ? "null" : typeof options
      }`,
    );
  }
  const maxBodyBytes = positiveOption(
    where,
    "maxBodyBytes",
    options.maxBodyBytes,
    1 << 20,
  );
  const ackTimeoutMs = positiveOption(
    where,
    "ackTimeoutMs",
    options.ackTimeoutMs,
    30_000,
  );
  const maxQueuedRecords = positiveOption(
    where,
    "maxQueuedRecords",
    options.maxQueuedRecords,
    65_536,
  );
  const maxBatchRecords = positiveOption(
    where,
    "maxBatchRecords",
    options.maxBatchRecords,
    1024,
  );
  const toleranceMs = positiveOption(
    where,
    "toleranceSeconds",
    options.toleranceSeconds,
    300,
  ) * 1000;
  const dedupWindowMs = positiveOption(
    where,
    "dedupWindowMs",
    options.dedupWindowMs,
    300_000,
  );
  const maxDedupIds = positiveOption(
    where,
    "maxDedupIds",
    options.maxDedupIds,
    100_000,
  );
  const success = successAnswer(where, options.successStatus);
  const idHeader = options.idHeader ?? "webhook-id";
  if (typeof idHeader !== "string" || idHeader === "") {
    throw new TypeError(
      `Cannot create ${where}: options.idHeader must be a header name, got ${
        JSON.stringify(idHeader)
      }`,
    );
  }
  const copied = options.headers ?? [];
  if (
    !Array.isArray(copied) ||
    copied.some((name) => typeof name !== "string" || name === "")
  ) {
    throw new TypeError(
      `Cannot create ${where}: options.headers must be an array of header names`,
    );
  }
  const copiedNames = copied.map((name) => name.toLowerCase());
  const secrets = options.secret === undefined
    ? []
    : Array.isArray(options.secret)
    ? options.secret
    : [options.secret];
  // Checked now (a TypeError names the secret's problem); imported once.
  const keys = secrets.length === 0
    ? undefined
    : Promise.all(secrets.map((s) => webhookKey(s, `create ${where}`)));
  keys?.catch(() => {});
  const splitArrays = options.splitArrays === true;

  /** Stored webhook ids and when they are forgotten (insertion order = time order). */
  const storedIds = new Map<string, number>();
  /** Webhook ids whose first request is being stored, and its answer. */
  const storingIds = new Map<string, Promise<Response>>();

  const queue = requestQueueSource<Message<T>>({
    name: "webhookSource",
    fetch: handle,
    maxBatchRecords,
    success,
    unavailable,
    messages: {
      expired:
        `Cannot accept the webhook: its records were not stored within ${ackTimeoutMs} ms`,
      unread:
        "Cannot accept the webhook: the pipeline stopped before reading it",
      stale:
        "Cannot accept the webhook: the pipeline that read it stopped before storing it",
      unfinished:
        "Cannot accept the webhook: the loop reading it ended before processing it",
    },
    signal: options.signal,
  });

  function remembered(id: string): boolean {
    const now = Date.now();
    for (const [old, until] of storedIds) {
      if (until > now) break;
      storedIds.delete(old);
    }
    return storedIds.has(id);
  }

  function remember(id: string): void {
    storedIds.delete(id);
    storedIds.set(id, Date.now() + dedupWindowMs);
    while (storedIds.size > maxDedupIds) {
      storedIds.delete(storedIds.keys().next().value!);
    }
  }

  async function handle(request: Request): Promise<Response> {
    if (request.method !== "POST") {
      await request.body?.cancel().catch(() => {});
      return answer(
        405,
        `Cannot accept the webhook: method ${request.method} is not allowed, use POST`,
        { allow: "POST" },
      );
    }
    const answered = queue.answering();
    // Until its records are queued, a request keeps a closing source open.
    const queued = queue.receiving();
    try {
      return await receive(request, queued);
    } finally {
      answered();
      queued();
    }
  }

  async function receive(
    request: Request,
    queued: () => void,
  ): Promise<Response> {
    const refuse = async (response: Response) => {
      await request.body?.cancel().catch(() => {});
      return response;
    };
    if (queue.closed) {
      return refuse(
        unavailable("Cannot accept the webhook: the source is closed"),
      );
    }
    const contentType = request.headers.get("content-type");
    const kind = bodyKind(contentType);
    if (kind === undefined) {
      return refuse(answer(
        415,
        `Cannot accept the webhook: content-type must be application/json or application/x-ndjson, got ${
          contentType === null ? "none" : JSON.stringify(contentType)
        }`,
      ));
    }
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType!)?.[1];
    if (charset !== undefined && charset.toLowerCase() !== "utf-8") {
      return refuse(answer(
        415,
        `Cannot accept the webhook: charset must be utf-8, got ${charset}`,
      ));
    }
    const length = request.headers.get("content-length");
    if (length !== null && Number(length) > maxBodyBytes) {
      return refuse(answer(
        413,
        `Cannot accept the webhook: the body is larger than ${maxBodyBytes} bytes`,
      ));
    }
    let bytes: Uint8Array;
    try {
      // With a content-length, the body comes in one read (fast path).
      bytes = await readLimited(request.body, maxBodyBytes, length);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        return answer(413, `Cannot accept the webhook: ${error.message}`);
      }
      return answer(400, `Cannot read the webhook's body: ${message(error)}`);
    }
    const id = request.headers.get(idHeader) ?? undefined;
    const timestamp = request.headers.get("webhook-timestamp") ?? undefined;
    if (keys !== undefined) {
      const refused = await verify(request, bytes, id, timestamp);
      if (refused !== undefined) return answer(401, refused);
    }
    if (id !== undefined) {
      if (remembered(id)) return success();
      const first = storingIds.get(id);
      if (first !== undefined) {
        const response = await first;
        return response.ok ? success() : unavailable(
          `Cannot accept the webhook: the first request with id ${id} was not stored`,
        );
      }
    }
    let values: unknown[];
    try {
      const text = utf8(bytes);
      if (kind === "ndjson") values = parseNdjson(text);
      else {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (error) {
          throw new SyntaxError(`the body is not JSON: ${message(error)}`);
        }
        values = splitArrays && Array.isArray(value) ? value : [value];
      }
    } catch (error) {
      return answer(400, `Cannot read the webhook's body: ${message(error)}`);
    }
    if (values.length === 0) return success();
    const waiting = queue.queued;
    if (waiting > 0 && waiting + values.length > maxQueuedRecords) {
      return unavailable(
        `Cannot accept the webhook: ${waiting} records already wait to be read`,
      );
    }
    if (!queue.reading && queue.closed) {
      return unavailable("Cannot accept the webhook: the source is closed");
    }
    const headers = pick(request.headers);
    const time = timestamp !== undefined && /^\d+$/.test(timestamp)
      ? new Date(Number(timestamp) * 1000).toISOString()
      : undefined;
    const records = values.map((value) => {
      const record: Message<T> = { value: value as T };
      if (headers !== undefined) record.headers = headers;
      if (id !== undefined) record.id = id;
      if (time !== undefined) record.time = time;
      return record;
    });
    const stored = queue.enqueue(records, ackTimeoutMs);
    queued();
    if (id === undefined) return stored;
    storingIds.set(id, stored);
    try {
      const response = await stored;
      if (response.ok) remember(id);
      return response;
    } finally {
      storingIds.delete(id);
    }
  }

  async function verify(
    request: Request,
    body: Uint8Array,
    id: string | undefined,
    timestamp: string | undefined,
  ): Promise<string | undefined> {
    const signature = request.headers.get("webhook-signature");
    if (id === undefined || timestamp === undefined || signature === null) {
      return "Cannot verify the webhook: webhook-id, webhook-timestamp and webhook-signature are required";
    }
    if (!/^\d+$/.test(timestamp)) {
      return "Cannot verify the webhook: webhook-timestamp must be Unix seconds";
    }
    if (Math.abs(Date.now() - Number(timestamp) * 1000) > toleranceMs) {
      return `Cannot verify the webhook: webhook-timestamp is more than ${
        toleranceMs / 1000
      } s from now`;
    }
    const content = signedContent(id, timestamp, body);
    const candidates = signature.split(" ").flatMap((part) => {
      const [version, value] = part.split(",", 2);
      if (version !== "v1" || value === undefined) return [];
      try {
        return [Uint8Array.from(atob(value), (c) => c.charCodeAt(0))];
      } catch {
        return [];
      }
    });
    for (const key of await keys!) {
      for (const candidate of candidates) {
        if (await crypto.subtle.verify("HMAC", key, candidate, content)) {
          return undefined;
        }
      }
    }
    return "Cannot verify the webhook: no v1 signature in webhook-signature matches";
  }

  function pick(headers: Headers): Record<string, string> | undefined {
    if (copiedNames.length === 0) return undefined;
    const picked: Record<string, string> = {};
    for (const name of copiedNames) {
      const value = headers.get(name);
      if (value !== null) picked[name] = value;
    }
    return picked;
  }

  return queue.source;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
