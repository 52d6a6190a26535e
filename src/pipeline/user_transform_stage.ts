// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { isOneToOne } from "./one_to_one_mark.ts";
import type { RecordBatch } from "./record_batch.ts";
import { toStageError } from "./to_stage_error.ts";

/** A user's own `TransformStream` and where it stands in the pipeline. */
export interface UserStage {
  transform: TransformStream<unknown, unknown>;
  /** Its index among the pipeline's processors. */
  index: number;
  /** Its class name, if it has one. */
  name: string | undefined;
}

const ignore = () => {};

/**
 * Runs consecutive user `TransformStream`s inside the pipeline: each
 * receives one record per chunk, as its author expects, and what the last
 * one emits is gathered into batches again.
 *
 * The run costs what the same streams piped by hand cost: the records of
 * each input batch are written straight into the first stream, the streams
 * are piped into each other, and the last one is read straight into
 * batches, so no extra stream stands between batches and records.
 *
 * Failures are named after the stream that failed. The pipes between the
 * streams propagate nothing by themselves (`preventAbort`,
 * `preventCancel`); when one ends in an error, the stream on its reading
 * side is to blame unless the one on its writing side has errored, in which
 * case the error travels upstream as a cancel (a terminated stream ends the
 * run gracefully; a failed one is named by the pipe after it). Once a
 * failure is named, everything is torn down with that `StageError`.
 *
 * The run is a black box: nobody knows which input an output came from, so
 * every batch it emits covers an empty range, and the range of everything
 * that entered it is released only when it has drained. When every stream
 * was declared with `oneToOne()`, each input batch's range is released
 * once as many outputs as that batch had inputs have come out.
 *
 * @param input The batches entering the run.
 * @param stages The user streams, in order (at least one).
 * @param batchSize The most records in an output batch.
 * @param lingerMs How long a partial output batch may wait (0: the next
 * macrotask).
 * @returns The batches leaving the run.
 */
export function userTransformStage(
  input: ReadableStream<RecordBatch<unknown>>,
  stages: readonly UserStage[],
  batchSize: number,
  lingerMs: number,
): ReadableStream<RecordBatch<unknown>> {
  const first = stages[0]!;
  const last = stages[stages.length - 1]!;
  const oneToOne = stages.every((stage) => isOneToOne(stage.transform));
  let enteredTo = 0;
  let releasedTo = 0;
  /** One-to-one: each input batch's record count and range end, in order. */
  const entered: Array<{ count: number; to: number }> = [];
  let owed = 0; // outputs seen towards the oldest entered batch
  /** The run has failed, been cancelled or ended: nothing more is named. */
  let settled = false;
  let output!: ReadableStreamDefaultController<RecordBatch<unknown>>;
  let buffer: unknown[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** Batches enqueued since the current pull began. */
  let emitted = 0;

  const batches = input.getReader();
  const writer = first.transform.writable.getWriter();
  const reader = last.transform.readable.getReader();

  /** Ends the run with `error`, tearing every stream down with it. */
  function fail(error: unknown): void {
    if (settled) return;
    output.error(error);
    tearDown(error).catch(ignore);
  }

  /**
   * Settles the run and ends every stream with `reason`; resolves when the
   * input is cancelled.
   */
  function tearDown(reason: unknown): Promise<void> {
    settled = true;
    clearTimeout(timer);
    writer.abort(reason).catch(ignore);
    reader.cancel(reason).catch(ignore);
    return batches.cancel(reason);
  }

  for (let k = 0; k + 1 < stages.length; k++) {
    const from = stages[k]!;
    const to = stages[k + 1]!.transform.writable;
    from.transform.readable.pipeTo(to, {
      preventAbort: true,
      preventCancel: true,
    }).then(undefined, (error) => {
      const readable = from.transform.readable;
      if (settled) {
        // Tearing down: pass the end on in both directions.
        readable.cancel(error).catch(ignore);
        to.abort(error).catch(ignore);
      } else if (writableErrored(to)) {
        // The next stream failed or terminated: cancel upstream, as a pipe
        // does; the next stream's own reader names a failure.
        readable.cancel(error).catch((cancelError) =>
          fail(toStageError(cancelError, from.index, from.name))
        );
      } else {
        const failure = toStageError(error, from.index, from.name);
        fail(failure);
        to.abort(failure).catch(ignore);
      }
    });
  }

  void feed();

  /** Writes the records of every input batch into the first stream. */
  async function feed(): Promise<void> {
    for (;;) {
      let batch: RecordBatch<unknown>;
      try {
        const step = await batches.read();
        if (step.done) break;
        batch = step.value;
      } catch (error) {
        fail(toStageError(error, first.index, first.name));
        return;
      }
      if (settled) return;
      enteredTo = batch.to;
      if (oneToOne) {
        entered.push({ count: batch.records.length, to: batch.to });
      }
      try {
        for (const record of batch.records) {
          const written = writer.write(record);
          // Awaiting the write is the backpressure: with the default
          // high-water mark of 1, every write fills the queue.
          if (writer.desiredSize! <= 0) await written;
          else written.then(undefined, ignore);
        }
      } catch (error) {
        stopFeeding(error);
        return;
      }
    }
    writer.close().catch(stopFeeding);
  }

  /** The first stream failed or terminated: cancel upstream, as a pipe does. */
  function stopFeeding(error: unknown): void {
    if (!settled) batches.cancel(error).catch(ignore);
  }

  /** Counts `outputs` against the entered batches, releasing those complete. */
  function release(outputs: number): void {
    owed += outputs;
    while (entered.length > 0 && owed >= entered[0]!.count) {
      const { count, to } = entered.shift()!;
      owed -= count;
      releasedTo = to;
    }
  }

  /** Sends the gathered records on (also from the linger timer). */
  function emit(): void {
    clearTimeout(timer);
    timer = undefined;
    if (buffer.length === 0 || settled) return;
    const records = buffer;
    buffer = [];
    const from = releasedTo;
    if (oneToOne) release(records.length);
    output.enqueue({ records, from, to: releasedTo });
    emitted++;
  }

  return new ReadableStream<RecordBatch<unknown>>({
    start(controller) {
      output = controller;
    },
    async pull(controller) {
      emitted = 0;
      // Read until a batch went out, from here or from the linger timer.
      while (emitted === 0) {
        let step: ReadableStreamReadResult<unknown>;
        try {
          step = await reader.read();
        } catch (error) {
          fail(toStageError(error, last.index, last.name));
          return;
        }
        if (settled) return;
        if (step.done) {
          if (buffer.length > 0 || enteredTo > releasedTo) {
            controller.enqueue({
              records: buffer,
              from: releasedTo,
              to: enteredTo,
            });
            releasedTo = enteredTo;
          }
          controller.close();
          // A stream that terminated early leaves the ones before it running.
          tearDown(undefined).catch(ignore);
          return;
        }
        buffer.push(step.value);
        if (buffer.length >= batchSize) emit();
        else if (timer === undefined) timer = setTimeout(emit, lingerMs);
      }
    },
    cancel(reason) {
      return tearDown(reason);
    },
  }, { highWaterMark: 0 });
}

/** Whether `writable` (unlocked) has errored or is erroring. */
function writableErrored(writable: WritableStream<unknown>): boolean {
  if (writable.locked) return false;
  const writer = writable.getWriter();
  const errored = writer.desiredSize === null;
  writer.releaseLock();
  return errored;
}
