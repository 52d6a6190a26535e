// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ResumableSource } from "../sources/resumable_source.ts";
import {
  requestQueueSource,
  successAnswer,
} from "../sources/request_queue_source.ts";
import type { CloudEvent } from "./cloud_event.ts";
import { CloudEventError } from "./cloud_event_error.ts";
import { decodeHttp } from "./decode_http.ts";
import type { ValidateCloudEventOptions } from "./validate_cloud_event.ts";

/**
 * Options for {@linkcode cloudEventsReader}.
 *
 * @example Answer 202 once an event is stored
 * ```ts
 * import { collect, memoryStore, pipeline } from "@ca/streams";
 * import { cloudEventsReader, encodeHttpBinary } from "@ca/streams/cloudevents";
 * import type { CloudEventsReaderOptions } from "@ca/streams/cloudevents";
 *
 * const options: CloudEventsReaderOptions = { successStatus: 202, maxBodyBytes: 64 * 1024 };
 * const reader = cloudEventsReader(options);
 * const checkpoint = { store: memoryStore() };
 * const running = pipeline(reader, collect(), { id: "in", checkpoint });
 * const message = encodeHttpBinary({ specversion: "1.0", id: "1", source: "/s", type: "t" });
 * const request = new Request("http://localhost/", { method: "POST", ...message });
 * const response = await reader.fetch(request);
 * reader.close();
 * await running;
 * if (response.status !== 202) throw new Error(`got ${response.status}`);
 * ```
 */
export interface CloudEventsReaderOptions extends ValidateCloudEventOptions {
  /** The largest request body, in bytes (default 1 MiB); larger gets 413. */
  maxBodyBytes?: number;
  /**
   * How long a request may wait for its events to be accepted downstream,
   * in ms (default 30,000). Past it the request gets 503 and the sender
   * retries; events of it that the pipeline already read may still be
   * stored, so a retry can deliver them twice (at-least-once).
   */
  ackTimeoutMs?: number;
  /**
   * How many events may wait to be read by the pipeline (default 65,536).
   * Beyond it, new requests wait before their body is read, which slows
   * the senders down; one that waits longer than `ackTimeoutMs` gets 503.
   */
  maxQueuedEvents?: number;
  /**
   * The most events handed to the pipeline as one source batch (default
   * 1024). Requests are never split: a larger request is one batch.
   */
  maxBatchEvents?: number;
  /** The status of a successful answer: 200, 202 or 204 (default 204). */
  successStatus?: 200 | 202 | 204;
  /** Aborting it closes the reader, like `close()`. */
  signal?: AbortSignal;
}

/**
 * A CloudEvents HTTP receiver: a fetch handler and, at the same time, a
 * resumable source for `pipeline()`.
 *
 * @typeParam T The type of the events' `data`.
 *
 * @example Answers to a wrong method and after close
 * ```ts
 * import { cloudEventsReader, encodeHttpBinary } from "@ca/streams/cloudevents";
 * import type { CloudEventsReader } from "@ca/streams/cloudevents";
 *
 * const reader: CloudEventsReader<unknown> = cloudEventsReader();
 * const get = await reader.fetch(new Request("http://localhost/"));
 * reader.close();
 * const message = encodeHttpBinary({ specversion: "1.0", id: "1", source: "/s", type: "t" });
 * const post = new Request("http://localhost/", { method: "POST", ...message });
 * const late = await reader.fetch(post);
 * await Promise.all([get.body?.cancel(), late.body?.cancel()]);
 * if (get.status !== 405 || late.status !== 503 || reader.pending !== 0) {
 *   throw new Error(`unexpected ${get.status} ${late.status}`);
 * }
 * ```
 */
export interface CloudEventsReader<T> extends ResumableSource<CloudEvent<T>> {
  /**
   * Answers one HTTP request, in any content mode (binary, structured,
   * batched): 2xx once its events are accepted downstream, 400 with a JSON
   * error naming the bad attribute (or a `content-length` header that is not
   * a number), 405 for a method other than POST, 413 for a body over
   * `maxBodyBytes` (its bytes are counted as they arrive, whatever
   * `content-length` says, and the body is cancelled at the limit), 415 for
   * an unsupported content type, and
   * 503 (with `Retry-After`) when the reader is closed, the pipeline stopped,
   * or acceptance took longer than `ackTimeoutMs`. Bound: pass it as it is
   * to Deno's `serve()`, a Node adapter, or as a worker's `fetch`.
   */
  readonly fetch: (request: Request) => Promise<Response>;
  /**
   * Stops accepting requests (new ones get 503) and ends the source once
   * the events already received have been read, so a pipeline reading it
   * drains and finishes; their requests are answered as they are stored.
   */
  close(): void;
  /** Requests received and not answered yet. */
  readonly pending: number;
}

