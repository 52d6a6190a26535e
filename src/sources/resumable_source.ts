// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { Position } from "../checkpoint/position.ts";
import type { ConnectionHealth } from "../health/connection_health.ts";

/**
 * Marks an object made by {@linkcode resumableSource}: `pipeline()` opens it
 * after the stored checkpoint and tracks its positions.
 *
 * @example Read what a resumable source was made of
 * ```ts
 * import { RESUMABLE_SOURCE, resumableSource } from "@ca/streams";
 *
 * const source = resumableSource<number>({
 *   name: "numbers",
 *   async *open() {
 *     yield { records: [1], position: 0 };
 *   },
 * });
 * if (source[RESUMABLE_SOURCE].name !== "numbers") throw new Error("unexpected");
 * if (RESUMABLE_SOURCE in ReadableStream.from([1])) throw new Error("unexpected");
 * ```
 */
export const RESUMABLE_SOURCE: unique symbol = Symbol.for(
  "@ca/streams/resumable-source",
) as never;

/**
 * Records read together, and the position of the last of them.
 *
 * @example A source made of a stream of batches
 * ```ts
 * import { collect, memoryStore, pipeline, resumableSource } from "@ca/streams";
 * import type { SourceBatch } from "@ca/streams";
 *
 * const batches: SourceBatch<string>[] = [
 *   { records: ["a", "b"], position: 2 },
 *   { records: ["c"], position: 3 },
 * ];
 * const source = resumableSource<string>({ open: () => ReadableStream.from(batches) });
 * const sink = collect<string>();
 * const summary = await pipeline(source, sink, {
 *   id: "letters",
 *   checkpoint: { store: memoryStore() },
 * });
 * if (sink.records.join() !== "a,b,c" || summary.position !== 3) throw new Error("unexpected");
 * ```
 */
export interface SourceBatch<T> {
  /** The records, in source order. */
  records: T[];
  /**
   * Where the last record ends: opening the source after this position
   * reads the record that follows it.
   */
  position: Position;
}

/**
 * Options `open()` receives.
 *
 * @example Stop reading when the pipeline is done with the source
 * ```ts
 * import { collect, pipeline, resumableSource, take } from "@ca/streams";
 * import type { OpenOptions } from "@ca/streams";
 *
 * let released = false;
 * const source = resumableSource<number>({
 *   async *open(_after, { signal }: OpenOptions) {
 *     try {
 *       for (let i = 0; !signal.aborted; i++) yield { records: [i], position: i };
 *     } finally {
 *       released = true;
 *     }
 *   },
 * });
 * const sink = collect<number>();
 * await pipeline(source, take(3), sink);
 * if (sink.records.join() !== "0,1,2" || !released) throw new Error("unexpected");
 * ```
 */
export interface OpenOptions {
  /** Aborted when the pipeline stops or fails: release the source. */
  signal: AbortSignal;
  /**
   * Present when the pipeline has a `deadLetter` sink: gives it something
   * the source read but cannot turn into a record (a message that does not
   * decode), with the error, as stage -1 `"source"`. Once it resolves the
   * message is done: acknowledge it to the server then (its position is
   * also covered by the next batch's).
   */
  deadLetter?: (record: unknown, error: unknown) => Promise<void>;
}

/**
 * What a resumable source is made of.
 *
 * @example A named source that hears which positions are done
 * ```ts
 * import { collect, memoryStore, pipeline, resumableSource } from "@ca/streams";
 * import type { Position, ResumableSourceInit } from "@ca/streams";
 *
 * const acked: Position[] = [];
 * const init: ResumableSourceInit<string> = {
 *   name: "letters",
 *   async *open(after) {
 *     if (after === undefined) yield { records: ["a", "b"], position: 1 };
 *   },
 *   ack(position) {
 *     acked.push(position);
 *   },
 * };
 * const checkpoint = { store: memoryStore() };
 * await pipeline(resumableSource(init), collect<string>(), { id: "l", checkpoint });
 * if (acked.join() !== "1") throw new Error(`unexpected ${acked}`);
 * ```
 */
