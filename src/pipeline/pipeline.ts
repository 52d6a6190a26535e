// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { CheckpointStore } from "../checkpoint/checkpoint_store.ts";
import { Checkpointer } from "../checkpoint/checkpointer.ts";
import type { Position } from "../checkpoint/position.ts";
import { RESUMABLE_SOURCE } from "../sources/resumable_source.ts";
import type { ResumableSource } from "../sources/resumable_source.ts";
import type { DeadLetter } from "../failures/dead_letter.ts";
import { isOneToOne } from "./one_to_one_mark.ts";
import { assemble, nameOf } from "./assemble.ts";
import { specOf } from "./processor_spec.ts";
import { GRAPH } from "./graph_node.ts";
import type {
  DivertFor,
  GraphSink,
  GraphSource,
  OpenedSource,
} from "./graph_node.ts";
import { sinkStream } from "./sink_stream.ts";
import type { SinkHandle } from "./sink_stream.ts";
import type { OriginCounts } from "./origin_counts.ts";
import type { SinkCounts } from "./sink_counts.ts";
import type { ConnectionHealth } from "../health/connection_health.ts";
import type { PipelineHealth } from "./pipeline_health.ts";
import { BATCH_SINK } from "../sinks/batch_sink.ts";
import type { BatchSink } from "../sinks/batch_sink.ts";
import type { PipelineSource, SourceHandle } from "./source_stream.ts";
import { toStageError } from "./to_stage_error.ts";

export type { PipelineSource } from "./source_stream.ts";

/**
 * Where a pipeline is in its life.
 *
 * @example Watch a pipeline go from running to stopped
 * ```ts
 * import { collect, pipeline } from "@ca/streams";
 * import type { PipelineState } from "@ca/streams";
 *
 * const running = pipeline([1, 2, 3], collect<number>());
 * const before: PipelineState = running.state;
 * await running;
 * const after: PipelineState = running.state;
 * if (before !== "running" || after !== "stopped") {
 *   throw new Error(`unexpected ${before} -> ${after}`);
 * }
 * ```
 */
export type PipelineState = "running" | "stopped" | "degraded";

/**
 * Where and how often a pipeline stores its position; see {@linkcode PipelineOptions}.
 *
 * @example Commit every 5 records, then resume with nothing left to read
 * ```ts
 * import { collect, memoryStore, pipeline, resumableSource } from "@ca/streams";
 * import type { CheckpointOptions } from "@ca/streams";
 *
 * const source = resumableSource<number>({
 *   async *open(after) {
 *     const start = after === undefined ? 0 : Number(after) + 1;
 *     for (let i = start; i < 10; i++) yield { records: [i], position: i };
 *   },
 * });
 * const checkpoint: CheckpointOptions = { store: memoryStore(), everyRecords: 5 };
 * const first = await pipeline(source, collect<number>(), { id: "n", checkpoint });
 * const again = collect<number>();
 * await pipeline(source, again, { id: "n", checkpoint });
 * if (first.position !== 9 || again.records.length !== 0) throw new Error("unexpected");
 * ```
 */
export interface CheckpointOptions {
  /** Where positions are stored: `memoryStore()`, or a store from `connectors/`. */
  store: CheckpointStore;
  /** Commit once this many more source records are done (default 1000). */
  everyRecords?: number;
  /** Commit at least this often while records get done, in ms (default 5000). */
  everyMs?: number;
  /**
   * Bounds the replay after a crash: reading waits while this many records
   * are read but not committed, and commits start early enough that it
   * rarely has to. A crash (a `SIGKILL`, a lost machine) then repeats at
   * most this many records plus the source's last batch.
   *
   * Without it (the default), `everyRecords` and `everyMs` only trigger
   * commits: commits are spaced by four times their own duration (so that
   * committing takes at most a fifth of the time), and a fast source
   * reads on meanwhile, so the replay is everything read since the last
   * commit that landed, which can be far more than `everyRecords`.
   *
   * Records held inside a stage count as uncommitted: every processor must
   * let records through as more arrive. A user's own `TransformStream` is
   * accepted only when declared with `oneToOne()` (otherwise the checkpoint
   * waits for it to drain, and the bound would stop the source for good),
   * and a `batch()` group must be smaller than the bound or have a
   * `maxWaitMs`. The same holds for processors on a `branch()` of a graph,
   * which are not checked when the pipeline is built.
   *
   * @example Repeat at most about 5,000 records after a crash
   * ```ts
   * import { collect, memoryStore, pipeline, resumableSource } from "@ca/streams";
   *
   * const source = resumableSource<number>({
   *   async *open(after) {
   *     for (let i = after === undefined ? 0 : Number(after) + 1; i < 20_000; i += 100) {
   *       const records = Array.from({ length: 100 }, (_, k) => i + k);
   *       yield { records, position: i + 99 };
   *     }
   *   },
   * });
   * const sink = collect<number>();
   * const summary = await pipeline(source, sink, {
   *   id: "bounded",
   *   checkpoint: { store: memoryStore(), maxUncommittedRecords: 5_000 },
   * });
   * if (summary.position !== 19_999 || sink.records.length !== 20_000) {
   *   throw new Error("unexpected summary");
   * }
   * ```
   */
  maxUncommittedRecords?: number;
  /**
   * Ignore the stored position: `"start"` reads from the beginning,
   * `{ position }` resumes after the given position. Either is stored at once.
   */
  reset?: "start" | { position: Position };
}

