// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { BRANCH_PARTS, GRAPH } from "../pipeline/graph_node.ts";
import type { BranchParts, GraphSource } from "../pipeline/graph_node.ts";
import type { ConnectionHealth } from "../health/connection_health.ts";
import type { PipelineSource } from "../pipeline/source_stream.ts";
import { RESUMABLE_SOURCE } from "../sources/resumable_source.ts";
import type { ResumableSource } from "../sources/resumable_source.ts";
import { describeValue } from "../util/describe_value.ts";
import { openMerge } from "./open_merge.ts";
import type { OpenedMerge, Origin } from "./open_merge.ts";
import { readableOf } from "./readable_of.ts";

/**
 * Options for {@linkcode merge}.
 *
 * @example Tag each record with the name of its origin
 * ```ts
 * import { collect, merge, pipeline } from "@ca/streams";
 * import type { MergeOptions } from "@ca/streams";
 *
 * const options: MergeOptions<"from"> = { originField: "from" };
 * const sink = collect<{ id: number; from: string }>();
 * await pipeline(merge({ a: [{ id: 1 }], b: [{ id: 2 }] }, options), sink);
 * const origins = sink.records.map((r) => r.from).sort();
 * if (origins.join() !== "a,b") throw new Error(`unexpected ${origins}`);
 * ```
 */
export interface MergeOptions<F extends string = never> {
  /**
   * Copies each record (a plain object) with this field set to the name of
   * its origin. Without it records are not touched: the origin travels
   * with the batches, for the checkpoint and the counts.
   */
  originField?: F;
}

/**
 * A source made by {@linkcode merge}: `pipeline()` runs it as a graph,
 * and iterated alone it yields the records of every origin, in turn.
 *
 * @example Iterate a merge alone
 * ```ts
 * import { merge } from "@ca/streams";
 * import type { MergedSource } from "@ca/streams";
 *
 * const both: MergedSource<number> = merge({ a: [1, 2], b: [3] });
 * const all = (await Array.fromAsync(both)).sort();
 * if (all.join() !== "1,2,3") throw new Error(`unexpected ${all}`);
 * ```
 */
export interface MergedSource<T> extends AsyncIterable<T> {
  /** How `pipeline()` runs it. */
  /** The origins' names, in the order given. */
  readonly origins: readonly string[];
}

/**
 * The record type of a source given to {@linkcode merge}: what a
 * `ReadableStream`, an `Iterable` or an `AsyncIterable` yields.
 *
 * @example The record type of an array and of a stream
 * ```ts
 * import type { RecordOf } from "@ca/streams";
 *
 * const n: RecordOf<number[]> = 1;
 * const s: RecordOf<ReadableStream<string>> = "a";
 * if (n !== 1 || s !== "a") throw new Error("unexpected");
 * ```
 */
export type RecordOf<S> = S extends ReadableStream<infer T> ? T
  : S extends Iterable<infer T> ? T
  : S extends AsyncIterable<infer T> ? T
  : never;

/**
 * One source from several named ones. Inside `pipeline()` every origin is
 * read concurrently and its batches are taken in turn as they are ready,
 * so no origin starves another while both have data. Records are not
 * wrapped: each keeps its own shape (`options.originField` tags them).
 *
 * With a checkpoint, every origin must be resumable (made with
 * `resumableSource()`, such as `fileSource()`). The position is then one
 * per origin, `{ orders: …, refunds: … }`; each origin's position advances
 * over its own contiguous done records, even while another origin's record
 * is still in flight, and a restart resumes each origin after its own
 * position. Names are required so that reordering the origins never breaks
 * a resume. An origin's `ack` hears its own positions. `summary.origins`
 * counts per origin.
 *
 * An origin may be a `branch(source, ...processors)`: those processors see
 * only that origin's records.
 *
 * @typeParam S The origins by name.
 * @typeParam F The tag field's name, when `originField` is set.
 * @param sources The origins by name.
 * @param options `originField`.
 * @returns A source for `pipeline()`, also iterable alone.
 *
 * @example Merge two resumable sources and resume each after its position
 * ```ts
 * import { collect, memoryStore, merge, pipeline, resumableSource } from "@ca/streams";
 *
 * const letters = (list: string[]) =>
 *   resumableSource<string>({
 *     async *open(after) {
 *       for (let i = after === undefined ? 0 : Number(after) + 1; i < list.length; i++) {
 *         yield { records: [list[i]!], position: i };
 *       }
 *     },
 *   });
 * const store = memoryStore();
 * const options = { id: "letters", checkpoint: { store } };
 * const summary = await pipeline(
 *   merge({ lower: letters(["a", "b"]), upper: letters(["A"]) }),
 *   collect<string>(),
 *   options,
 * );
 * if (JSON.stringify(summary.position) !== '{"lower":1,"upper":0}') {
 *   throw new Error(`unexpected ${JSON.stringify(summary.position)}`);
 * }
 * const again = collect<string>();
 * await pipeline(merge({ upper: letters(["A", "B"]), lower: letters(["a", "b"]) }), again, options);
 * if (again.records.join() !== "B") throw new Error(`unexpected ${again.records}`);
 * ```
 */
