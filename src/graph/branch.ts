// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { BRANCH_PARTS } from "../pipeline/graph_node.ts";
import type { BranchParts } from "../pipeline/graph_node.ts";
import type { PipelineSource } from "../pipeline/source_stream.ts";
import { describeValue } from "../util/describe_value.ts";
import { readableOf } from "./readable_of.ts";

/**
 * A source with processors of its own, made by {@linkcode branch}: an
 * origin of a `merge()`, or a `pipeline()` source.
 *
 * @example Iterated alone, a source branch yields the processed records
 * ```ts
 * import { branch, map } from "@ca/streams";
 * import type { BranchSource } from "@ca/streams";
 *
 * const doubled: BranchSource<number> = branch([1, 2], map((n: number) => n * 2));
 * const all = await Array.fromAsync(doubled);
 * if (all.join() !== "2,4") throw new Error(`unexpected ${all}`);
 * ```
 */
export interface BranchSource<T> extends AsyncIterable<T> {
  /** How many processors the branch attaches. */
  readonly processors: number;
}

/**
 * A sink with processors of its own, made by {@linkcode branch}: a sink of
 * a `fanOut()` or a `route()`, or a `pipeline()` sink.
 *
 * @example Used alone, a sink branch processes what it is given
 * ```ts
 * import { branch, collect, map } from "@ca/streams";
 * import type { BranchSink } from "@ca/streams";
 *
 * const sink = collect<string>();
 * const labelled: BranchSink<number> = branch(map((n: number) => `#${n}`), sink);
 * await ReadableStream.from([1, 2]).pipeTo(labelled);
 * if (sink.records.join() !== "#1,#2") throw new Error(`unexpected ${sink.records}`);
 * ```
 */
export interface BranchSink<T> extends WritableStream<T> {
  /** How many processors the branch attaches. */
  readonly processors: number;
}

/** `branch()` of a source and 8 processors: see the 1-processor overload. */
export function branch<A, B, C, D, E, F, G, H, I>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
  p5: TransformStream<E, F>,
  p6: TransformStream<F, G>,
  p7: TransformStream<G, H>,
  p8: TransformStream<H, I>,
): BranchSource<I>;
/** `branch()` of a source and 7 processors: see the 1-processor overload. */
export function branch<A, B, C, D, E, F, G, H>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
  p5: TransformStream<E, F>,
  p6: TransformStream<F, G>,
  p7: TransformStream<G, H>,
): BranchSource<H>;
/** `branch()` of a source and 6 processors: see the 1-processor overload. */
export function branch<A, B, C, D, E, F, G>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
  p5: TransformStream<E, F>,
  p6: TransformStream<F, G>,
): BranchSource<G>;
/** `branch()` of a source and 5 processors: see the 1-processor overload. */
export function branch<A, B, C, D, E, F>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
  p5: TransformStream<E, F>,
): BranchSource<F>;
/** `branch()` of a source and 4 processors: see the 1-processor overload. */
export function branch<A, B, C, D, E>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
): BranchSource<E>;
/** `branch()` of a source and 3 processors: see the 1-processor overload. */
export function branch<A, B, C, D>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
): BranchSource<D>;
/** `branch()` of a source and 2 processors: see the 1-processor overload. */
export function branch<A, B, C>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
): BranchSource<C>;
/**
 * Attaches processors to one branch of a graph, as Conduit attaches
 * processors to one connector: `branch(source, ...processors)` is an
 * origin of a `merge()` whose records those processors see before the
 * merge; `branch(...processors, sink)` is a sink of a `fanOut()` or a
 * `route()` whose records those processors see after the split. Inside
 * `pipeline()` the processors run batched and fused like the main line's,
 * and records they drop or hold count exactly for checkpoints.
 *
 * Used alone, a source branch is an `AsyncIterable` of the processed
 * records and a sink branch a `WritableStream` that pipes through its
 * processors into the sink.
 *
 * @typeParam A The source's record type.
 * @typeParam B The record type after the processor.
 * @param source The source.
 * @param p1 A processor.
 * @returns A source for `merge()` or `pipeline()`.
 *
 * @example A processor on one origin and one on one sink
 * ```ts
 * import { branch, collect, fanOut, filter, map, merge, pipeline } from "@ca/streams";
 *
 * interface Event { kind: string; amount: number }
 * const orders: Event[] = [{ kind: "order", amount: 5 }];
 * const refunds = [{ refund: 2 }];
 * const all = collect<Event>();
 * const large = collect<Event>();
 * await pipeline(
 *   merge({
 *     orders,
 *     refunds: branch(refunds, map((r: { refund: number }): Event => ({ kind: "refund", amount: -r.refund }))),
 *   }),
 *   fanOut({ all, large: branch(filter((e: Event) => Math.abs(e.amount) > 3), large) }),
 * );
 * if (all.records.length !== 2 || large.records.length !== 1) throw new Error("unexpected");
 * ```
 */