/**
 * Options for {@linkcode pipeline}.
 *
 * @example Name a pipeline, make it abortable and use small batches
 * ```ts
 * import { collect, map, pipeline } from "@ca/streams";
 * import type { PipelineOptions } from "@ca/streams";
 *
 * const controller = new AbortController();
 * const options: PipelineOptions = {
 *   id: "squares",
 *   signal: controller.signal,
 *   batchSize: 2,
 * };
 * const sink = collect<number>();
 * await pipeline([1, 2, 3], map((n: number) => n * n), sink, options);
 * if (sink.records.join() !== "1,4,9") throw new Error(`unexpected ${sink.records}`);
 * ```
 */
export interface PipelineOptions {
  /** Names the pipeline; with `checkpoint`, it is the key of its checkpoint. */
  id?: string;
  /**
   * At-least-once delivery with a resumable source: the position of the
   * last record done (stored by the sink, or dropped by a processor, with
   * every record before it) is committed to `store` every `everyRecords`
   * records or `everyMs`, and when the pipeline ends or stops; the next run
   * with the same `id` resumes after it. A crash repeats what was read
   * since the last commit that landed: `maxUncommittedRecords` bounds it.
   * Another instance acquiring the same `id` fences this one: it stops with
   * a `FencedError`.
   *
   * A user's own `TransformStream` is a black box: the checkpoint does not
   * advance past records that entered it until it has drained.
   */
  checkpoint?: CheckpointOptions;
  /**
   * Where records go that keep failing in a processor's function or a
   * `batchSink()` write (after the stage's `retry` policy, if any), with the
   * error, the stage and the attempt count. The pipeline then goes on and
   * counts the record as done. Without it, such a record fails the pipeline
   * (state `"degraded"`) and the checkpoint never passes it.
   */
  deadLetter?: WritableStream<DeadLetter>;
  /** Aborting it aborts the pipeline, like `abort(signal.reason)`. */
  signal?: AbortSignal;
  /**
   * How many records travel together between stages (default 1024). Larger
   * batches cost fewer stream hops; smaller ones hold less in flight.
   */
  batchSize?: number;
  /**
   * How long an async source may take to fill a batch after its first
   * record, in milliseconds (default 0: whatever arrived before the next
   * macrotask). A slow source never holds records back longer than this.
   */
  lingerMs?: number;
}

/**
 * What a finished pipeline reports.
 *
 * @example Read the counts of a finished pipeline
 * ```ts
 * import { collect, filter, pipeline } from "@ca/streams";
 * import type { PipelineSummary } from "@ca/streams";
 *
 * const summary: PipelineSummary = await pipeline(
 *   [1, 2, 3, 4],
 *   filter((n: number) => n % 2 === 0),
 *   collect<number>(),
 * );
 * if (
 *   summary.recordsRead !== 4 || summary.recordsWritten !== 2 ||
 *   summary.ended !== "finished"
 * ) {
 *   throw new Error(`unexpected ${JSON.stringify(summary)}`);
 * }
 * ```
 */
export interface PipelineSummary {
  /** Records the source emitted into the pipeline. */
  recordsRead: number;
  /** Records the sink stored. */
  recordsWritten: number;
  /** Wall time from start to the end of the sink, in milliseconds. */
  durationMs: number;
  /**
   * How it ended: `"finished"` when the source ran dry (or a processor such
   * as `take()` ended the input), `"stopped"` when `stop()` cut it short.
   * A failure or an abort rejects instead.
   */
  ended: "finished" | "stopped";
  /** The last committed checkpoint position, when checkpointing. */
  position?: Position;
  /** How many checkpoints were committed, when checkpointing. */
  commits?: number;
  /** Records sent to the `deadLetter` sink. */
  recordsDeadLettered: number;
  /** Per origin, when the source is a `merge()`. */
  origins?: Record<string, OriginCounts>;
  /**
   * Per sink, when the sink is a `fanOut()` or a `route()`, keyed by branch
   * path. `recordsWritten` then counts the records done: stored by every
   * sink they went to (a record a route sends nowhere is done at once).
   */
  sinks?: Record<string, SinkCounts>;
}

