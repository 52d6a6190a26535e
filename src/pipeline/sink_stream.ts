// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { BATCH_SINK } from "../sinks/batch_sink.ts";
import type {
  BatchUnderlyingSink,
  BatchWriteContext,
} from "../sinks/batch_sink.ts";
import type { RetryPolicy } from "../failures/retry_policy.ts";
import { retrying, unwrapExhausted } from "../failures/retrying.ts";
import { SINK_RETRY } from "../sinks/sink_retry.ts";
import type { Divert } from "./processor_spec.ts";
import type { RecordBatch } from "./record_batch.ts";
import { isThenable } from "../util/is_thenable.ts";
import { StageError } from "../errors/stage_error.ts";
import { toStageError } from "./to_stage_error.ts";
import type { Checkpointer } from "../checkpoint/checkpointer.ts";

/** The sink side of a running pipeline. */
export interface SinkHandle<T> {
  readonly writable: WritableStream<RecordBatch<T>>;
  /** Records the sink has stored so far. */
  readonly count: number;
  /** A deferred acknowledgement that failed, once one has. */
  readonly failure?: { error: unknown } | undefined;
}

const ignore = () => {};

/**
 * Adapts the user's sink to a stream of batches. A batch-aware sink gets
 * each batch's array in one call; a plain `WritableStream` gets one `write`
 * per record, all of a batch queued at once and the last one awaited, so it
 * holds at most one batch beyond its own queue.
 */
export function sinkStream<T>(
  sink: WritableStream<T>,
  index: number,
  name: string | undefined,
  onStored?: (from: number, to: number) => void,
  divert?: Divert,
  aborted?: AbortSignal,
  checkpointer?: Checkpointer,
): SinkHandle<T> {
  const underlying = (sink as { [BATCH_SINK]?: BatchUnderlyingSink<T> })[
    BATCH_SINK
  ];
  const retry = (sink as { [SINK_RETRY]?: RetryPolicy })[SINK_RETRY];
  const call = (records: T[], context: BatchWriteContext) =>
    underlying!.write(records, context);
  const write = underlying && (retry ? retrying(call, retry) : call);
  /** Deferred acknowledgements still outstanding, and a failure among them. */
  let deferred = 0;
  let deferredFailure: { error: unknown } | undefined;
  let settleDeferred: (() => void) | undefined;
  const writer = sink.getWriter();
  let count = 0;
  const fail = (error: unknown): never => {
    throw toStageError(error, index, name);
  };
  // The `checkpoint` getter of every batch's write context, once per sink,
  // on their prototype. A getter in each batch's object literal made an
  // accessor pair per batch, and through it the batch's records outlived
  // the young-generation collections: every batch was promoted, costing a
  // pipeline several times the GC work of a plain loop.
  const contexts = {
    get checkpoint() {
      return checkpointer?.forSink((this as unknown as { to: number }).to);
    },
  };

  function writeBatch(batch: RecordBatch<T>): void | Promise<void> {
    if (deferredFailure) throw toStageError(deferredFailure.error, index, name);
    const { records } = batch;
    let later = false;
    const done = () => {
      count += records.length;
      onStored?.(batch.from, batch.to);
    };
    const context = {
      __proto__: contexts,
      signal: writeSignal(),
      to: batch.to,
      defer() {
        later = true;
        deferred++;
        let called = false;
        return (error?: unknown) => {
          if (called) return;
          called = true;
          deferred--;
          if (error !== undefined && !deferredFailure) {
            deferredFailure = { error };
            // Fail now, not at the next write: the pipeline may be idle.
            controller.error(toStageError(error, index, name));
          } else if (!deferredFailure) done();
          if (deferred === 0 || deferredFailure) settleDeferred?.();
        };
      },
    } as unknown as BatchWriteContext;
    const stored = () => {
      if (!later) done();
    };
    let result: void | PromiseLike<void>;
    try {
      result = write!(records, context);
    } catch (error) {
      return giveUp(batch, error);
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        stored,
        (error) => giveUp(batch, error),
      );
    }
    stored();
  }
  /**
   * A batch write failed for good. Without a dead-letter sink the pipeline
   * fails; with one, the records are written one at a time so that only
   * those that keep failing become dead letters.
   */
  async function giveUp(batch: RecordBatch<T>, thrown: unknown): Promise<void> {
    const { error, attempts } = unwrapExhausted(thrown);
    // A write that failed because the pipeline is aborting is no record's
    // fault: nothing becomes a dead letter and the batch is not done, so a
    // rerun delivers it again.
    if (divert === undefined || writeSignal().aborted) {
      // The pipeline fails with this write (or aborts during it): tell the
      // sink, as pipeTo() tells a sink it aborts, so that it releases what
      // it holds (a connection with its timers, a file). pipeTo() cannot:
      // this stream errors with the write.
      await writer.abort(error).catch(ignore);
      throw new StageError(index, name, error, { attempts });
    }
    let written = 0;
    for (const record of batch.records) {
      try {
        // One record at a time, acknowledged when the write resolves.
        await write!([record], {
          defer: () => () => {},
          signal: writeSignal(),
        });
        written++;
      } catch (failed) {
        const last = unwrapExhausted(failed);
        if (writeSignal().aborted) {
          throw new StageError(index, name, last.error, {
            attempts: last.attempts,
          });
        }
        await divert(record, last.error, last.attempts);
      }
    }
    count += written;
    onStored?.(batch.from, batch.to);
  }
  function writeEach(batch: RecordBatch<T>): Promise<void> {
    const { records } = batch;
    let last!: Promise<void>;
    for (let i = 0; i < records.length; i++) {
      last = writer.write(records[i]!);
      // Every write rejects once the sink errors; only the last is awaited.
      if (i < records.length - 1) last.catch(ignore);
    }
    return last.then(() => {
      count += records.length;
      onStored?.(batch.from, batch.to);
    }, fail);
  }

  let controller!: WritableStreamDefaultController;
  let signal: AbortSignal | undefined;
  /**
   * Aborted when the stream is, or when the pipeline is: pipeTo() waits for
   * the write in flight before it aborts the stream, so a write waiting on
   * a peer would otherwise never hear of the abort.
   */
  function writeSignal(): AbortSignal {
    return signal ??= aborted
      ? AbortSignal.any([controller.signal, aborted])
      : controller.signal;
  }
  const writable = new WritableStream<RecordBatch<T>>({
    start(c) {
      controller = c;
    },
    write(batch) {
      if (batch.records.length === 0) {
        // All dropped by processors: done without troubling the sink.
        onStored?.(batch.from, batch.to);
        return;
      }
      return underlying ? writeBatch(batch) : writeEach(batch);
    },
    async close() {
      // Deferred acknowledgements arrive before the sink counts as closed.
      if (deferred > 0 && !deferredFailure) {
        await new Promise<void>((resolve) => settleDeferred = resolve);
      }
      if (deferredFailure) {
        throw toStageError(deferredFailure.error, index, name);
      }
      return writer.close().catch(fail);
    },
    abort(reason) {
      return writer.abort(reason).catch(ignore);
    },
    // One batch queued behind the one being written, so the source and the
    // processors work on the next batch while the sink writes.
  }, { highWaterMark: 2 });
  return {
    writable,
    get count() {
      return count;
    },
    // workerd's pipeTo() resolves even when the sink errored this way.
    get failure() {
      return deferredFailure;
    },
  };
}
