// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { createBatchReader } from "./batch_reader.ts";
import type { ReadResult } from "./batch_reader.ts";
import type { FusedRun } from "./fuse.ts";
import type { Divert } from "./processor_spec.ts";
import type { Position } from "../checkpoint/position.ts";
import { RESUMABLE_SOURCE } from "../sources/resumable_source.ts";
import type {
  ResumableSource,
  SourceBatch,
} from "../sources/resumable_source.ts";
import type { RecordBatch } from "./record_batch.ts";
import { isThenable } from "../util/is_thenable.ts";
import { toStageError } from "./to_stage_error.ts";

/**
 * What `pipeline()` accepts as a source of records.
 *
 * @example An array, an async generator and a stream as sources
 * ```ts
 * import { collect, pipeline } from "@ca/streams";
 * import type { PipelineSource } from "@ca/streams";
 *
 * async function* generate(): AsyncGenerator<number> {
 *   yield 1;
 *   yield 2;
 * }
 * const sources: PipelineSource<number>[] = [
 *   [1, 2],
 *   generate(),
 *   ReadableStream.from([1, 2]),
 * ];
 * for (const source of sources) {
 *   const sink = collect<number>();
 *   await pipeline(source, sink);
 *   if (sink.records.join() !== "1,2") throw new Error(`unexpected ${sink.records}`);
 * }
 * ```
 */
export type PipelineSource<T> =
  | ReadableStream<T>
  | Iterable<T>
  | AsyncIterable<T>
  | ResumableSource<T>;

/** How a resumable source is opened and where its positions go. */
export interface Resumption {
  /** Resolves to the position to open after (the stored checkpoint). */
  start(): Promise<Position | undefined>;
  /** Records up to sequence `to` were read; the last ends at `position`. */
  read(to: number, position: Position): void;
  /**
   * Asked before each read: `undefined` to read now, or a promise to wait
   * for first (a checkpoint bound on records read but not committed).
   */
  ready?(): Promise<void> | undefined;
}

/** The source side of a running pipeline. */
export interface SourceHandle<T> {
  readonly readable: ReadableStream<RecordBatch<T>>;
  /** Records emitted into the pipeline so far. */
  readonly count: number;
  /** Stops reading: ends the batch stream and releases the source. */
  stop(reason?: unknown): void;
  /** Resolves once the source has ended, been cancelled or failed. */
  readonly ended: Promise<void>;
}

/** Opens a resumable source from the start and keeps no positions. */
const FROM_START: Resumption = {
  start: () => Promise.resolve(undefined),
  read() {},
};

interface Puller<T> {
  next(): T[] | null | Promise<T[] | null>;
  release(reason: unknown): unknown;
  /** The position of the last record of the last batch (resumable sources). */
  readonly position?: Position;
}

/**
 * Wraps any source as a stream of batches numbered from 0. The processors
 * fused at the head of the pipeline (`head`) run right here in `pull`, so
 * the commonest pipeline, source → map/filter → sink, costs a single
 * stream hop per batch.
 */
export function sourceStream<T>(
  source: PipelineSource<T>,
  batchSize: number,
  lingerMs: number,
  head?: FusedRun,
  resumption?: Resumption,
  deadLetter?: Divert,
): SourceHandle<T> {
  const puller = pullerFor(source, batchSize, lingerMs, resumption, deadLetter);
  let count = 0;
  let finished = false;
  /** The fused head is working on records already read. */
  let processing = false;
  /** A graceful stop() came while processing: it happens right after. */
  let stopWaiting = false;
  let controller!: ReadableStreamDefaultController<RecordBatch<T>>;
  let markEnded!: () => void;
  const ended = new Promise<void>((resolve) => markEnded = resolve);

  function finish(): void {
    finished = true;
    markEnded();
  }
  function release(reason: unknown): void {
    if (finished) return;
    finished = true;
    // Told to stop is enough: an async generator suspended in an `await`
    // would hold its `return()` back for as long as that await takes.
    try {
      const released = puller.release(reason);
      if (isThenable(released)) released.then(undefined, () => {});
    } catch {
      // A source that fails while being released has nothing left to lose.
    }
    markEnded();
  }
  function push(records: T[] | null): void | Promise<void> {
    if (finished) return; // stopped while this read was in flight
    if (records === null) return end();
    const from = count;
    const to = count += records.length;
    resumption?.read(to, puller.position!);
    if (!head) {
      controller.enqueue({ records, from, to });
      return;
    }
    const out = head.apply(records);
    if (out instanceof Promise) {
      // Records already read are in flight: a graceful stop waits for them.
      processing = true;
      return out.then((processed) => emit(processed, from, to)).finally(() => {
        processing = false;
        if (stopWaiting) stopNow(undefined);
      });
    }
    emit(out, from, to);
  }
  function emit(records: unknown[], from: number, to: number): void {
    if (finished) return;
    controller.enqueue({ records: records as T[], from, to });
    // A take() has what it wants: end the input like a source that ran dry.
    if (head!.done) {
      controller.close();
      release(undefined);
    }
  }
  function end(): void | Promise<void> {
    if (!head) {
      finish();
      controller.close();
      return;
    }
    return head.flush().then((held) => {
      if (finished) return;
      if (held.length > 0) {
        controller.enqueue({ records: held as T[], from: count, to: count });
      }
      finish();
      controller.close();
    });
  }
  function stopNow(reason: unknown): void {
    if (finished) return;
    try {
      controller.close();
    } catch {
      // Already closing because a stage downstream ended or failed.
    }
    release(reason);
  }
  function fail(error: unknown): never {
    finish();
    throw toStageError(error, -1, "source");
  }

  const readable = new ReadableStream<RecordBatch<T>>({
    start(c) {
      controller = c;
    },
    pull() {
      if (finished) return;
      const wait = resumption?.ready?.();
      if (wait !== undefined) return wait.then(readNext);
      return readNext();
    },
    cancel(reason) {
      release(reason);
    },
  }, { highWaterMark: 0 });

  function readNext(): void | Promise<void> {
    if (finished) return;
    let records: T[] | null | Promise<T[] | null>;
    try {
      records = puller.next();
    } catch (error) {
      fail(error);
    }
    if (isThenable(records)) return records.then(push, fail);
    // Return the promise of an async head: the next pull must wait for it.
    return push(records);
  }

  return {
    readable,
    get count() {
      return count;
    },
    stop(reason) {
      if (finished) return;
      // Graceful (no reason): records already read still go downstream.
      if (reason === undefined && processing) {
        stopWaiting = true;
        return;
      }
      stopNow(reason);
    },
    ended,
  };
}