/**
 * A running pipeline. Await it for the {@linkcode PipelineSummary}; it
 * rejects with a `StageError` if a stage failed, or with the abort reason.
 *
 * @example Stop a pipeline whose source never ends
 * ```ts
 * import { collect, pipeline } from "@ca/streams";
 * import type { RunningPipeline } from "@ca/streams";
 *
 * const endless = new ReadableStream<number>({
 *   start(controller) {
 *     controller.enqueue(1);
 *     controller.enqueue(2); // and never closes
 *   },
 * });
 * const sink = collect<number>();
 * const running: RunningPipeline = pipeline(endless, sink);
 * while (running.recordsWritten < 2) await new Promise((r) => setTimeout(r, 1));
 * const summary = await running.stop();
 * if (
 *   running.state !== "stopped" || summary.ended !== "stopped" ||
 *   summary.recordsWritten !== 2
 * ) {
 *   throw new Error(`unexpected ${running.state}`);
 * }
 * ```
 */
export interface RunningPipeline extends PromiseLike<PipelineSummary> {
  /** `"running"`, then `"stopped"` (ended, stopped or aborted) or `"degraded"` (failed). */
  readonly state: PipelineState;
  /** The `StageError` that failed the pipeline, when degraded. */
  readonly error: unknown;
  /** Records read from the source so far. */
  readonly recordsRead: number;
  /** Records stored by the sink so far. */
  readonly recordsWritten: number;
  /** The last committed checkpoint position, when checkpointing. */
  readonly position: Position | undefined;
  /** Live counts per origin, when the source is a `merge()`. */
  readonly origins: Record<string, OriginCounts> | undefined;
  /** Live counts per sink, when the sink is a `fanOut()` or a `route()`. */
  readonly sinks: Record<string, SinkCounts> | undefined;
  /** The connection health of the sources and sinks that report one. */
  readonly health: PipelineHealth;
  /**
   * Stops gracefully: stops reading the source, lets every record already
   * read reach the sink, closes the sink, and resolves with the summary.
   */
  stop(): Promise<PipelineSummary>;
  /**
   * Stops at once: aborts the sink and cancels the source. The awaited
   * pipeline rejects with `reason`; the returned promise resolves once
   * everything has been torn down, and never rejects.
   */
  abort(reason?: unknown): Promise<void>;
  /** Like `Promise.prototype.catch`. */
  catch<R = never>(
    onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null,
  ): Promise<PipelineSummary | R>;
  /** Like `Promise.prototype.finally`. */
  finally(onFinally?: (() => void) | null): Promise<PipelineSummary>;
}

