// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { RetryPolicy } from "../failures/retry_policy.ts";
import type { ConnectionHealth } from "../health/connection_health.ts";
import { checkRetryPolicy } from "../failures/retrying.ts";
import { SINK_RETRY } from "./sink_retry.ts";
import type { SinkCheckpoint } from "../checkpoint/sink_checkpoint.ts";

/**
 * Options for {@linkcode batchSink}.
 *
 * @example Retry a write that fails once
 * ```ts
 * import { batchSink, pipeline } from "@ca/streams";
 * import type { BatchSinkOptions } from "@ca/streams";
 *
 * const options: BatchSinkOptions = { retry: { maxAttempts: 3, initialDelayMs: 1 } };
 * const stored: number[] = [];
 * let attempts = 0;
 * const sink = batchSink<number>({
 *   write(records) {
 *     if (++attempts === 1) throw new Error("connection reset");
 *     stored.push(...records);
 *   },
 * }, options);
 * await pipeline([1, 2, 3], sink);
 * if (stored.join() !== "1,2,3" || attempts !== 2) throw new Error("unexpected");
 * ```
 */
export interface BatchSinkOptions {
  /**
   * Inside `pipeline()`, retry a failing `write` before giving up. When the
   * pipeline has a `deadLetter` sink, a batch that still fails is then
   * written one record at a time, and only the records that keep failing
   * become dead letters.
   */
  retry?: RetryPolicy;
}

/**
 * Marks a `WritableStream` made by {@linkcode batchSink}: `pipeline()` calls
 * its underlying sink with whole arrays of records instead of writing one
 * record at a time.
 *
 * @example Tell a batch-aware sink from a plain one
 * ```ts
 * import { BATCH_SINK, batchSink } from "@ca/streams";
 *
 * const isBatchSink = (sink: WritableStream) => BATCH_SINK in sink;
 * const bulk = batchSink<number>({ write() {} });
 * if (!isBatchSink(bulk) || isBatchSink(new WritableStream())) {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export const BATCH_SINK: unique symbol = Symbol.for(
  "@ca/streams/batch-sink",
) as never;

/**
 * What `write` learns about the batch it is given, inside `pipeline()`.
 *
 * @example Acknowledge a batch later, as a network sink would
 * ```ts
 * import { batchSink, pipeline } from "@ca/streams";
 * import type { BatchWriteContext } from "@ca/streams";
 *
 * const sent: number[] = [];
 * const sink = batchSink<number>({
 *   write(records: number[], context: BatchWriteContext) {
 *     if (context.signal.aborted) throw context.signal.reason;
 *     sent.push(...records);
 *     const ack = context.defer();
 *     setTimeout(() => ack(), 5); // the remote end confirms later
 *   },
 * });
 * const summary = await pipeline([1, 2, 3], sink);
 * if (summary.recordsWritten !== 3 || sent.length !== 3) throw new Error("unexpected");
 * ```
 */
export interface BatchWriteContext {
  /**
   * Defers the acknowledgement of this batch: its records count as stored
   * (for the checkpoint) when the returned function is called, not when
   * `write` resolves, so that a sink can accept the next batch while this
   * one is still on its way (a network writer acknowledges on the remote
   * ack). Call it with an error when the batch was not stored: the pipeline
   * then fails. The promise `write` returns stays the backpressure: resolve
   * it when the sink can take another batch, so that what awaits
   * acknowledgement stays bounded. The pipeline closes the sink once every
   * deferred batch is acknowledged. Outside a pipeline it does nothing.
   */
  defer(): (error?: unknown) => void;
  /**
   * Aborted when the pipeline (or the stream, used alone) is aborted, even
   * while this write is in flight: a write that waits on something outside
   * (a network peer) must give up then, because the stream calls the sink's
   * `abort` only after the write in flight settles.
   */
  readonly signal: AbortSignal;
  /**
   * For a sink that stores each batch and the pipeline's position in one
   * transaction (exactly-once): the pipeline's checkpoint store, id,
   * generation and the position this batch ends at. `undefined` outside a
   * pipeline, without a checkpoint store, and inside `fanOut()` or
   * `route()`. Reading it hands the commits to the sink: see
   * {@linkcode SinkCheckpoint}.
   */
  readonly checkpoint?: SinkCheckpoint | undefined;
}