const JSON_HEADERS = { "content-type": "application/json" };

function errorResponse(
  status: number,
  body: { code: string; message: string; issues: unknown[] },
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...JSON_HEADERS, ...headers },
  });
}

function unavailable(message: string): Response {
  return errorResponse(
    503,
    { code: "CA_ERR_CLOUDEVENT", message, issues: [] },
    { "retry-after": "1" },
  );
}

function positive(name: string, value: number | undefined, fallback: number) {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(
      `Cannot create cloudEventsReader(): options.${name} must be a positive number, got ${value}`,
    );
  }
  return value;
}

/**
 * Creates a CloudEvents HTTP reader: a fetch handler that receives events
 * in binary, structured and batched mode, and a source that hands them to
 * a pipeline. A request is answered 2xx only once its events are accepted
 * downstream.
 *
 * **Accepted** means what the pipeline's checkpoint means by done: every
 * event of the request was stored by the sink (its `write` resolved, or
 * the acknowledgement it deferred with `context.defer()` arrived) or
 * dropped on purpose by a processor (`filter`, `take`, a dead letter).
 * The pipeline reports that through the source's `ack(position)` as soon
 * as the events are stored, with or without a `checkpoint` option, so
 * `pipeline(reader, sink)` is enough: a checkpoint store adds nothing for
 * this source (it cannot replay: the sender's retry is the replay). A
 * request whose events are not stored within `ackTimeoutMs` gets 503.
 *
 * Each request's events become one source batch, or several small requests
 * one batch of up to `maxBatchEvents`; their order is kept. One pipeline
 * reads the reader at a time. Iterated directly (`for await`), a request
 * counts as accepted when the loop asks for the event after its last one.
 *
 * @typeParam T The type of the events' `data` (not checked).
 * @param options Limits, timeouts, `strict`, `successStatus` and `signal`.
 * @returns The reader: `fetch` for the server, the reader itself for `pipeline()`.
 *
 * @example Receive events over HTTP into a pipeline
 * ```ts
 * import { collect, memoryStore, pipeline } from "@ca/streams";
 * import {
 *   type CloudEvent,
 *   cloudEventsReader,
 *   encodeHttpBinary,
 * } from "@ca/streams/cloudevents";
 *
 * const reader = cloudEventsReader<{ total: number }>();
 * const sink = collect<CloudEvent<{ total: number }>>();
 * const running = pipeline(reader, sink, {
 *   id: "orders-in",
 *   checkpoint: { store: memoryStore() },
 * });
 * // Deno's serve(reader.fetch) would serve it; here one request is enough.
 * const message = encodeHttpBinary({
 *   specversion: "1.0",
 *   id: "1",
 *   source: "/orders",
 *   type: "com.example.order.paid",
 *   data: { total: 12 },
 * });
 * const response = await reader.fetch(
 *   new Request("http://localhost/", { method: "POST", ...message }),
 * );
 * if (response.status !== 204) throw new Error(`got ${response.status}`);
 * if (sink.records[0]?.data?.total !== 12) throw new Error("not stored");
 * reader.close();
 * await running;
 * ```
 *
 * @example No checkpoint needed: answered once the sink stored the events
 * ```ts
 * import { batchSink, pipeline } from "@ca/streams";
 * import { cloudEventsReader, encodeHttpBinary } from "@ca/streams/cloudevents";
 *
 * const reader = cloudEventsReader({ ackTimeoutMs: 1000 });
 * let release = () => {};
 * const stored = new Promise<void>((resolve) => release = resolve);
 * const running = pipeline(reader, batchSink({ write: () => stored }));
 * const message = encodeHttpBinary({ specversion: "1.0", id: "1", source: "/s", type: "t" });
 * const answer = reader.fetch(new Request("http://localhost/", { method: "POST", ...message }));
 * const later = new Promise((resolve) => setTimeout(resolve, 50, "waiting"));
 * if (await Promise.race([answer, later]) !== "waiting") throw new Error("answered too soon");
 * release();
 * const response = await answer;
 * if (response.status !== 204) throw new Error(`got ${response.status}`);
 * reader.close();
 * await running;
 * ```
 */