// The overloads run from the most processors down: TypeScript types a
// lambda's parameters in the first overload it tries, so a shorter overload
// tried first would leave the last processor's input `unknown`. Arity rules
// the longer ones out before any lambda is typed.
/** `pipeline()` with 16 processors: see the overload without processors for the full documentation. */
export function pipeline<A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
  p5: TransformStream<E, F>,
  p6: TransformStream<F, G>,
  p7: TransformStream<G, H>,
  p8: TransformStream<H, I>,
  p9: TransformStream<I, J>,
  p10: TransformStream<J, K>,
  p11: TransformStream<K, L>,
  p12: TransformStream<L, M>,
  p13: TransformStream<M, N>,
  p14: TransformStream<N, O>,
  p15: TransformStream<O, P>,
  p16: TransformStream<P, Q>,
  sink: WritableStream<NoInfer<Q>>,
  options?: PipelineOptions,
): RunningPipeline;
/** `pipeline()` with 15 processors: see the overload without processors for the full documentation. */
export function pipeline<A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
  p5: TransformStream<E, F>,
  p6: TransformStream<F, G>,
  p7: TransformStream<G, H>,
  p8: TransformStream<H, I>,
  p9: TransformStream<I, J>,
  p10: TransformStream<J, K>,
  p11: TransformStream<K, L>,
  p12: TransformStream<L, M>,
  p13: TransformStream<M, N>,
  p14: TransformStream<N, O>,
  p15: TransformStream<O, P>,
  sink: WritableStream<NoInfer<P>>,
  options?: PipelineOptions,
): RunningPipeline;
/** `pipeline()` with 14 processors: see the overload without processors for the full documentation. */
export function pipeline<A, B, C, D, E, F, G, H, I, J, K, L, M, N, O>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
  p5: TransformStream<E, F>,
  p6: TransformStream<F, G>,
  p7: TransformStream<G, H>,
  p8: TransformStream<H, I>,
  p9: TransformStream<I, J>,
  p10: TransformStream<J, K>,
  p11: TransformStream<K, L>,
  p12: TransformStream<L, M>,
  p13: TransformStream<M, N>,
  p14: TransformStream<N, O>,
  sink: WritableStream<NoInfer<O>>,
  options?: PipelineOptions,
): RunningPipeline;
/** `pipeline()` with 13 processors: see the overload without processors for the full documentation. */
export function pipeline<A, B, C, D, E, F, G, H, I, J, K, L, M, N>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
  p5: TransformStream<E, F>,
  p6: TransformStream<F, G>,
  p7: TransformStream<G, H>,
  p8: TransformStream<H, I>,
  p9: TransformStream<I, J>,
  p10: TransformStream<J, K>,
  p11: TransformStream<K, L>,
  p12: TransformStream<L, M>,
  p13: TransformStream<M, N>,
  sink: WritableStream<NoInfer<N>>,
  options?: PipelineOptions,
): RunningPipeline;
/** `pipeline()` with 12 processors: see the overload without processors for the full documentation. */
export function pipeline<A, B, C, D, E, F, G, H, I, J, K, L, M>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
  p5: TransformStream<E, F>,
  p6: TransformStream<F, G>,
  p7: TransformStream<G, H>,
  p8: TransformStream<H, I>,
  p9: TransformStream<I, J>,
  p10: TransformStream<J, K>,
  p11: TransformStream<K, L>,
  p12: TransformStream<L, M>,
  sink: WritableStream<NoInfer<M>>,
  options?: PipelineOptions,
): RunningPipeline;
/** `pipeline()` with 11 processors: see the overload without processors for the full documentation. */
export function pipeline<A, B, C, D, E, F, G, H, I, J, K, L>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
  p5: TransformStream<E, F>,
  p6: TransformStream<F, G>,
  p7: TransformStream<G, H>,
  p8: TransformStream<H, I>,
  p9: TransformStream<I, J>,
  p10: TransformStream<J, K>,
  p11: TransformStream<K, L>,
  sink: WritableStream<NoInfer<L>>,
  options?: PipelineOptions,
): RunningPipeline;
/** `pipeline()` with 10 processors: see the overload without processors for the full documentation. */
export function pipeline<A, B, C, D, E, F, G, H, I, J, K>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
  p5: TransformStream<E, F>,
  p6: TransformStream<F, G>,
  p7: TransformStream<G, H>,
  p8: TransformStream<H, I>,
  p9: TransformStream<I, J>,
  p10: TransformStream<J, K>,
  sink: WritableStream<NoInfer<K>>,
  options?: PipelineOptions,
): RunningPipeline;
/** `pipeline()` with 9 processors: see the overload without processors for the full documentation. */
export function pipeline<A, B, C, D, E, F, G, H, I, J>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
  p5: TransformStream<E, F>,
  p6: TransformStream<F, G>,
  p7: TransformStream<G, H>,
  p8: TransformStream<H, I>,
  p9: TransformStream<I, J>,
  sink: WritableStream<NoInfer<J>>,
  options?: PipelineOptions,
): RunningPipeline;
/** `pipeline()` with 8 processors: see the overload without processors for the full documentation. */
export function pipeline<A, B, C, D, E, F, G, H, I>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
  p5: TransformStream<E, F>,
  p6: TransformStream<F, G>,
  p7: TransformStream<G, H>,
  p8: TransformStream<H, I>,
  sink: WritableStream<NoInfer<I>>,
  options?: PipelineOptions,
): RunningPipeline;
/** `pipeline()` with 7 processors: see the overload without processors for the full documentation. */
export function pipeline<A, B, C, D, E, F, G, H>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
  p5: TransformStream<E, F>,
  p6: TransformStream<F, G>,
  p7: TransformStream<G, H>,
  sink: WritableStream<NoInfer<H>>,
  options?: PipelineOptions,
): RunningPipeline;
/** `pipeline()` with 6 processors: see the overload without processors for the full documentation. */
export function pipeline<A, B, C, D, E, F, G>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
  p5: TransformStream<E, F>,
  p6: TransformStream<F, G>,
  sink: WritableStream<NoInfer<G>>,
  options?: PipelineOptions,
): RunningPipeline;
/** `pipeline()` with 5 processors: see the overload without processors for the full documentation. */
export function pipeline<A, B, C, D, E, F>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
  p5: TransformStream<E, F>,
  sink: WritableStream<NoInfer<F>>,
  options?: PipelineOptions,
): RunningPipeline;
/** `pipeline()` with 4 processors: see the overload without processors for the full documentation. */
export function pipeline<A, B, C, D, E>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
  sink: WritableStream<NoInfer<E>>,
  options?: PipelineOptions,
): RunningPipeline;
/** `pipeline()` with 3 processors: see the overload without processors for the full documentation. */
export function pipeline<A, B, C, D>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  sink: WritableStream<NoInfer<D>>,
  options?: PipelineOptions,
): RunningPipeline;
/** `pipeline()` with 2 processors: see the overload without processors for the full documentation. */
export function pipeline<A, B, C>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  sink: WritableStream<NoInfer<C>>,
  options?: PipelineOptions,
): RunningPipeline;
/** `pipeline()` with 1 processor: see the overload without processors for the full documentation. */
export function pipeline<A, B>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  sink: WritableStream<NoInfer<B>>,
  options?: PipelineOptions,
): RunningPipeline;
/**
 * Runs records from `source` through `processors` into `sink`, and returns
 * the running pipeline: await it for a summary, or `stop()` / `abort()` it.
 *
 * - The source is a `ReadableStream`, an `Iterable` (an array is sliced, not
 *   iterated) or an `AsyncIterable`. Processors are `TransformStream`s: the
 *   library's own (`map`, `filter`, ...) or any of yours. The sink is a
 *   `WritableStream` (one record per `write`) or a `batchSink()` (whole
 *   arrays). The last argument may be {@linkcode PipelineOptions}.
 * - Inside, records travel in batches and consecutive library processors
 *   are fused into one stream stage; your own `TransformStream` still sees
 *   one record per chunk.
 * - When the source ends, everything drains in order and the sink closes.
 *   When any stage or the sink fails, every other stage is aborted, the
 *   source is cancelled and the pipeline rejects with a `StageError`.
 * - A slow sink slows the source: at most about (stages + 3) batches are in
 *   flight.
 *
 * @typeParam A The source's record type.
 * @param source Where records come from.
 * @param sink Where records go.
 * @param options `signal`, `batchSize`, `lingerMs`.
 * @returns The running pipeline, awaitable for its summary.
 *
 * @example Parse, filter and collect
 * ```ts
 * import { collect, filter, map, pipeline } from "@ca/streams";
 *
 * const sink = collect<number>();
 * const summary = await pipeline(
 *   ["1", "2", "x", "4"],
 *   map((text: string) => Number(text)),
 *   filter((n: number) => !Number.isNaN(n)),
 *   sink,
 * );
 * if (sink.records.join() !== "1,2,4") throw new Error("unexpected output");
 * if (summary.recordsRead !== 4 || summary.recordsWritten !== 3) {
 *   throw new Error("unexpected summary");
 * }
 * ```
 *
 * @example Stop a never-ending source gracefully
 * ```ts
 * import { collect, pipeline } from "@ca/streams";
 *
 * async function* ticks() {
 *   for (let i = 0;; i++) {
 *     yield i;
 *     await new Promise((resolve) => setTimeout(resolve, 1));
 *   }
 * }
 * const sink = collect<number>();
 * const running = pipeline(ticks(), sink);
 * await new Promise((resolve) => setTimeout(resolve, 20));
 * const summary = await running.stop();
 * if (summary.recordsWritten !== sink.records.length) throw new Error("lost");
 * if (running.state !== "stopped") throw new Error("unexpected state");
 * ```
 */
