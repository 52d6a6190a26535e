// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { DoneRanges } from "../checkpoint/done_ranges.ts";
import type { DeadLetter } from "../failures/dead_letter.ts";
import { assemble, nameOf } from "../pipeline/assemble.ts";
import type {
  DivertFor,
  OpenedSink,
  SinkContext,
} from "../pipeline/graph_node.ts";
import { openSink } from "../pipeline/open_sink.ts";
import type { RecordBatch } from "../pipeline/record_batch.ts";
import type { SinkCounts } from "../pipeline/sink_counts.ts";
import { withBranch } from "../pipeline/with_branch.ts";
import type { SinkBranch } from "./sink_branch.ts";

/**
 * Splits a batch's records per branch (a route): the records for branch
 * `i` at `[i]`, `undefined` for none. May divert records (async then).
 */
export type Split = (
  records: unknown[],
) => (unknown[] | undefined)[] | Promise<(unknown[] | undefined)[]>;

interface Running {
  branch: SinkBranch;
  path: string;
  input: ReadableStreamDefaultController<RecordBatch<unknown>>;
  /** Wakes a write waiting for room in this branch's input. */
  wake: (() => void) | undefined;
  opened: OpenedSink | undefined;
  /** Done ranges of a branch that holds records back; none for best effort. */
  done: DoneRanges | undefined;
  /** A best-effort branch whose stream failed takes nothing more. */
  dead: boolean;
  deadLettered: number;
  dropped: number;
  failures: number;
  letters: WritableStreamDefaultWriter<DeadLetter> | undefined;
}

interface Pending {
  from: number;
  to: number;
  count: number;
}

/**
 * Runs a fan-out (every batch to every branch) or, with `split`, a route,
 * inside `pipeline()`: each branch is its processors and its sink, fed
 * through a queue of its own and written concurrently. A batch is done
 * once every branch that is not best effort stored its part.
 */
