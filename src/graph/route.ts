// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { RecordError } from "../errors/record_error.ts";
import type { BATCH_SINK, BatchUnderlyingSink } from "../sinks/batch_sink.ts";
import { describeValue } from "../util/describe_value.ts";
import type { FanOutOptions } from "./fan_out.ts";
import { fanOutRun, graphSink } from "./fan_out_run.ts";
import type { Split } from "./fan_out_run.ts";
import { BEST_EFFORT_QUEUE_RECORDS, sinkBranches } from "./sink_branch.ts";
import type { SinkBranch } from "./sink_branch.ts";

/**
 * What a {@linkcode route} chooser returns: the name of the sink that
 * takes the record, several names, or nothing (the record goes nowhere and
 * counts as done).
 *
 * @example Route by a field, or nowhere
 * ```ts
 * import type { RouteChoice } from "@ca/streams";
 *
 * type Sink = "paid" | "refunds";
 * function choose(order: { status: string }): RouteChoice<Sink> {
 *   if (order.status === "paid") return "paid";
 *   if (order.status === "refunded") return ["paid", "refunds"];
 * }
 * if (choose({ status: "open" }) !== undefined) throw new Error("unexpected");
 * ```
 */
export type RouteChoice<K extends string> =
  | K
  | readonly K[]
  | undefined
  | null
  | void;

/**
 * A sink made by {@linkcode route}: a `WritableStream` that `pipeline()`
 * runs as a graph.
 *
 * @example Used alone, a route writes each record where it belongs
 * ```ts
 * import { collect, route } from "@ca/streams";
 * import type { RouteSink } from "@ca/streams";
 *
 * const small = collect<number>();
 * const large = collect<number>();
 * const sink: RouteSink<number> = route((n: number) => n < 10 ? "small" : "large", { small, large });
 * await ReadableStream.from([1, 20, 3]).pipeTo(sink);
 * if (small.records.join() !== "1,3" || large.records.join() !== "20") throw new Error("unexpected");
 * ```
 */
export interface RouteSink<T> extends WritableStream<T> {
  /** How `pipeline()` writes it: whole batches, split once per batch. */
  readonly [BATCH_SINK]: BatchUnderlyingSink<T>;
  /** The sinks' names, in the order given. */
  readonly sinks: readonly string[];
}

/**
 * One sink that sends each record to the sink named by `choose(record)`,
 * to several when it returns an array, or to none when it returns nothing
 * (the record then counts as done). Inside `pipeline()` each batch is split
 * per sink in one pass, without a stream hop per record, and the sinks
 * write concurrently; a record is done once every sink it went to stored
 * it. A name that is not one of `sinks`, or a `choose` that throws, sends
 * the record to the pipeline's dead letter (it is then done), or without
 * one fails the pipeline with a `StageError` of the route's stage that
 * gives the record's index in the route's input.
 *
 * Options, counts and failures are those of {@linkcode fanOut}; a sink may
 * be a `branch(...processors, sink)`, a `fanOut()` or another `route()`.
 *
 * @typeParam T The record type.
 * @typeParam K The sink names.
 * @param choose Picks the sink(s) of a record, synchronously.
 * @param sinks The sinks by name.
 * @param options `bestEffort`, `bestEffortQueueRecords`, `deadLetters`.
 * @returns A `WritableStream<T>` for `pipeline()`, also usable alone.
 *
 * @example Route orders by status
 * ```ts
 * import { collect, pipeline, route } from "@ca/streams";
 *
 * interface Order { id: number; status: "paid" | "refunded" | "open" }
 * const paid = collect<Order>();
 * const refunds = collect<Order>();
 * const orders: Order[] = [
 *   { id: 1, status: "paid" },
 *   { id: 2, status: "refunded" },
 *   { id: 3, status: "open" },
 * ];
 * const summary = await pipeline(
 *   orders,
 *   route((o: Order) => o.status === "open" ? undefined : o.status === "paid" ? "paid" : "refunds", {
 *     paid,
 *     refunds,
 *   }),
 * );
 * if (paid.records.length !== 1 || refunds.records.length !== 1) throw new Error("unexpected");
 * if (summary.recordsWritten !== 3) throw new Error("every record is done");
 * ```
 */
export function route<T, K extends string>(
  choose: (record: T) => RouteChoice<K>,
  sinks: Record<K, WritableStream<T>>,
  options?: FanOutOptions,
): RouteSink<T> {
  if (typeof choose !== "function") {
    throw new TypeError(
      `Cannot create route(): choose must be a function, got ${
        describeValue(choose)
      }`,
    );
  }
  const branches = sinkBranches("route()", sinks, options);
  // One shared array per sink: routing a record allocates nothing.
  const indexOf = new Map(branches.map((b, i) => [b.name, [i]]));
  const queue = options?.bestEffortQueueRecords ?? BEST_EFFORT_QUEUE_RECORDS;
  const split = splitter(
    (record) => targetsOf(choose(record as T), indexOf, branches),
    branches.length,
  );
  return graphSink(fanOutRun(branches, queue, split), branches) as RouteSink<T>;
}

const NOWHERE: readonly number[] = [];

function targetsOf(
  choice: unknown,
  indexOf: Map<string, readonly number[]>,
  branches: SinkBranch[],
): readonly number[] {
  if (choice === undefined || choice === null) return NOWHERE;
  if (typeof choice === "string") {
    const single = indexOf.get(choice);
    if (single !== undefined) return single;
  } else if (Array.isArray(choice)) {
    return choice.map((name) => targetsOf(name, indexOf, branches)[0]!)
      .filter((index) => index !== undefined);
  }
  throw new TypeError(
    `Cannot route record: choose() returned ${
      describeValue(choice)
    }, expected one of ${
      branches.map((b) => `"${b.name}"`).join(", ")
    }, an array of them, or nothing`,
  );
}

/** Splits batches per sink in one pass; a record that cannot be routed fails. */
function splitter(
  pick: (record: unknown) => readonly number[],
  count: number,
): Split {
  return (records, from, unroutable) => {
    const parts: (unknown[] | undefined)[] = new Array(count);
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      let targets: readonly number[];
      try {
        targets = pick(record);
      } catch (error) {
        if (unroutable === undefined) throw new RecordError(from + i, error);
        unroutable(record, error);
        continue;
      }
      for (const t of targets) (parts[t] ??= []).push(record);
    }
    return parts;
  };
}