export function pipeline<A>(
  source: PipelineSource<A>,
  sink: WritableStream<NoInfer<A>>,
  options?: PipelineOptions,
): RunningPipeline;
export function pipeline(...args: unknown[]): RunningPipeline {
  const { source, processors, sink, options } = parseArguments(args);
  return new PipelineRun(source, processors, sink, options);
}

const DEFAULT_BATCH_SIZE = 1024;
const ignore = () => {};

type Counts = () => Record<string, unknown>;
type HealthBy = () => Record<string, ConnectionHealth>;

interface ParsedArguments {
  source: PipelineSource<unknown>;
  processors: TransformStream<unknown, unknown>[];
  sink: WritableStream<unknown>;
  options: PipelineOptions;
}

function parseArguments(args: unknown[]): ParsedArguments {
  const last = args.at(-1);
  const options = isPlainObject(last) ? last as PipelineOptions : {};
  const stages = isPlainObject(last) ? args.slice(0, -1) : args;
  if (stages.length < 2) {
    throw new TypeError(
      `Cannot build pipeline: expected a source and a sink, got ${stages.length} argument${
        stages.length === 1 ? "" : "s"
      }`,
    );
  }
  const [source, ...rest] = stages;
  const sink = rest.pop();
  if (!isSource(source)) {
    throw new TypeError(
      `Cannot build pipeline: the source (argument 1) must be a ReadableStream, an Iterable or an AsyncIterable, got ${
        describe(source)
      }`,
    );
  }
  if ((source as ReadableStream).locked) {
    throw new TypeError(
      "Cannot build pipeline: the source (argument 1) is a locked ReadableStream",
    );
  }
  rest.forEach((processor, i) => {
    if (!isTransformStream(processor)) {
      throw new TypeError(
        `Cannot build pipeline: processor ${i} (argument ${
          i + 2
        }) must be a TransformStream, got ${describe(processor)}`,
      );
    }
    if (
      specOf(processor) === undefined &&
      (processor.readable.locked || processor.writable.locked)
    ) {
      throw new TypeError(
        `Cannot build pipeline: processor ${i} (argument ${
          i + 2
        }) is locked, it is already used elsewhere`,
      );
    }
  });
  if (!(sink instanceof WritableStream)) {
    throw new TypeError(
      `Cannot build pipeline: the sink (argument ${stages.length}) must be a WritableStream, got ${
        describe(sink)
      }`,
    );
  }
  if (sink.locked) {
    throw new TypeError(
      `Cannot build pipeline: the sink (argument ${stages.length}) is locked, it is already used elsewhere`,
    );
  }
  checkOptions(options, source, rest);
  return {
    source,
    processors: rest as TransformStream<unknown, unknown>[],
    sink,
    options,
  };
}