export function merge<
  S extends Record<string, PipelineSource<unknown>>,
  F extends string = never,
>(
  sources: S,
  options?: MergeOptions<F>,
): MergedSource<
  [F] extends [never] ? RecordOf<S[keyof S]>
    : RecordOf<S[keyof S]> & Record<F, string>
> {
  const fail = (field: string, expected: string, got: unknown): never => {
    throw new TypeError(
      `Cannot create merge(): ${field} must be ${expected}, got ${
        describeValue(got)
      }`,
    );
  };
  if (
    sources === null || typeof sources !== "object" || Array.isArray(sources)
  ) {
    fail("sources", "an object of named sources", sources);
  }
  if (
    options !== undefined && (options === null || typeof options !== "object")
  ) {
    fail("options", "an object", options);
  }
  const originField = options?.originField;
  if (
    originField !== undefined &&
    (typeof originField !== "string" || originField === "")
  ) {
    fail("options.originField", "a non-empty string", originField);
  }
  const origins: Origin[] = [];
  for (const [name, given] of Object.entries(sources)) {
    if (name === "") fail("an origin's name", "a non-empty string", name);
    const parts = (given as { [BRANCH_PARTS]?: BranchParts })?.[BRANCH_PARTS];
    const source = parts?.source ?? given;
    if (
      source === null || typeof source !== "object" ||
      !(source instanceof ReadableStream || Symbol.iterator in source ||
        Symbol.asyncIterator in source)
    ) {
      fail(
        `sources.${name}`,
        "a source (a ReadableStream, an Iterable or an AsyncIterable)",
        given,
      );
    }
    if (origins.some((o) => o.source === source)) {
      throw new TypeError(
        `Cannot create merge(): sources.${name} is the same source as another origin; a source is read once`,
      );
    }
    if (GRAPH in source) {
      throw new TypeError(
        `Cannot create merge(): origin "${name}" is itself a merge(); list its origins in this one`,
      );
    }
    origins.push({ name, source, processors: parts?.processors ?? [] });
  }
  if (origins.length === 0) {
    fail("sources", "an object with at least one named source", sources);
  }
  const notResumable = origins.find((o) => !(RESUMABLE_SOURCE in o.source));
  let opened: OpenedMerge | undefined;
  const node: GraphSource = {
    open: (...args) => opened = openMerge(origins, originField, ...args),
    health() {
      const health: Record<string, ConnectionHealth> = {};
      for (const { name, source } of origins) {
        const state = (source as Partial<ResumableSource<unknown>>)[
          RESUMABLE_SOURCE
        ]?.health?.();
        if (state) health[name] = state;
      }
      return health;
    },
    // Each origin that can reject a message checks whether it emitted it.
    deadLettered(record) {
      for (const { source } of origins) {
        (source as Partial<ResumableSource<unknown>>)[RESUMABLE_SOURCE]
          ?.deadLettered?.(record);
      }
    },
    counts: () => opened?.origins() ?? {},
    resumeError: notResumable &&
      `Cannot build pipeline: options.checkpoint needs resumable sources (made with resumableSource(), such as fileSource()), and merge() origin "${notResumable.name}" cannot resume`,
    // Each origin hears its own positions, in order, as they are done.
    // this hook only asks the pipeline to track them without a store.
    ack:
      origins.some((o) =>
          (o.source as { [RESUMABLE_SOURCE]?: { ack?: unknown } })[
            RESUMABLE_SOURCE
          ]?.ack !== undefined
        )
        ? () => opened!.ack()
        : undefined,
  };
  return {
    [GRAPH]: node,
    origins: Object.freeze(origins.map((o) => o.name)),
    [Symbol.asyncIterator]: () => interleave(origins, originField),
  } as never;
}

/** Used alone: the origins' records, taken in turn as they are ready. */
async function* interleave(
  origins: Origin[],
  originField: string | undefined,
): AsyncGenerator<unknown> {
  const readers = origins.map((origin) => {
    const stream = origin.processors.reduce<ReadableStream<unknown>>(
      (stream, p) => stream.pipeThrough(p),
      readableOf(origin.source),
    );
    return { name: origin.name, reader: stream.getReader() };
  });
  const reads = new Map<
    (typeof readers)[number],
    Promise<
      { r: (typeof readers)[number]; step: ReadableStreamReadResult<unknown> }
    >
  >();
  let live = readers;
  let turn = 0;
  try {
    while (live.length > 0) {
      const order = live.map((_, k) => live[(turn + k) % live.length]!);
      for (const r of order) {
        if (!reads.has(r)) {
          reads.set(r, r.reader.read().then((step) => ({ r, step })));
        }
      }
      const { r, step } = await Promise.race(order.map((r) => reads.get(r)!));
      reads.delete(r);
      turn = (live.indexOf(r) + 1) % live.length;
      if (step.done) {
        live = live.filter((other) => other !== r);
        turn = 0;
        continue;
      }
      const record = step.value;
      yield originField === undefined
        ? record
        : { ...(record as object), [originField]: r.name };
    }
  } finally {
    await Promise.all(readers.map((r) => r.reader.cancel().catch(() => {})));
  }
}