function pullerFor<T>(
  source: PipelineSource<T>,
  batchSize: number,
  lingerMs: number,
  resumption: Resumption | undefined,
  deadLetter: Divert | undefined,
): Puller<T> {
  const resumable = (source as Partial<ResumableSource<T>>)[RESUMABLE_SOURCE];
  if (resumable) {
    // Without a checkpoint it still reads the source's own batches, from
    // the start, rather than one record at a time through its iterator.
    return resumablePuller(resumable, resumption ?? FROM_START, deadLetter);
  }
  if (Array.isArray(source)) {
    // Arrays are sliced: no per-record iterator or stream hop.
    let at = 0;
    return {
      next: () =>
        at >= source.length ? null : source.slice(at, at += batchSize),
      release() {
        at = source.length;
      },
    };
  }
  if (source instanceof ReadableStream) {
    const reader = source.getReader();
    return {
      next: createBatchReader<T>(() => reader.read(), batchSize, lingerMs),
      release: (reason) => reader.cancel(reason),
    };
  }
  if (typeof (source as Iterable<T>)[Symbol.iterator] === "function") {
    const iterator = (source as Iterable<T>)[Symbol.iterator]();
    let done = false;
    return {
      next() {
        if (done) return null;
        const records: T[] = [];
        while (records.length < batchSize) {
          const step = iterator.next();
          if (step.done) {
            done = true;
            break;
          }
          records.push(step.value);
        }
        return records.length > 0 ? records : null;
      },
      release() {
        if (!done) iterator.return?.();
        done = true;
      },
    };
  }
  const iterator = (source as AsyncIterable<T>)[Symbol.asyncIterator]();
  return {
    next: createBatchReader<T>(() => iterator.next(), batchSize, lingerMs),
    release: async () => void await iterator.return?.(),
  };
}

/**
 * Opens a resumable source after the stored position and passes its
 * batches on as they come, keeping the position of each.
 */
function resumablePuller<T>(
  init: ResumableSource<T>[typeof RESUMABLE_SOURCE],
  resumption: Resumption,
  deadLetter: Divert | undefined,
): Puller<T> {
  const abort = new AbortController();
  let read: (() => Promise<ReadResult<SourceBatch<T>>>) | undefined;
  let release: (() => unknown) | undefined;
  let position: Position | undefined;
  let index = 0;
  async function open(): Promise<void> {
    const after = await resumption.start();
    const opened = init.open(after, {
      signal: abort.signal,
      deadLetter: deadLetter &&
        ((record, error) => deadLetter(record, error, 1)),
    });
    if (opened instanceof ReadableStream) {
      const reader = opened.getReader();
      read = () => reader.read();
      release = () => reader.cancel();
    } else {
      const iterator = opened[Symbol.asyncIterator]();
      read = () => iterator.next();
      release = () => iterator.return?.();
    }
  }
  return {
    get position() {
      return position;
    },
    async next() {
      if (read === undefined) await open();
      const step = await read!();
      if (step.done) return null;
      const batch = step.value;
      if (
        batch === null || typeof batch !== "object" ||
        !Array.isArray(batch.records) || batch.position === undefined
      ) {
        throw new TypeError(
          `Cannot read source${
            init.name ? ` "${init.name}"` : ""
          }: batch ${index} must be { records: array, position: JSON value }, got ${
            describeBatch(batch)
          }`,
        );
      }
      index++;
      position = batch.position;
      return batch.records;
    },
    release(reason) {
      // The reason tells the source why: a failure, or undefined for stop().
      abort.abort(reason);
      return release?.();
    },
  };
}

function describeBatch(batch: unknown): string {
  if (batch === null || typeof batch !== "object") {
    return batch === null ? "null" : typeof batch;
  }
  const { records, position } = batch as Partial<SourceBatch<unknown>>;
  return `{ records: ${
    Array.isArray(records) ? "array" : typeof records
  }, position: ${typeof position} }`;
}