export function branch<A, B>(
  source: PipelineSource<A>,
  p1: TransformStream<A, B>,
): BranchSource<B>;
/** `branch()` of 8 processors and a sink: see the 1-processor overload. */
export function branch<A, B, C, D, E, F, G, H, I>(
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
  p5: TransformStream<E, F>,
  p6: TransformStream<F, G>,
  p7: TransformStream<G, H>,
  p8: TransformStream<H, I>,
  sink: WritableStream<NoInfer<I>>,
): BranchSink<A>;
/** `branch()` of 7 processors and a sink: see the 1-processor overload. */
export function branch<A, B, C, D, E, F, G, H>(
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
  p5: TransformStream<E, F>,
  p6: TransformStream<F, G>,
  p7: TransformStream<G, H>,
  sink: WritableStream<NoInfer<H>>,
): BranchSink<A>;
/** `branch()` of 6 processors and a sink: see the 1-processor overload. */
export function branch<A, B, C, D, E, F, G>(
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
  p5: TransformStream<E, F>,
  p6: TransformStream<F, G>,
  sink: WritableStream<NoInfer<G>>,
): BranchSink<A>;
/** `branch()` of 5 processors and a sink: see the 1-processor overload. */
export function branch<A, B, C, D, E, F>(
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
  p5: TransformStream<E, F>,
  sink: WritableStream<NoInfer<F>>,
): BranchSink<A>;
/** `branch()` of 4 processors and a sink: see the 1-processor overload. */
export function branch<A, B, C, D, E>(
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  p4: TransformStream<D, E>,
  sink: WritableStream<NoInfer<E>>,
): BranchSink<A>;
/** `branch()` of 3 processors and a sink: see the 1-processor overload. */
export function branch<A, B, C, D>(
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  p3: TransformStream<C, D>,
  sink: WritableStream<NoInfer<D>>,
): BranchSink<A>;
/** `branch()` of 2 processors and a sink: see the 1-processor overload. */
export function branch<A, B, C>(
  p1: TransformStream<A, B>,
  p2: TransformStream<B, C>,
  sink: WritableStream<NoInfer<C>>,
): BranchSink<A>;
/**
 * `branch()` of a processor and a sink: see the overload of a source and a
 * processor for the full documentation.
 *
 * @typeParam A The record type the branch takes.
 * @typeParam B The record type the sink takes.
 * @param p1 A processor.
 * @param sink The sink.
 * @returns A sink for `fanOut()`, `route()` or `pipeline()`.
 *
 * @example Upper-case what one sink gets
 * ```ts
 * import { branch, collect, fanOut, map, pipeline } from "@ca/streams";
 *
 * const plain = collect<string>();
 * const loud = collect<string>();
 * await pipeline(["a"], fanOut({ plain, loud: branch(map((s: string) => s.toUpperCase()), loud) }));
 * if (loud.records[0] !== "A" || plain.records[0] !== "a") throw new Error("unexpected");
 * ```
 */
