// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { DeadLetter } from "../failures/dead_letter.ts";
import type { BATCH_SINK } from "../sinks/batch_sink.ts";
import type { BatchUnderlyingSink } from "../sinks/batch_sink.ts";
import { fanOutRun, graphSink } from "./fan_out_run.ts";
import { BEST_EFFORT_QUEUE_RECORDS, sinkBranches } from "./sink_branch.ts";

/**
 * Options for {@linkcode fanOut} and {@linkcode route}.
 *
 * @example A best-effort metrics sink beside the archive
 * ```ts
 * import { batchSink, collect, fanOut, pipeline } from "@ca/streams";
 * import type { FanOutOptions } from "@ca/streams";
 *
 * const options: FanOutOptions = { bestEffort: ["metrics"], bestEffortQueueRecords: 1000 };
 * const archive = collect<number>();
 * const metrics = batchSink<number>({
 *   write() {
 *     throw new Error("metrics endpoint down");
 *   },
 * });
 * const summary = await pipeline([1, 2, 3], fanOut({ archive, metrics }, options));
 * if (archive.records.length !== 3 || summary.sinks!.metrics!.failures === 0) {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export interface FanOutOptions {
  /**
   * Sinks that must not hold the others back: each gets a queue of its
   * own (`bestEffortQueueRecords`), what overflows it is dropped and
   * counted (`recordsDropped`), and its failures are counted (`failures`)
   * instead of failing the pipeline. A record is done without them.
   */
  bestEffort?: readonly string[];
  /** How many records a best-effort sink may have queued (default 10,000). */
  bestEffortQueueRecords?: number;
  /**
   * A dead-letter stream per sink: records that keep failing in that sink
   * (or in its branch's processors) go there, with `branch` set, and count
   * as done, instead of failing the pipeline. Without one, the pipeline's
   * own `deadLetter` takes them, when it has one.
   */
  deadLetters?: Record<string, WritableStream<DeadLetter>>;
}

/**
 * A sink made by {@linkcode fanOut}: a `WritableStream` that `pipeline()`
 * runs as a graph.
 *
 * @example Used alone, a fan-out writes every record to each sink
 * ```ts
 * import { collect, fanOut } from "@ca/streams";
 * import type { FanOutSink } from "@ca/streams";
 *
 * const a = collect<number>();
 * const b = collect<number>();
 * const both: FanOutSink<number> = fanOut({ a, b });
 * await ReadableStream.from([1, 2]).pipeTo(both);
 * if (a.records.join() !== "1,2" || b.records.join() !== "1,2") throw new Error("unexpected");
 * ```
 */
export interface FanOutSink<T> extends WritableStream<T> {
  /** How `pipeline()` writes it: whole batches, acknowledged once stored everywhere. */
  readonly [BATCH_SINK]: BatchUnderlyingSink<T>;
  /** The sinks' names, in the order given. */
  readonly sinks: readonly string[];
}

/**
 * One sink that gives every batch to each of several named sinks, writing
 * to them concurrently. Inside `pipeline()` a record is done (for
 * acknowledgements and the checkpoint) only once every sink stored it, and
 * `recordsWritten` counts such records; `summary.sinks` counts per sink.
 * A failing sink fails the pipeline with a `StageError` whose `branch`
 * names it, unless it has a dead letter (`options.deadLetters`, or the
 * pipeline's `deadLetter`) or is `bestEffort`.
 *
 * A sink may be a `branch(...processors, sink)` (processors on that branch
 * only), another `fanOut()` or a `route()`.
 *
 * A record fanned out to an exactly-once sink and to another sink is
 * exactly-once only in that sink: a replay after a crash repeats it in the
 * other.
 *
 * @typeParam T The record type.
 * @param sinks The sinks by name; the names key the counts and errors.
 * @param options `bestEffort`, `bestEffortQueueRecords`, `deadLetters`.
 * @returns A `WritableStream<T>` for `pipeline()`, also usable alone.
 *
 * @example Archive everything, and keep the paid orders apart
 * ```ts
 * import { branch, collect, fanOut, filter, pipeline } from "@ca/streams";
 *
 * interface Order { id: number; paid: boolean }
 * const orders: Order[] = [{ id: 1, paid: true }, { id: 2, paid: false }];
 * const archive = collect<Order>();
 * const paid = collect<Order>();
 * const summary = await pipeline(
 *   orders,
 *   fanOut({ archive, paid: branch(filter((o: Order) => o.paid), paid) }),
 * );
 * if (archive.records.length !== 2 || paid.records.length !== 1) throw new Error("unexpected");
 * if (summary.recordsWritten !== 2) throw new Error("unexpected count");
 * ```
 */
export function fanOut<T>(
  sinks: Record<string, WritableStream<T>>,
  options?: FanOutOptions,
): FanOutSink<T> {
  const branches = sinkBranches("fanOut()", sinks, options);
  const queue = options?.bestEffortQueueRecords ?? BEST_EFFORT_QUEUE_RECORDS;
  return graphSink(fanOutRun(branches, queue), branches) as FanOutSink<T>;
}
