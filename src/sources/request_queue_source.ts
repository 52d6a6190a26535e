// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.
// The queue behind webhookSource() and cloudEventsReader(): not exported from
// any mod.ts, not public API.

import type { Position } from "../checkpoint/position.ts";
import { RESUMABLE_SOURCE } from "./resumable_source.ts";
import type {
  OpenOptions,
  ResumableSource,
  ResumableSourceInit,
  SourceBatch,
} from "./resumable_source.ts";

/**
 * What a source built on {@linkcode requestQueueSource} chooses: its name,
 * its batch size, its answers and its fetch handler.
 */
export interface RequestQueueSourceInit {
  /** The source's name, in `"Cannot open <name>(): ..."` and for pipelines. */
  name: string;
  /** The request handler the source exposes as `fetch`. */
  fetch(request: Request): Promise<Response>;
  /** The most records in one batch; a larger request is a batch of its own. */
  maxBatchRecords: number;
  /** Makes the answer to a request whose records were all stored. */
  success(): Response;
  /** Makes a 503 answer with this message. */
  unavailable(message: string): Response;
  /** The messages of the 503 answers the queue gives. */
  messages: {
    /** The request's records were not stored before its deadline. */
    expired: string;
    /** The pipeline let go of the source before reading the request. */
    unread: string;
    /** A pipeline read the request, stopped, and a new one opened the source. */
    stale: string;
    /** A `for await` loop read the request and ended before asking for more. */
    unfinished: string;
  };
  /**
   * Called whenever queued records leave the queue (read, expired or let
   * go) and when the source closes: there may be room for a waiting sender.
   */
  onRoom?: () => void;
  /** Aborting it closes the source. */
  signal?: AbortSignal;
}

/**
 * A request queue: the source its owner returns, and what the owner's
 * `fetch` handler uses to queue requests.
 *
 * @typeParam R The record type.
 */
export interface RequestQueueSource<R> {
  /**
   * The source: `fetch` as given, `close()`, `pending` and, for
   * `pipeline()`, a resumable source of the queued records.
   */
  readonly source: ResumableSource<R> & {
    readonly fetch: (request: Request) => Promise<Response>;
    close(): void;
    readonly pending: number;
  };
  /** Whether `close()` was called (or the signal aborted). */
  readonly closed: boolean;
  /** Whether a pipeline (or a loop) reads the source now. */
  readonly reading: boolean;
  /** How many records wait to be read. */
  readonly queued: number;
  /** Counts a request in `pending` until the returned function is called (once). */
  answering(): () => void;
  /**
   * Counts a request being received: until the returned function is called
   * (once is enough; later calls do nothing), a closed source does not end,
   * since the request may still be queued.
   */
  receiving(): () => void;
  /**
   * Queues one request's records and resolves with its answer: `success()`
   * once a pipeline acknowledged them, else a 503.
   */
  enqueue(records: R[], timeoutMs: number): Promise<Response>;
}

interface Pending<R> {
  seq: number;
  records: R[];
  settled: boolean;
  /** When it expires (`Date.now()` time). */
  deadline: number;
  resolve(response: Response): void;
}