export function branch<A, B>(
  p1: TransformStream<A, B>,
  sink: WritableStream<NoInfer<B>>,
): BranchSink<A>;
export function branch(
  ...parts: unknown[]
): BranchSource<unknown> | BranchSink<unknown> {
  if (parts.length < 2) {
    throw new TypeError(
      `Cannot create branch(): expected a source and processors, or processors and a sink, got ${parts.length} argument${
        parts.length === 1 ? "" : "s"
      }`,
    );
  }
  const first = parts[0];
  const last = parts.at(-1);
  const isSink = last instanceof WritableStream;
  const processors =
    (isSink ? parts.slice(0, -1) : parts.slice(1)) as TransformStream<
      unknown,
      unknown
    >[];
  processors.forEach((processor, i) => {
    if (
      processor === null || typeof processor !== "object" ||
      !((processor as TransformStream).readable instanceof ReadableStream)
    ) {
      throw new TypeError(
        `Cannot create branch(): argument ${
          isSink ? i + 1 : i + 2
        } must be a TransformStream, got ${describeValue(processor)}`,
      );
    }
  });
  if (isSink) {
    const sink = last as WritableStream<unknown>;
    const stream = new WritableStream(lazyPipe(processors, sink));
    Object.defineProperty(stream, BRANCH_PARTS, {
      value: { processors, sink } satisfies BranchParts,
    });
    Object.defineProperty(stream, "processors", {
      value: processors.length,
      enumerable: true,
    });
    return stream as BranchSink<unknown>;
  }
  if (
    first === null || typeof first !== "object" ||
    !(first instanceof ReadableStream ||
      Symbol.iterator in first || Symbol.asyncIterator in first)
  ) {
    throw new TypeError(
      `Cannot create branch(): the first argument must be a source (a ReadableStream, an Iterable or an AsyncIterable) or the last a sink (a WritableStream), got ${
        describeValue(first)
      } and ${describeValue(last)}`,
    );
  }
  const source = first as PipelineSource<unknown>;
  const made: BranchSource<unknown> & { [BRANCH_PARTS]: BranchParts } = {
    [BRANCH_PARTS]: { source, processors },
    processors: processors.length,
    [Symbol.asyncIterator]() {
      const piped = processors.reduce<ReadableStream<unknown>>(
        (stream, p) => stream.pipeThrough(p),
        readableOf(source),
      );
      return iterate(piped.getReader());
    },
  };
  return made;
}

async function* iterate<T>(
  reader: ReadableStreamDefaultReader<T>,
): AsyncGenerator<T> {
  try {
    while (true) {
      const step = await reader.read();
      if (step.done) return;
      yield step.value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/**
 * The underlying sink of a sink branch used alone: the pipe through the
 * processors into the sink starts with the first write, so that
 * `pipeline()` can still take the parts apart before.
 */
function lazyPipe(
  processors: TransformStream<unknown, unknown>[],
  sink: WritableStream<unknown>,
): UnderlyingSink<unknown> {
  let writer: WritableStreamDefaultWriter<unknown> | undefined;
  let piped: Promise<void> | undefined;
  const open = () => {
    if (writer) return writer;
    const [head, ...rest] = processors as [
      TransformStream<unknown, unknown>,
      ...TransformStream<unknown, unknown>[],
    ];
    piped = rest.reduce(
      (stream, p) => stream.pipeThrough(p),
      head.readable,
    ).pipeTo(sink);
    piped.catch(() => {});
    return writer = head.writable.getWriter();
  };
  return {
    write: (record) => open().write(record),
    async close() {
      await open().close();
      await piped;
    },
    async abort(reason) {
      await open().abort(reason).catch(() => {});
      await piped?.catch(() => {});
    },
  };
}