/**
 * The callbacks behind a batch-aware sink.
 *
 * @example Write lines in bulk and close once
 * ```ts
 * import { batchSink, pipeline } from "@ca/streams";
 * import type { BatchUnderlyingSink } from "@ca/streams";
 *
 * const chunks: string[] = [];
 * let closed = false;
 * const underlying: BatchUnderlyingSink<string> = {
 *   write(records) {
 *     chunks.push(records.join("\n"));
 *   },
 *   close() {
 *     closed = true;
 *   },
 * };
 * await pipeline(["a", "b"], batchSink(underlying));
 * if (chunks.join("|") !== "a\nb" || !closed) throw new Error("unexpected");
 * ```
 */
export interface BatchUnderlyingSink<T> {
  /**
   * Stores records, in order. The next call waits for a returned promise.
   * The records count as stored when it resolves, unless it called
   * `context.defer()`.
   */
  write(records: T[], context: BatchWriteContext): void | PromiseLike<void>;
  /** Called once after the last write, when the input ended. */
  close?(): void | PromiseLike<void>;
  /**
   * Called when the pipeline is aborted or fails: another stage failed, or
   * a `write` failed for good (no dead letter took its records). Release
   * what the sink holds here.
   */
  abort?(reason: unknown): void | PromiseLike<void>;
  /**
   * The connection to the server, for `RunningPipeline.health`: a sink
   * that reconnects reports `"reconnecting"` with the error meanwhile.
   */
  health?(): ConnectionHealth;
}

/** Outside a pipeline there is no checkpoint to tell: defer() does nothing. */
const NO_ACK = () => () => {};

/**
 * A `WritableStream` that `pipeline()` feeds whole batches. Used on its own
 * (`readable.pipeTo(sink)`) each write arrives as an array of one record.
 *
 * @example Used alone, each write is an array of one record
 * ```ts
 * import { batchSink } from "@ca/streams";
 * import type { BatchSink } from "@ca/streams";
 *
 * const sizes: number[] = [];
 * const sink: BatchSink<number> = batchSink({
 *   write(records) {
 *     sizes.push(records.length);
 *   },
 * });
 * await ReadableStream.from([1, 2]).pipeTo(sink);
 * if (sizes.join() !== "1,1") throw new Error(`unexpected ${sizes}`);
 * ```
 */
export interface BatchSink<T> extends WritableStream<T> {
  /** The callbacks the sink was made from. */
  readonly [BATCH_SINK]: BatchUnderlyingSink<T>;
}

/**
 * Creates a batch-aware sink: inside `pipeline()`, `write` receives whole
 * arrays of records (about 1024 at a time for a fast source), which is what
 * a bulk insert, a file append or a network frame wants. It is still a
 * plain `WritableStream`, so `readable.pipeTo(sink)` works too.
 *
 * @typeParam T The record type.
 * @param sink `write(records)`, and optional `close()` and `abort(reason)`.
 * @param options `retry`: a retry policy for failing writes.
 * @returns A `WritableStream<T>` that `pipeline()` writes in batches.
 *
 * @example Count and sum in bulk
 * ```ts
 * import { batchSink, pipeline } from "@ca/streams";
 *
 * let count = 0;
 * let sum = 0;
 * const sink = batchSink<number>({
 *   write(records) {
 *     count += records.length;
 *     for (const n of records) sum += n;
 *   },
 * });
 * await pipeline([1, 2, 3, 4], sink);
 * if (count !== 4 || sum !== 10) throw new Error("unexpected");
 * ```
 */
export function batchSink<T>(
  sink: BatchUnderlyingSink<T>,
  options: BatchSinkOptions = {},
): BatchSink<T> {
  if (sink === null || typeof sink !== "object") {
    throw new TypeError(
      `Cannot create batchSink(): sink must be an object with a write method, got ${
        sink === null ? "null" : typeof sink
      }`,
    );
  }
  if (typeof sink.write !== "function") {
    throw new TypeError(
      `Cannot create batchSink(): sink.write must be a function, got ${typeof sink
        .write}`,
    );
  }
  const stream = new WritableStream<T>({
    write: (record, controller) =>
      sink.write([record], { defer: NO_ACK, signal: controller.signal }),
    close: () => sink.close?.(),
    abort: (reason) => sink.abort?.(reason),
  });
  if (options.retry !== undefined) {
    checkRetryPolicy("batchSink()", options.retry);
    Object.defineProperty(stream, SINK_RETRY, { value: options.retry });
  }
  Object.defineProperty(stream, BATCH_SINK, { value: sink });
  return stream as BatchSink<T>;
}