/**
 * Creates the queue between a fetch handler and a pipeline, shared by
 * `webhookSource()` and `cloudEventsReader()`: a request's records wait in
 * the queue with the request's pending answer. The pipeline's `open()` reads
 * queued requests in order, as batches of whole requests of up to
 * `maxBatchRecords` records, each batch's position being the sequence
 * number of its last request; `ack(position)` answers `success()` to every
 * request read up to it. A request not acknowledged within its
 * `enqueue()` timeout gets 503 `messages.expired`; requests the pipeline
 * never read get 503 `messages.unread` when it lets go; those an earlier
 * pipeline read and never acknowledged get 503 `messages.stale` when the
 * next one opens. One pipeline reads at a time. After `close()` the source
 * ends once the queue is read and no request is being received. Iterated
 * directly, a request counts as stored when the loop asks for the record
 * after its last one. Parsing, limits and the other answers are the
 * owner's: only web-standard APIs here.
 *
 * @typeParam R The record type.
 * @param init The name, batch size, answers and fetch handler.
 * @returns The source to return, and the queue for the fetch handler.
 *
 * @example A fetch handler that queues one JSON body per request
 * ```ts
 * import { collect, pipeline } from "@ca/streams";
 * import { requestQueueSource } from "./request_queue_source.ts";
 *
 * const unavailable = (message: string) => new Response(message, { status: 503 });
 * async function handle(request: Request): Promise<Response> {
 *   const answered = queue.answering();
 *   try {
 *     if (queue.closed) return unavailable("closed");
 *     return await queue.enqueue([await request.json()], 1000);
 *   } finally {
 *     answered();
 *   }
 * }
 * const queue = requestQueueSource<unknown>({
 *   name: "jsonSource",
 *   fetch: handle,
 *   maxBatchRecords: 100,
 *   success: () => new Response(null, { status: 204 }),
 *   unavailable,
 *   messages: { expired: "late", unread: "unread", stale: "stale", unfinished: "ended" },
 * });
 * const sink = collect();
 * const running = pipeline(queue.source, sink);
 * const post = new Request("http://localhost/", { method: "POST", body: "[1,2]" });
 * const response = await queue.source.fetch(post);
 * queue.source.close();
 * await running;
 * if (response.status !== 204 || sink.records.length !== 1) throw new Error("unexpected");
 * ```
 */
