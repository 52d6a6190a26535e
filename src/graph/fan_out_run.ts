// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { DoneRanges } from "../checkpoint/done_ranges.ts";
import type { DeadLetter } from "../failures/dead_letter.ts";
import { assemble, nameOf } from "../pipeline/assemble.ts";
import type { Divert } from "../pipeline/processor_spec.ts";
import type { DivertFor } from "../pipeline/graph_node.ts";
import type { ConnectionHealth } from "../health/connection_health.ts";
import type { RecordBatch } from "../pipeline/record_batch.ts";
import type { SinkCounts } from "../pipeline/sink_counts.ts";
import { sinkStream } from "../pipeline/sink_stream.ts";
import type { SinkHandle } from "../pipeline/sink_stream.ts";
import { withBranch } from "../pipeline/with_branch.ts";
import { BATCH_SINK, batchSink } from "../sinks/batch_sink.ts";
import type {
  BatchSink,
  BatchUnderlyingSink,
  BatchWriteContext,
} from "../sinks/batch_sink.ts";
import { GRAPH } from "../pipeline/graph_node.ts";
import type { GraphSink } from "../pipeline/graph_node.ts";
import type { SinkBranch } from "./sink_branch.ts";

/**
 * Splits a batch's records per branch (a route): the records for branch
 * `i` at `[i]`, `undefined` for none. Throws when a record cannot be
 * routed.
 */
export type Split = (
  records: unknown[],
  from: number,
  unroutable?: (record: unknown, error: unknown) => void,
) => (unknown[] | undefined)[];

interface Branch {
  spec: SinkBranch;
  /** Gives the branch a batch. */
  put(batch: RecordBatch<unknown>): void;
  /** Batches (records, for best effort) it can take without waiting. */
  capacity(): number;
  /** No more batches: the branch drains and closes its sink. */
  end(): void;
  /** Stops the branch at once, aborting its sink. */
  stop(reason: unknown): void;
  /** Wakes a write waiting for room in this branch's input. */
  wake: (() => void) | undefined;
  sink: SinkHandle<unknown>;
  /** Done ranges of a branch that must store; none for best effort. */
  done: DoneRanges | undefined;
  /** The branch failed (or was cancelled): it takes nothing more. */
  dead: boolean;
  deadLettered: number;
  dropped: number;
  /** Records a best-effort branch was offered, taken or not. */
  offered: number;
  /** Records a best-effort plain sink stored, counted one by one. */
  written: number;
  failures: number;
  letters: WritableStreamDefaultWriter<DeadLetter> | undefined;
  piped: Promise<void>;
}

interface Pending {
  from: number;
  to: number;
  ack: (error?: unknown) => void;
  /** Acknowledged already: dropped once the batches before it are too. */
  acked: boolean;
}

/** A fan-out's callbacks, and its counts for `summary.sinks`. */
export interface FanOutRun {
  /** The batch sink `pipeline()` writes to, acknowledging per batch. */
  underlying: BatchUnderlyingSink<unknown>;
  /** The plain sink used alone: a write rejects once a branch failed. */
  standalone: UnderlyingSink<unknown>;
  /** Live counts per sink, by branch path. */
  counts(): Record<string, SinkCounts>;
  /** Takes the pipeline's dead letter and this node's stage index. */
  attach(divertFor: DivertFor | undefined, index: number): void;
  /** The connection health of the sinks that report one, by branch path. */
  health(): Record<string, ConnectionHealth>;
}

/**
 * A fan-out (every batch to every branch) or, with `split`, a route. Each
 * branch is its processors and its sink, fed through a queue of its own
 * and written concurrently; they are opened with the first write. Batches
 * are numbered as they come, and a batch is acknowledged (`defer()`) once
 * every branch that is not best effort stored its part, so that the
 * pipeline's checkpoint never passes a record a sink still lacks.
 */