export function openFanOut(
  branches: SinkBranch[],
  queueRecords: number,
  context: SinkContext,
  split?: Split,
): OpenedSink {
  const abort = new AbortController();
  const signal = AbortSignal.any([abort.signal, context.signal]);
  const pending: Pending[] = [];
  let count = 0;
  let failure: { error: unknown } | undefined;
  let controller!: WritableStreamDefaultController;
  const running = branches.map((branch) => openBranch(branch));
  const required = running.filter((b) => b.done !== undefined);
  const pipes = running.map((b) => pipe(b));
  // Failures are reported through the fan-out's own stream.
  for (const piped of pipes) piped.catch(() => {});

  function openBranch(branch: SinkBranch): Running {
    const path = context.branch === undefined
      ? branch.name
      : `${context.branch}/${branch.name}`;
    const b: Running = {
      branch,
      path,
      input: undefined!,
      wake: undefined,
      opened: undefined,
      done: branch.bestEffort ? undefined : new DoneRanges(),
      dead: false,
      deadLettered: 0,
      dropped: 0,
      failures: 0,
      letters: branch.deadLetter?.getWriter(),
    };
    return b;
  }

  function divertFor(b: Running): DivertFor | undefined {
    const letters = b.letters;
    if (letters) {
      return (stageIndex, stageName, at = b.path) =>
      (record, error, attempts) => {
        b.deadLettered++;
        return letters.write({
          record,
          error,
          stageIndex,
          stageName,
          attempts,
          branch: at,
        });
      };
    }
    if (b.branch.bestEffort) {
      // A best-effort sink's failing record is counted and dropped.
      return () => () => {
        b.failures++;
        b.dropped++;
        return Promise.resolve();
      };
    }
    const outer = context.divertFor;
    return outer &&
      ((index, name, at = b.path) => {
        const divert = outer(index, name, at);
        return divert &&
          ((record, error, attempts) => {
            b.deadLettered++;
            return divert(record, error, attempts);
          });
      });
  }

  function pipe(b: Running): Promise<void> {
    const { branch } = b;
    const room = branch.bestEffort ? queueRecords : 1;
    const input = new ReadableStream<RecordBatch<unknown>>(
      {
        start(c) {
          b.input = c;
        },
        pull() {
          const wake = b.wake;
          b.wake = undefined;
          wake?.();
        },
        // The branch failed: its processors or its sink stopped reading.
        cancel: (reason) => failed(reason),
      },
      branch.bestEffort
        ? { highWaterMark: room, size: (batch) => batch.records.length || 1 }
        : { highWaterMark: room },
    );
    const divert = divertFor(b);
    const assembled = assemble(
      { batches: input },
      branch.processors,
      context.batchSize,
      context.lingerMs,
      divert && ((index, name) => divert(index, name)),
    );
    const index = branch.processors.length;
    b.opened = openSink(branch.sink, {
      index,
      batchSize: context.batchSize,
      lingerMs: context.lingerMs,
      onStored: b.done && ((from, to) => stored(b, from, to)),
      divertFor: divert,
      signal,
      branch: b.path,
    });
    function failed(error: unknown): void {
      if (b.dead) return;
      b.dead = true;
      if (signal.aborted) return;
      if (branch.bestEffort) {
        b.failures++;
        return;
      }
      const name = nameOf(branch.sink, WritableStream);
      fail(withBranch(error, index, name, b.path));
    }
    return assembled.stream.pipeTo(b.opened.writable, { signal }).catch(
      (error) => {
        failed(error);
        if (!branch.bestEffort) throw failure?.error ?? error;
      },
    ).finally(() => {
      // A write waiting for room here must not wait forever.
      const wake = b.wake;
      b.wake = undefined;
      wake?.();
    });
  }

  function fail(error: unknown): void {
    if (failure) return;
    failure = { error };
    abort.abort(error);
    try {
      controller.error(error);
    } catch {
      // Already erroring.
    }
  }

  function stored(b: Running, from: number, to: number): void {
    b.done!.add(from, to);
    settle();
  }

  /** Reports every pending batch that each required branch has done. */
  function settle(): void {
    while (pending.length > 0) {
      const { from, to } = pending[0]!;
      if (!required.every((b) => b.done!.covers(from, to))) break;
      report(pending.shift()!);
    }
    // Ranges may complete out of order (a slow branch holds one batch
    // while another branch is done with the next): report those too.
    for (let p = 1; p < pending.length;) {
      const { from, to } = pending[p]!;
      if (required.every((b) => b.done!.covers(from, to))) {
        report(pending.splice(p, 1)[0]!);
      } else p++;
    }
  }

  function report(p: Pending): void {
    count += p.count;
    context.onStored?.(p.from, p.to);
  }

  function give(b: Running, records: unknown[], from: number, to: number) {
    if (b.branch.bestEffort) {
      if (b.dead || (b.input.desiredSize ?? 0) < records.length) {
        b.dropped += records.length;
        return;
      }
    } else if (b.dead) return; // the fan-out fails with the branch's error
    b.input.enqueue({ records, from, to });
  }

  async function write(batch: RecordBatch<unknown>): Promise<void> {
    if (failure) throw failure.error;
    const { records, from, to } = batch;
    pending.push({ from, to, count: records.length });
    if (records.length === 0) {
      for (const b of required) b.done!.add(from, to);
    } else if (split === undefined) {
      for (const b of running) give(b, records, from, to);
    } else {
      let parts = split(records);
      if (parts instanceof Promise) parts = await parts;
      for (let i = 0; i < running.length; i++) {
        const b = running[i]!;
        const part = parts[i];
        if (part !== undefined && part.length > 0) give(b, part, from, to);
        else b.done?.add(from, to);
      }
    }
    settle();
    // Backpressure: the next batch waits for room in every required branch.
    for (const b of required) {
      while ((b.input.desiredSize ?? 1) <= 0 && !failure && !signal.aborted) {
        await new Promise<void>((resolve) => b.wake = resolve);
      }
    }
    const failed = failure as { error: unknown } | undefined;
    if (failed) throw failed.error;
  }

  async function close(): Promise<void> {
    for (const b of running) if (!b.dead) b.input.close();
    const results = await Promise.allSettled(pipes);
    for (const result of results) {
      if (result.status === "rejected") throw result.reason;
    }
    await closeLetters((letters) => letters.close());
    if (failure) throw failure.error;
  }

  function closeLetters(
    how: (letters: WritableStreamDefaultWriter<DeadLetter>) => Promise<void>,
  ): Promise<unknown> {
    return Promise.all(
      running.map((b) => b.letters && how(b.letters).catch(() => {})),
    );
  }

  const writable = new WritableStream<RecordBatch<unknown>>({
    start(c) {
      controller = c;
    },
    write: (batch) =>
      write(batch).catch((error) => {
        // Nothing more comes: every branch stops with this error.
        fail(error);
        throw error;
      }),
    close,
    async abort(reason) {
      abort.abort(reason);
      for (const b of running) {
        try {
          b.input.error(reason);
        } catch {
          // Already closed.
        }
      }
      await Promise.allSettled(pipes);
      await closeLetters((letters) => letters.abort(reason));
    },
  }, { highWaterMark: 1 });

  return {
    writable,
    get count() {
      return count;
    },
    sinks() {
      const counts: Record<string, SinkCounts> = {};
      for (const b of running) {
        const inner = b.opened?.sinks?.();
        // A sink that is itself a fan-out or route is counted by its sinks,
        // unless it is best effort: its drops and failures are its own.
        if (inner === undefined || b.branch.bestEffort) {
          counts[b.path] = {
            recordsWritten: b.opened?.count ?? 0,
            recordsDeadLettered: b.deadLettered,
            recordsDropped: b.dropped,
            failures: b.failures,
          };
        }
        Object.assign(counts, inner);
      }
      return counts;
    },
  };
}