function checkOptions(
  options: PipelineOptions,
  source: PipelineSource<unknown>,
  processors: readonly unknown[],
): void {
  const { batchSize, lingerMs, signal, id, checkpoint, deadLetter } = options;
  if (deadLetter !== undefined) {
    if (!(deadLetter instanceof WritableStream)) {
      throw new TypeError(
        `Cannot build pipeline: options.deadLetter must be a WritableStream, got ${
          describe(deadLetter)
        }`,
      );
    }
    if (deadLetter.locked) {
      throw new TypeError(
        "Cannot build pipeline: options.deadLetter is locked, it is already used elsewhere",
      );
    }
  }
  if (id !== undefined && (typeof id !== "string" || id === "")) {
    throw new TypeError(
      `Cannot build pipeline: options.id must be a non-empty string, got ${
        describe(id)
      }`,
    );
  }
  if (checkpoint !== undefined) {
    checkCheckpoint(checkpoint, id, source, processors);
  }
  positive("batchSize", batchSize, true);
  positive("lingerMs", lingerMs, false, true);
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(
      `Cannot build pipeline: options.signal must be an AbortSignal, got ${
        describe(signal)
      }`,
    );
  }
}

/**
 * Throws a RangeError naming `options.<field>` unless `value` is undefined
 * or a number above zero (at or above it, with `orZero`).
 */
function positive(
  field: string,
  value: unknown,
  integer?: boolean,
  orZero?: boolean,
): void {
  if (
    value !== undefined &&
    !((integer ? Number.isInteger(value) : Number.isFinite(value)) &&
      (orZero ? (value as number) >= 0 : (value as number) > 0))
  ) {
    throw new RangeError(
      `Cannot build pipeline: options.${field} must be a ${
        orZero ? "non-negative" : "positive"
      } ${integer ? "integer" : "number"}, got ${value}`,
    );
  }
}

function checkCheckpoint(
  checkpoint: CheckpointOptions,
  id: string | undefined,
  source: PipelineSource<unknown>,
  processors: readonly unknown[],
): void {
  const fail = (field: string, expected: string, got: unknown): never => {
    throw new TypeError(
      `Cannot build pipeline: options.checkpoint${field} must be ${expected}, got ${
        describe(got)
      }`,
    );
  };
  if (checkpoint === null || typeof checkpoint !== "object") {
    fail("", "an object", checkpoint);
  }
  if (id === undefined) {
    throw new TypeError(
      "Cannot build pipeline: options.id is required with options.checkpoint, it names the checkpoint",
    );
  }
  const store = checkpoint.store as unknown as Record<string, unknown>;
  if (store === null || typeof store !== "object") {
    fail(".store", "a checkpoint store", store);
  }
  for (const method of ["get", "acquire", "commit", "delete"]) {
    if (typeof store[method] !== "function") {
      fail(`.store.${method}`, "a function", store[method]);
    }
  }
  const { everyRecords, everyMs, reset, maxUncommittedRecords: max } =
    checkpoint;
  positive("checkpoint.everyRecords", everyRecords, true);
  positive("checkpoint.everyMs", everyMs);
  if (max !== undefined) {
    if (typeof max !== "number") {
      fail(".maxUncommittedRecords", "a number", max);
    }
    positive("checkpoint.maxUncommittedRecords", max, true);
    processors.forEach((processor, i) => {
      if (
        specOf(processor as TransformStream) === undefined &&
        !isOneToOne(processor)
      ) {
        throw new TypeError(
          `Cannot build pipeline: options.checkpoint.maxUncommittedRecords needs processors that pass each record on: processor ${i} (argument ${
            i + 2
          }) is your own TransformStream (declare it with oneToOne() if it emits one record per record)`,
        );
      }
    });
  }
  if (
    reset !== undefined && reset !== "start" &&
    (reset === null || typeof reset !== "object" || !("position" in reset))
  ) {
    fail(".reset", '"start" or { position }', reset);
  }
  const graph = (source as { [GRAPH]?: GraphSource })[GRAPH];
  const cannotResume = graph
    ? graph.resumeError
    : !(RESUMABLE_SOURCE in (source as object)) &&
      "Cannot build pipeline: options.checkpoint needs a resumable source (made with resumableSource(), such as fileSource()): the source (argument 1) cannot resume";
  if (cannotResume) throw new TypeError(cannotResume);
}

