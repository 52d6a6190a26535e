// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { BATCH_SINK } from "../sinks/batch_sink.ts";
import type { BatchUnderlyingSink } from "../sinks/batch_sink.ts";
import type { RecordBatch } from "./record_batch.ts";
import { isThenable } from "./thenable.ts";
import { toStageError } from "./to_stage_error.ts";

/** The sink side of a running pipeline. */
export interface SinkHandle<T> {
  readonly writable: WritableStream<RecordBatch<T>>;
  /** Records the sink has stored so far. */
  readonly count: number;
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
): SinkHandle<T> {
  const underlying = (sink as { [BATCH_SINK]?: BatchUnderlyingSink<T> })[
    BATCH_SINK
  ];
  const writer = sink.getWriter();
  let count = 0;
  const fail = (error: unknown): never => {
    throw toStageError(error, index, name);
  };

  function writeBatch(batch: RecordBatch<T>): void | Promise<void> {
    const { records } = batch;
    const stored = () => {
      count += records.length;
      onStored?.(batch.from, batch.to);
    };
    let result: void | PromiseLike<void>;
    try {
      result = underlying!.write(records);
    } catch (error) {
      throw toStageError(error, index, name);
    }
    if (isThenable(result)) return Promise.resolve(result).then(stored, fail);
    stored();
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

  const writable = new WritableStream<RecordBatch<T>>({
    write(batch) {
      if (batch.records.length === 0) {
        // All dropped by processors: done without troubling the sink.
        onStored?.(batch.from, batch.to);
        return;
      }
      return underlying ? writeBatch(batch) : writeEach(batch);
    },
    close() {
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
  };
}
