// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { CheckpointStore } from "./checkpoint_store.ts";
import type { Position } from "./position.ts";

/**
 * What an exactly-once sink needs to store a batch and the pipeline's
 * position in one transaction: `BatchWriteContext.checkpoint`, inside a
 * `pipeline()` with a checkpoint store.
 *
 * Reading it tells the pipeline that the sink commits the positions from
 * now on: the pipeline then never commits to the store itself, so a
 * position never goes back behind one the sink committed. The sink writes
 * `position` with the batch, fenced by `generation` (a newer instance of
 * the pipeline has acquired `id` when the generation no longer matches).
 *
 * `position` is `undefined` when the batch does not end where a batch of
 * the source ended (a `TransformStream` of the user's held records back
 * across the source's batches, or the source is a `merge()`): such a batch
 * cannot be stored exactly once with a position of its own.
 *
 * @example An exactly-once sink into a store of its own kind
 * ```ts
 * import { batchSink, memoryStore, pipeline } from "@ca/streams";
 * import type { Position, SinkCheckpoint } from "@ca/streams";
 *
 * // A "database" whose rows and checkpoint change together.
 * const rows: number[] = [];
 * const store = memoryStore();
 * let last: SinkCheckpoint | undefined;
 * const sink = batchSink<number>({
 *   async write(records, context) {
 *     const checkpoint = context.checkpoint;
 *     if (checkpoint?.position === undefined) throw new Error("no position");
 *     // One transaction: the rows and the position, fenced.
 *     rows.push(...records);
 *     await checkpoint.store.commit(checkpoint.id, checkpoint.position, checkpoint.generation);
 *     last = checkpoint;
 *   },
 * });
 * const source = { async *open(after?: Position) {
 *   const start = (after as number | undefined) ?? -1;
 *   for (let i = start + 1; i < 6; i += 2) yield { records: [i, i + 1], position: i + 1 };
 * } };
 * const { resumableSource } = await import("@ca/streams");
 * await pipeline(resumableSource(source), sink, { id: "rows", checkpoint: { store } });
 * if (rows.join() !== "0,1,2,3,4,5" || last?.position !== 5) throw new Error("unexpected");
 * ```
 */
export interface SinkCheckpoint {
  /** The pipeline's checkpoint store. */
  readonly store: CheckpointStore;
  /** The pipeline's id: the checkpoint's key in the store. */
  readonly id: string;
  /** The generation the pipeline acquired: commit fenced by it. */
  readonly generation: number;
  /** The position to store with this batch, if the batch ends on one. */
  readonly position: Position | undefined;
}