class PipelineRun implements RunningPipeline {
  #state: PipelineState = "running";
  #error: unknown;
  #abortReason: unknown;
  #aborted = false;
  #settled = false;
  #source: SourceHandle<unknown>;
  #sink: SinkHandle<unknown>;
  /** The counts a merge keeps per origin and a fan-out per sink. */
  #counts: [Counts | undefined, Counts | undefined];
  #health: [HealthBy | undefined, HealthBy | undefined];
  #abort = new AbortController();
  #result: Promise<PipelineSummary>;
  #started = performance.now();
  #checkpointer: Checkpointer | undefined;
  #deadLetter: WritableStreamDefaultWriter<DeadLetter> | undefined;
  #deadLettered = 0;
  /** A checkpoint failure (fenced, store down): it stops the pipeline. */
  #failure: unknown;
  #durationMs = 0;
  /** The source ended of itself (ran dry, or a processor ended the input). */
  #sourceEnded = false;
  /** stop() came while the source was still reading. */
  #stopped = false;

  constructor(
    source: PipelineSource<unknown>,
    processors: TransformStream<unknown, unknown>[],
    sink: WritableStream<unknown>,
    options: PipelineOptions,
  ) {
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    const lingerMs = options.lingerMs ?? 0;
    const resumable = (source as Partial<ResumableSource<unknown>>)[
      RESUMABLE_SOURCE
    ];
    const graph = (source as { [GRAPH]?: GraphSource })[GRAPH];
    // A source with an ack hook is told what is done even without a
    // checkpoint store (a channel reader acknowledges to its writer).
    const owner = graph ?? resumable;
    const checkpointer = options.checkpoint || owner?.ack
      ? this.#startCheckpointer(options.checkpoint, options.id ?? "", owner)
      : undefined;
    this.#checkpointer = checkpointer;
    const divertFor = options.deadLetter &&
      this.#openDeadLetter(options.deadLetter, owner);
    // A merge runs its origins itself and maps what is stored back to them.
    let opened: OpenedSource | undefined;
    const assembled = assemble(
      graph
        ? {
          open: (head) =>
            opened = graph.open(
              checkpointer,
              divertFor,
              batchSize,
              lingerMs,
              head,
            ),
        }
        : { source, resumption: checkpointer },
      processors,
      batchSize,
      lingerMs,
      divertFor,
    );
    this.#source = assembled.source!;
    const stored = opened?.stored ??
      (checkpointer &&
        ((from: number, to: number) => checkpointer.stored(from, to)));
    this.#source.ended.then(() => this.#sourceEnded = true);
    const stream = assembled.stream;
    const sinkIndex = processors.length;
    const sinkName = nameOf(sink, WritableStream);
    this.#sink = sinkStream(
      sink,
      sinkIndex,
      sinkName,
      stored,
      divertFor?.(sinkIndex, sinkName),
      this.#abort.signal,
      checkpointer,
    );
    const node = (sink as { [GRAPH]?: GraphSink })[GRAPH];
    node?.attach(divertFor, sinkIndex);
    this.#counts = [graph?.counts, node?.counts];
    const underlying = (sink as Partial<BatchSink<unknown>>)[BATCH_SINK];
    this.#health = [
      graph?.health ?? (resumable?.health &&
        (() => ({ source: resumable.health!() }))),
      node?.health ?? (underlying?.health &&
        (() => ({ sink: underlying.health!() }))),
    ];

    const signal = options.signal;
    const onAbort = () => void this.abort(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const piped = stream.pipeTo(this.#sink.writable, {
      signal: this.#abort.signal,
    });
    this.#result = piped.then(() => {
      // A failed deferred acknowledgement fails the run on every runtime.
      if (this.#sink.failure) throw this.#sink.failure.error;
    }).then(
      () => this.#finish(undefined),
      (error) => this.#finish(toStageError(error, sinkIndex, sinkName), true),
    ).finally(() => signal?.removeEventListener("abort", onAbort));
    // Nobody may await a pipeline that is stopped or aborted: never unhandled.
    this.#result.catch(ignore);
    if (signal?.aborted) onAbort();
  }

  #startCheckpointer(
    options: CheckpointOptions | undefined,
    id: string,
    owner: { ack?: (position: Position) => void | Promise<void> } | undefined,
  ): Checkpointer {
    return new Checkpointer({
      ...options,
      id,
      ack: owner?.ack && ((position) => owner.ack!(position)),
      onFailure: (error) => {
        this.#failure ??= error;
        this.#abort.abort(error);
      },
    });
  }

  #openDeadLetter(
    sink: WritableStream<DeadLetter>,
    owner: { deadLettered?(record: unknown): void } | undefined,
  ): DivertFor {
    const writer = sink.getWriter();
    this.#deadLetter = writer;
    return (stageIndex, stageName, branch) => (record, error, attempts) => {
      this.#deadLettered++;
      // Before the record's position is acknowledged: a broker source
      // rejects the message it emitted as this record, if it was.
      owner?.deadLettered?.(record);
      const letter: DeadLetter = {
        record,
        error,
        stageIndex,
        stageName,
        attempts,
      };
      if (branch !== undefined) letter.branch = branch;
      return writer.write(letter);
    };
  }

  async #finish(
    error: unknown,
    failed = false,
  ): Promise<PipelineSummary> {
    this.#settled = true;
    this.#source.stop(error);
    await this.#source.ended;
    if (this.#deadLetter) {
      const ending = failed || this.#aborted
        ? this.#deadLetter.abort(error)
        : this.#deadLetter.close();
      await ending.catch(() => {});
    }
    if (this.#checkpointer && this.#failure === undefined) {
      // Everything the sink stored is done, whatever ended the run.
      try {
        await this.#checkpointer.flush();
      } catch (commitError) {
        this.#failure = commitError;
      }
    }
    this.#checkpointer?.close();
    this.#durationMs = performance.now() - this.#started;
    if (this.#failure !== undefined) {
      this.#state = "degraded";
      this.#error = this.#failure;
      throw this.#failure;
    }
    if (this.#aborted) {
      this.#state = "stopped";
      throw this.#abortReason;
    }
    if (failed) {
      this.#state = "degraded";
      this.#error = error;
      throw error;
    }
    this.#state = "stopped";
    return this.#summary();
  }

  #summary(): PipelineSummary {
    const summary: PipelineSummary = {
      recordsRead: this.#source.count,
      recordsWritten: this.#sink.count,
      durationMs: this.#durationMs,
      ended: this.#stopped ? "stopped" : "finished",
      recordsDeadLettered: this.#deadLettered,
    };
    if (this.#checkpointer) {
      summary.position = this.#checkpointer.committed;
      summary.commits = this.#checkpointer.commits;
    }
    const [origins, sinks] = this.#counts;
    if (origins) summary.origins = origins() as Record<string, OriginCounts>;
    if (sinks) summary.sinks = sinks() as Record<string, SinkCounts>;
    return summary;
  }

  get state(): PipelineState {
    return this.#state;
  }
  get error(): unknown {
    return this.#error;
  }
  get recordsRead(): number {
    return this.#source.count;
  }
  get recordsWritten(): number {
    return this.#sink.count;
  }
  get position(): Position | undefined {
    return this.#checkpointer?.committed;
  }
  get origins(): Record<string, OriginCounts> | undefined {
    return this.#counts[0]?.() as Record<string, OriginCounts> | undefined;
  }
  get health(): PipelineHealth {
    const [sources, sinks] = this.#health;
    return { sources: sources?.() ?? {}, sinks: sinks?.() ?? {} };
  }
  get sinks(): Record<string, SinkCounts> | undefined {
    return this.#counts[1]?.() as Record<string, SinkCounts> | undefined;
  }

  stop(): Promise<PipelineSummary> {
    if (!this.#settled && !this.#sourceEnded) this.#stopped = true;
    this.#source.stop();
    return this.#result;
  }

  abort(reason?: unknown): Promise<void> {
    if (!this.#settled && !this.#aborted) {
      this.#aborted = true;
      this.#abortReason = reason ??
        new DOMException("The pipeline was aborted", "AbortError");
      this.#abort.abort(this.#abortReason);
    }
    return this.#result.then(ignore, ignore);
  }

  then<R1 = PipelineSummary, R2 = never>(
    onFulfilled?:
      | ((summary: PipelineSummary) => R1 | PromiseLike<R1>)
      | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#result.then(onFulfilled, onRejected);
  }

  catch<R = never>(
    onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null,
  ): Promise<PipelineSummary | R> {
    return this.#result.catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<PipelineSummary> {
    return this.#result.finally(onFinally);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isSource(value: unknown): value is PipelineSource<unknown> {
  if (value === null || typeof value !== "object") return false;
  return value instanceof ReadableStream ||
    typeof (value as Iterable<unknown>)[Symbol.iterator] === "function" ||
    typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] ===
      "function";
}

function isTransformStream(
  value: unknown,
): value is TransformStream<unknown, unknown> {
  return value !== null && typeof value === "object" &&
    (value as TransformStream).readable instanceof ReadableStream &&
    (value as TransformStream).writable instanceof WritableStream;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  return Object.getPrototypeOf(value)?.constructor?.name ?? "object";
}