export function requestQueueSource<R>(
  init: RequestQueueSourceInit,
): RequestQueueSource<R> {
  const { name, maxBatchRecords, success, unavailable, messages, onRoom } =
    init;
  let seq = 0;
  /** Received, not yet read by the pipeline. */
  let queue: Pending<R>[] = [];
  let queuedRecords = 0;
  /** Read by the pipeline, waiting for the acknowledgement, by `seq`. */
  let inFlight: Pending<R>[] = [];
  let pending = 0;
  let closed = false;
  let reading = false;
  /** Requests past the door, not yet queued (reading their body). */
  let receiving = 0;
  let wake: (() => void) | undefined;
  /**
   * Requests not yet answered, and one timer for them all (not one per
   * request): armed for the earliest deadline, cleared once none waits.
   */
  let waiting = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerAt = Infinity;

  function settle(entry: Pending<R>, response: Response): void {
    if (entry.settled) return;
    entry.settled = true;
    if (--waiting === 0) {
      clearTimeout(timer);
      timer = undefined;
      timerAt = Infinity;
    }
    entry.resolve(response);
  }

  function arm(deadline: number): void {
    if (deadline >= timerAt) return;
    clearTimeout(timer);
    timerAt = deadline;
    timer = setTimeout(sweep, Math.max(0, deadline - Date.now()));
  }

  /** Expires every request past its deadline, in order; arms for the next. */
  function sweep(): void {
    timer = undefined;
    timerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const entry of [...inFlight, ...queue]) {
      if (entry.settled) continue;
      if (entry.deadline <= now) expire(entry);
      else if (entry.deadline < next) next = entry.deadline;
    }
    if (next !== Infinity) arm(next);
  }

  function expire(entry: Pending<R>): void {
    if (entry.settled) return;
    const queued = queue.indexOf(entry);
    if (queued !== -1) {
      queue.splice(queued, 1);
      queuedRecords -= entry.records.length;
      onRoom?.();
    }
    settle(entry, unavailable(messages.expired));
  }

  function enqueue(records: R[], timeoutMs: number): Promise<Response> {
    return new Promise<Response>((resolve) => {
      const entry: Pending<R> = {
        seq: seq++,
        records,
        settled: false,
        deadline: Date.now() + timeoutMs,
        resolve,
      };
      waiting++;
      arm(entry.deadline);
      queue.push(entry);
      queuedRecords += records.length;
      wake?.();
    });
  }

  async function* batches(signal: AbortSignal): AsyncGenerator<SourceBatch<R>> {
    const onAbort = () => wake?.();
    signal.addEventListener("abort", onAbort);
    try {
      for (;;) {
        while (queue.length === 0) {
          if (signal.aborted || (closed && receiving === 0)) return;
          await new Promise<void>((resolve) => wake = resolve);
          wake = undefined;
        }
        if (signal.aborted) return;
        let count = 0;
        let taken = 0;
        while (
          taken < queue.length &&
          (taken === 0 ||
            count + queue[taken]!.records.length <= maxBatchRecords)
        ) {
          count += queue[taken]!.records.length;
          taken++;
        }
        const batch = queue.slice(0, taken);
        queue = taken === queue.length ? [] : queue.slice(taken);
        queuedRecords -= count;
        inFlight.push(...batch);
        onRoom?.();
        let records = batch[0]!.records;
        if (taken > 1) {
          records = new Array(count);
          let at = 0;
          for (const entry of batch) {
            for (const record of entry.records) records[at++] = record;
          }
        }
        yield { records, position: batch[taken - 1]!.seq };
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      reading = false;
      // What the pipeline never read will not be read: 503 now. What it read
      // may still be stored while it drains: that waits for its ack or timeout.
      const unread = queue;
      queue = [];
      queuedRecords = 0;
      onRoom?.();
      for (const entry of unread) {
        settle(entry, unavailable(messages.unread));
      }
    }
  }

  function ack(position: Position): void {
    const upTo = position as number;
    let done = 0;
    while (done < inFlight.length && inFlight[done]!.seq <= upTo) {
      settle(inFlight[done]!, success());
      done++;
    }
    if (done > 0) inFlight = inFlight.slice(done);
  }

  function failInFlight(message: string): void {
    const stale = inFlight;
    inFlight = [];
    for (const entry of stale) settle(entry, unavailable(message));
  }

  function open(
    _after: Position | undefined,
    { signal }: OpenOptions,
  ): AsyncIterable<SourceBatch<R>> {
    if (reading) {
      throw new TypeError(
        `Cannot open ${name}(): it is already read by another pipeline`,
      );
    }
    reading = true;
    // Requests an earlier pipeline read and never acknowledged: it is gone,
    // and this pipeline's acknowledgements (higher positions) must not
    // answer them 2xx in its place. 503: their senders send them again.
    failInFlight(messages.stale);
    return batches(signal);
  }

  function close(): void {
    if (closed) return;
    closed = true;
    onRoom?.();
    wake?.();
  }

  if (init.signal !== undefined) {
    if (init.signal.aborted) close();
    else init.signal.addEventListener("abort", close, { once: true });
  }

  const resumable: ResumableSourceInit<R> = { name, open, ack };
  return {
    source: {
      [RESUMABLE_SOURCE]: resumable,
      fetch: init.fetch,
      close,
      get pending() {
        return pending;
      },
      async *[Symbol.asyncIterator]() {
        const abort = new AbortController();
        try {
          for await (const batch of open(undefined, { signal: abort.signal })) {
            yield* batch.records;
            ack(batch.position);
          }
        } finally {
          abort.abort();
          // No pipeline drains behind a loop: what it did not finish is lost.
          failInFlight(messages.unfinished);
        }
      },
    },
    get closed() {
      return closed;
    },
    get reading() {
      return reading;
    },
    get queued() {
      return queuedRecords;
    },
    answering() {
      pending++;
      return () => void pending--;
    },
    receiving() {
      receiving++;
      let counted = true;
      return () => {
        if (!counted) return;
        counted = false;
        receiving--;
        if (closed) wake?.();
      };
    },
    enqueue,
  };
}

/**
 * Checks a source's `successStatus` option and makes its success answers:
 * an empty response with that status.
 *
 * @param where The source, as in `"webhookSource()"`, for the error.
 * @param status The option: 200, 202 or 204 (default 204).
 * @returns What {@linkcode RequestQueueSourceInit.success} is.
 *
 * @example Answer 202
 * ```ts
 * import { successAnswer } from "./request_queue_source.ts";
 *
 * const success = successAnswer("mySource()", 202);
 * if (success().status !== 202) throw new Error("unexpected");
 * ```
 */
export function successAnswer(
  where: string,
  status: number | undefined,
): () => Response {
  const successStatus = status ?? 204;
  if (![200, 202, 204].includes(successStatus)) {
    throw new RangeError(
      `Cannot create ${where}: options.successStatus must be 200, 202 or 204, got ${successStatus}`,
    );
  }
  return () => new Response(null, { status: successStatus });
}