export function fanOutRun(
  branches: SinkBranch[],
  queueRecords: number,
  split?: Split,
): FanOutRun {
  let running: Branch[] | undefined;
  let required: Branch[] = [];
  const pending: Pending[] = [];
  let next = 0;
  let failure: { error: unknown } | undefined;
  let tornDown: Promise<void> = Promise.resolve();
  const abort = new AbortController();
  let signal = abort.signal;
  /** The pipeline's dead letter, for branches without one of their own. */
  let outer: DivertFor | undefined;
  let ownIndex = 0;

  function open(outer: AbortSignal | undefined): Branch[] {
    if (running) return running;
    if (outer) signal = AbortSignal.any([abort.signal, outer]);
    running = branches.map(openBranch);
    required = running.filter((b) => b.done !== undefined);
    return running;
  }

  function openBranch(spec: SinkBranch): Branch {
    const b = {
      spec,
      wake: undefined,
      done: spec.bestEffort ? undefined : new DoneRanges(),
      dead: false,
      deadLettered: 0,
      dropped: 0,
      offered: 0,
      written: 0,
      failures: 0,
      letters: spec.deadLetter?.getWriter(),
    } as unknown as Branch;
    const divertFor = (index: number, name: string | undefined) =>
      divert(b, index, name);
    const index = spec.processors.length;
    const name = nameOf(spec.sink, WritableStream);
    // A fan-out or route nested here sends its failures where this one does.
    (spec.sink as { [GRAPH]?: GraphSink })[GRAPH]?.attach(
      (at, stage, inner) => divert(b, at, stage, inner),
      index,
    );
    b.sink = sinkStream(
      spec.bestEffort && !(BATCH_SINK in spec.sink)
        ? counted(spec.sink, b)
        : spec.sink,
      index,
      name,
      b.done && ((from, to) => {
        b.done!.add(from, to);
        settle(from, to);
      }),
      divertFor(index, name),
      signal,
    );
    if (spec.processors.length === 0) {
      // No processors: batches go straight to the sink's writer, one hop.
      const writer = b.sink.writable.getWriter();
      let queued = 0;
      b.put = (batch) => {
        const size = batch.records.length;
        queued += size;
        writer.write(batch).then(() => {
          queued -= size;
          wake(b);
        }, (error) => failed(b, error));
      };
      b.capacity = spec.bestEffort
        ? () => queueRecords - queued
        : () => writer.desiredSize ?? 0;
      b.end = () => void writer.close().catch(() => {});
      b.stop = (reason) => void writer.abort(reason).catch(() => {});
      b.piped = writer.closed.catch((error) => failed(b, error));
      return b;
    }
    let input!: ReadableStreamDefaultController<RecordBatch<unknown>>;
    b.put = (batch) => input.enqueue(batch);
    b.capacity = () => input.desiredSize ?? 0;
    b.end = () => input.close();
    b.stop = (reason) => input.error(reason);
    const { stream } = assemble(
      {
        batches: new ReadableStream<RecordBatch<unknown>>(
          {
            start(controller) {
              input = controller;
            },
            pull() {
              wake(b);
            },
            // The branch failed: its processors or its sink stopped reading.
            cancel: (reason) => failed(b, reason),
          },
          // A best-effort queue is counted in records, others in batches.
          spec.bestEffort
            ? {
              highWaterMark: queueRecords,
              size: (batch) => batch.records.length || 1,
            }
            : { highWaterMark: 1 },
        ),
      },
      spec.processors,
      1024,
      0,
      divertFor,
    );
    b.piped = stream.pipeTo(b.sink.writable, { signal }).catch((error) =>
      failed(b, error)
    ).finally(() => wake(b));
    return b;
  }

  /**
   * A best-effort plain sink, written record by record as `pipeline()`
   * does, counting each stored record: if it fails, the count says how
   * many of its last batch it stored.
   */
  function counted(sink: WritableStream<unknown>, b: Branch) {
    const writer = sink.getWriter();
    const stored = () => void b.written++;
    return batchSink<unknown>({
      write(records) {
        let last!: Promise<void>;
        for (const record of records) {
          last = writer.write(record);
          last.then(stored, () => {});
        }
        return last;
      },
      close: () => writer.close(),
      abort: (reason) => writer.abort(reason),
    });
  }

  function wake(b: Branch): void {
    const resume = b.wake;
    b.wake = undefined;
    resume?.();
  }

  /** Where a branch's failing records go: its dead letter, or best effort's count. */
  function divert(
    b: Branch,
    stageIndex: number,
    stageName: string | undefined,
    inner?: string,
  ): Divert | undefined {
    const { letters } = b;
    const path = inner === undefined ? b.spec.name : `${b.spec.name}/${inner}`;
    if (letters) {
      return (record, error, attempts) => {
        b.deadLettered++;
        return letters.write({
          record,
          error,
          stageIndex,
          stageName,
          attempts,
          branch: path,
        });
      };
    }
    if (b.spec.bestEffort) {
      return () => {
        b.failures++;
        b.dropped++;
        return Promise.resolve();
      };
    }
    const pipelines = outer?.(stageIndex, stageName, path);
    return pipelines && ((record, error, attempts) => {
      b.deadLettered++;
      return pipelines(record, error, attempts);
    });
  }

  function failed(b: Branch, error: unknown): void {
    if (b.dead) return;
    b.dead = true;
    if (signal.aborted) return;
    if (b.spec.bestEffort) {
      b.failures++;
      return;
    }
    const name = nameOf(b.spec.sink, WritableStream);
    fail(withBranch(error, b.spec.processors.length, name, b.spec.name));
  }

  /** A branch that must store failed: so does every batch not yet done. */
  function fail(error: unknown): void {
    if (failure) return;
    failure = { error };
    abort.abort(error);
    for (const b of running ?? []) {
      try {
        b.stop(error);
      } catch {
        // Already closed or errored.
      }
      wake(b);
    }
    // The pipeline hears of it once every branch has let go of its sink.
    tornDown = Promise.all((running ?? []).map((b) => b.piped)).then(() => {
      for (const p of pending.splice(0)) if (!p.acked) p.ack(error);
    });
  }

  /**
   * Acknowledges the pending batches within `[from, to)` that every
   * required branch has done. Out of order too: a slow branch may hold one
   * batch while every branch is done with the next (a route sends them
   * different ways). Only the batches the new range touches are looked at.
   */
  function settle(from: number, to: number): void {
    let lo = 0;
    let hi = pending.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pending[mid]!.to <= from) lo = mid + 1;
      else hi = mid;
    }
    for (let p = lo; p < pending.length && pending[p]!.from < to; p++) {
      const batch = pending[p]!;
      if (
        !batch.acked &&
        required.every((b) => b.done!.covers(batch.from, batch.to))
      ) {
        batch.acked = true;
        batch.ack();
      }
    }
    let drop = 0;
    while (drop < pending.length && pending[drop]!.acked) drop++;
    if (drop > 0) pending.splice(0, drop);
  }

  function give(b: Branch, records: unknown[], from: number, to: number) {
    if (b.spec.bestEffort) {
      b.offered += records.length;
      if (b.dead || b.capacity() < records.length) {
        b.dropped += records.length;
        return;
      }
    } else if (b.dead) return; // the fan-out fails with the branch's error
    b.put({ records, from, to });
  }

  async function write(
    records: unknown[],
    context: BatchWriteContext,
    standalone: boolean,
  ): Promise<void> {
    const all = open(context.signal);
    const from = next;
    const to = next += records.length;
    if (from === to && !failure) return; // nothing to store anywhere
    pending.push({ from, to, ack: context.defer(), acked: false });
    let parts: (unknown[] | undefined)[] | undefined;
    const unroutable: Array<[unknown, unknown]> = [];
    try {
      if (failure) throw failure.error;
      parts = split?.(
        records,
        from,
        outer && ((record, error) => unroutable.push([record, error])),
      );
    } catch (error) {
      // A record that cannot be routed fails the pipeline, as a sink does.
      fail(error);
      if (standalone) throw error;
      // Acknowledged with the error once torn down (or now, if it was).
      await tornDown;
      for (const p of pending.splice(0)) if (!p.acked) p.ack(failure!.error);
      return;
    }
    if (unroutable.length > 0) {
      // With the pipeline's dead letter, what cannot be routed goes there.
      const divert = outer!(ownIndex, "route", undefined)!;
      for (const [record, error] of unroutable) await divert(record, error, 1);
    }
    for (let i = 0; i < all.length; i++) {
      const b = all[i]!;
      const part = parts === undefined ? records : parts[i];
      if (part !== undefined && part.length > 0) give(b, part, from, to);
      else b.done?.add(from, to);
    }
    settle(from, to);
    // Backpressure: the next batch waits for room in every required branch.
    for (const b of required) {
      while (b.capacity() <= 0 && !b.dead && !failure) {
        await new Promise<void>((resolve) => b.wake = resolve);
      }
    }
    const failedWith = failure as { error: unknown } | undefined;
    if (failedWith) {
      if (standalone) throw failedWith.error;
      // Nothing more is taken: the pipeline stops reading once it hears.
      await tornDown;
      for (const p of pending.splice(0)) if (!p.acked) p.ack(failedWith.error);
    }
  }

  async function close(): Promise<void> {
    const all = open(undefined);
    for (const b of all) if (!b.dead) b.end();
    await Promise.all(all.map((b) => b.piped));
    await Promise.all(all.map((b) => b.letters?.close().catch(() => {})));
    if (failure) throw failure.error;
  }

  async function abortAll(reason: unknown): Promise<void> {
    const all = open(undefined);
    abort.abort(reason);
    for (const b of all) {
      try {
        b.stop(reason);
      } catch {
        // Already closed.
      }
    }
    await Promise.all(all.map((b) => b.piped));
    await Promise.all(all.map((b) => b.letters?.abort(reason).catch(() => {})));
  }

  return {
    underlying: {
      write: (records, context) => write(records, context, false),
      close,
      abort: abortAll,
    },
    standalone: {
      write: (record, controller) =>
        write([record], {
          defer: () => () => {},
          signal: controller.signal,
        }, true),
      close,
      abort: abortAll,
    },
    health() {
      const health: Record<string, ConnectionHealth> = {};
      for (const { name, sink } of branches) {
        const inner = (sink as { [GRAPH]?: GraphSink })[GRAPH]?.health();
        for (const [path, state] of Object.entries(inner ?? {})) {
          health[`${name}/${path}`] = state;
        }
        const own = (sink as Partial<BatchSink<unknown>>)[BATCH_SINK]
          ?.health?.();
        if (own) health[name] = own;
      }
      return health;
    },
    attach(divertFor, index) {
      outer = divertFor;
      ownIndex = index;
    },
    counts() {
      const counts: Record<string, SinkCounts> = {};
      for (const b of running ?? []) {
        const inner = (b.spec.sink as { [GRAPH]?: GraphSink })[GRAPH]
          ?.counts() as Record<string, SinkCounts> | undefined;
        // A sink that is itself a fan-out or route is counted by its sinks,
        // unless it is best effort: its drops and failures are its own.
        if (inner === undefined || b.spec.bestEffort) {
          const written = b.spec.bestEffort && !(BATCH_SINK in b.spec.sink)
            ? b.written
            : b.sink.count;
          counts[b.spec.name] = {
            recordsWritten: written,
            recordsDeadLettered: b.deadLettered,
            // A best-effort sink that failed lost what it had queued too.
            recordsDropped: b.dead && b.spec.bestEffort
              ? b.offered - written - b.deadLettered
              : b.dropped,
            failures: b.failures,
          };
        }
        for (const [path, count] of Object.entries(inner ?? {})) {
          counts[`${b.spec.name}/${path}`] = count;
        }
      }
      return counts;
    },
  };
}

/** The stream of a fan-out or route run, marked for `pipeline()`. */
export function graphSink(
  run: FanOutRun,
  branches: SinkBranch[],
): WritableStream<unknown> {
  const stream = new WritableStream(run.standalone);
  Object.defineProperty(stream, "sinks", {
    value: Object.freeze(branches.map((b) => b.name)),
    enumerable: true,
  });
  Object.defineProperty(stream, BATCH_SINK, { value: run.underlying });
  Object.defineProperty(stream, GRAPH, {
    value: {
      counts: () => run.counts(),
      attach: (divertFor, index) => run.attach(divertFor, index),
      health: () => run.health(),
    } satisfies GraphSink,
  });
  return stream;
}