export interface ResumableSourceInit<T> {
  /** A name for errors and progress output, such as `"file orders.ndjson"`. */
  name?: string;
  /**
   * Reads the records after `position` (exclusive: the record at that
   * position is not read again), or from the start when it is `undefined`.
   */
  open(
    after: Position | undefined,
    options: OpenOptions,
  ): AsyncIterable<SourceBatch<T>> | ReadableStream<SourceBatch<T>>;
  /**
   * Called with a position once every record up to it has been stored by
   * the sink or dropped by a processor, in order and never twice for the
   * same position. A broker source acknowledges there.
   */
  ack?(position: Position): void | Promise<void>;
  /**
   * Called when the pipeline sends a record to its dead letter, before the
   * position that covers it is acknowledged. A broker source that emitted
   * this very record (it failed in the sink, a `filter`, a `tap` or another
   * stage that passes records on as they are) can then reject the message
   * instead of acknowledging it, so that the server's own dead-letter
   * queue takes it too; records a processor replaced are not recognised,
   * and their messages are acknowledged (the dead letter stored them).
   */
  deadLettered?(record: T): void;
  /**
   * The connection to the server, for `RunningPipeline.health`: a source
   * that reconnects reports `"reconnecting"` with the error meanwhile.
   */
  health?(): ConnectionHealth;
}

/**
 * A source that can resume: `pipeline()` with a checkpoint opens it after
 * the stored position. Iterated directly, it reads from the start.
 *
 * @example Iterated directly, a resumable source reads from the start
 * ```ts
 * import { resumableSource } from "@ca/streams";
 * import type { ResumableSource } from "@ca/streams";
 *
 * function countTo(n: number): ResumableSource<number> {
 *   return resumableSource({
 *     async *open(after) {
 *       const from = after === undefined ? 1 : Number(after) + 1;
 *       for (let i = from; i <= n; i++) yield { records: [i], position: i };
 *     },
 *   });
 * }
 * const all = await Array.fromAsync(countTo(3));
 * if (all.join() !== "1,2,3") throw new Error(`unexpected ${all}`);
 * ```
 */
export interface ResumableSource<T> extends AsyncIterable<T> {
  /** What the source was made of. */
  readonly [RESUMABLE_SOURCE]: ResumableSourceInit<T>;
}

/**
 * Makes a resumable source from an `open(after)` function that yields
 * batches of records with the position of the last one.
 *
 * A batch's position covers all of its records: the checkpoint can stop
 * between batches, not inside one, so a source that wants finer checkpoints
 * yields smaller batches.
 *
 * @typeParam T The record type.
 * @param init `open(after, { signal })`, and optional `ack(position)` and `name`.
 * @returns A source for `pipeline()`, also iterable on its own.
 *
 * @example Resume a numbered list after position 2
 * ```ts
 * import { collect, memoryStore, pipeline, resumableSource } from "@ca/streams";
 *
 * const letters = ["a", "b", "c", "d"];
 * const source = resumableSource<string>({
 *   async *open(after) {
 *     const start = after === undefined ? 0 : Number(after) + 1;
 *     for (let i = start; i < letters.length; i++) {
 *       yield { records: [letters[i]!], position: i };
 *     }
 *   },
 * });
 * const store = memoryStore();
 * const { generation } = await store.acquire("letters");
 * await store.commit("letters", 1, generation);
 * const sink = collect<string>();
 * await pipeline(source, sink, { id: "letters", checkpoint: { store } });
 * if (sink.records.join() !== "c,d") throw new Error(`unexpected ${sink.records}`);
 * ```
 */
export function resumableSource<T>(
  init: ResumableSourceInit<T>,
): ResumableSource<T> {
  if (init === null || typeof init !== "object") {
    throw new TypeError(
      `Cannot create resumableSource(): init must be an object, got ${
        init === null ? "null" : typeof init
      }`,
    );
  }
  if (typeof init.open !== "function") {
    throw new TypeError(
      `Cannot create resumableSource(): init.open must be a function, got ${typeof init
        .open}`,
    );
  }
  if (init.ack !== undefined && typeof init.ack !== "function") {
    throw new TypeError(
      `Cannot create resumableSource(): init.ack must be a function, got ${typeof init
        .ack}`,
    );
  }
  return {
    [RESUMABLE_SOURCE]: init,
    async *[Symbol.asyncIterator]() {
      const abort = new AbortController();
      try {
        for await (
          const batch of init.open(undefined, { signal: abort.signal })
        ) {
          yield* batch.records;
        }
      } finally {
        abort.abort();
      }
    },
  };
}