export function cloudEventsReader<T = unknown>(
  options: CloudEventsReaderOptions = {},
): CloudEventsReader<T> {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `Cannot create cloudEventsReader(): options must be an object, got ${
        options === null ? "null" : typeof options
      }`,
    );
  }
  const maxBodyBytes = positive(
    "maxBodyBytes",
    options.maxBodyBytes,
    1 << 20,
  );
  const ackTimeoutMs = positive("ackTimeoutMs", options.ackTimeoutMs, 30_000);
  const maxQueuedEvents = positive(
    "maxQueuedEvents",
    options.maxQueuedEvents,
    65_536,
  );
  const maxBatchEvents = positive(
    "maxBatchEvents",
    options.maxBatchEvents,
    1024,
  );
  const success = successAnswer("cloudEventsReader()", options.successStatus);
  const strict = options.strict === true;

  const roomWaiters = new Set<() => void>();
  const queue = requestQueueSource<CloudEvent<T>>({
    name: "cloudEventsReader",
    fetch: handle,
    maxBatchRecords: maxBatchEvents,
    success,
    unavailable,
    messages: {
      expired:
        `Cannot accept CloudEvents: they were not stored within ${ackTimeoutMs} ms`,
      unread:
        "Cannot accept CloudEvents: the pipeline stopped before reading them",
      stale:
        "Cannot accept CloudEvents: the pipeline that read them stopped before storing them",
      unfinished:
        "Cannot accept CloudEvents: the reader's loop ended before it processed them",
    },
    onRoom: notifyRoom,
    signal: options.signal,
  });

  function notifyRoom(): void {
    for (const resolve of roomWaiters) resolve();
    roomWaiters.clear();
  }

  /** Waits until the queue has room for `size` more events; false on timeout. */
  async function room(size: number, deadline: number): Promise<boolean> {
    while (queue.queued > 0 && queue.queued + size > maxQueuedEvents) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        roomWaiters.add(resolve);
        timer = setTimeout(() => {
          roomWaiters.delete(resolve);
          resolve();
        }, left);
      });
      clearTimeout(timer);
    }
    return true;
  }

  async function handle(request: Request): Promise<Response> {
    if (request.method !== "POST") {
      await request.body?.cancel().catch(() => {});
      return errorResponse(405, {
        code: "CA_ERR_CLOUDEVENT",
        message:
          `Cannot accept CloudEvents: method ${request.method} is not allowed, use POST`,
        issues: [],
      }, { allow: "POST" });
    }
    const answered = queue.answering();
    try {
      return await receive(request);
    } finally {
      answered();
    }
  }

  async function receive(request: Request): Promise<Response> {
    const deadline = Date.now() + ackTimeoutMs;
    const full =
      `Cannot accept CloudEvents: the queue stayed full for ${ackTimeoutMs} ms`;
    if (queue.closed) {
      await request.body?.cancel().catch(() => {});
      return unavailable("Cannot accept CloudEvents: the reader is closed");
    }
    // Until enqueued, this request keeps a closing source open.
    const queued = queue.receiving();
    try {
      // A full queue holds new senders back before their body is read.
      if (!(await room(1, deadline))) {
        await request.body?.cancel().catch(() => {});
        return unavailable(full);
      }
      let events: CloudEvent<T>[];
      try {
        events = await decodeHttp<T>(request, { maxBodyBytes, strict });
      } catch (error) {
        if (error instanceof CloudEventError) {
          return errorResponse(error.status, error.toJSON());
        }
        return errorResponse(400, {
          code: "CA_ERR_CLOUDEVENT",
          message: `Cannot read CloudEvents: ${
            error instanceof Error ? error.message : String(error)
          }`,
          issues: [],
        });
      }
      if (events.length === 0) return success();
      if (!(await room(events.length, deadline))) return unavailable(full);
      if (!queue.reading && queue.closed) {
        return unavailable("Cannot accept CloudEvents: the reader is closed");
      }
      // Queued before `receiving` drops, so a closing source still sees it.
      return queue.enqueue(events, deadline - Date.now());
    } finally {
      queued();
    }
  }

  return queue.source;
}
