// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { Position } from "./position.ts";

/** What a store holds for one pipeline id. */
export interface Checkpoint {
  /** The position of the last record known done; `undefined` for none. */
  position: Position | undefined;
  /** The newest generation acquired for this id (0 if never acquired). */
  generation: number;
}

/** Options every store method accepts. */
export interface StoreCallOptions {
  /** Gives up waiting on the backing system. */
  signal?: AbortSignal;
}

/**
 * Where checkpoints live: the memory store in the core, file, Deno KV, Redis
 * and PostgreSQL stores under `connectors/`. Methods may return promises.
 *
 * Fencing: `acquire(id)` starts a new generation for `id`, greater than any
 * before, and returns it with the stored position. `commit()` succeeds only
 * for the newest generation; an older one gets a `FencedError`
 * (`CA_ERR_FENCED`) and the stored position stays as it was. So two
 * instances of one pipeline can never both commit: the one that started
 * last wins, the other stops.
 *
 * Generations never go back, even across `delete()`, so an instance fenced
 * before a delete stays fenced after it.
 */
export interface CheckpointStore {
  /** Reads the checkpoint of `id` (position `undefined` and generation 0 if none). */
  get(id: string, options?: StoreCallOptions): Promise<Checkpoint>;
  /**
   * Starts a new generation for `id`, fencing every older one, and returns
   * it with the stored position.
   */
  acquire(id: string, options?: StoreCallOptions): Promise<Checkpoint>;
  /**
   * Stores `position` for `id` if `generation` is still the newest;
   * otherwise throws `FencedError` and changes nothing. Durable when the
   * promise resolves.
   */
  commit(
    id: string,
    position: Position,
    generation: number,
    options?: StoreCallOptions,
  ): Promise<void>;
  /**
   * Forgets the position of `id` (the next run starts from the beginning)
   * and fences every instance running now. The generation counter is kept.
   */
  delete(id: string, options?: StoreCallOptions): Promise<void>;
  /** Releases connections or handles the store opened itself. */
  close?(): Promise<void>;
}
