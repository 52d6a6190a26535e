// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { Position } from "./position.ts";

/**
 * What a store holds for one pipeline id.
 *
 * @example Read back what was committed
 * ```ts
 * import { memoryStore } from "@ca/streams";
 * import type { Checkpoint } from "@ca/streams";
 *
 * const store = memoryStore();
 * const acquired: Checkpoint = await store.acquire("orders");
 * await store.commit("orders", 42, acquired.generation);
 * const now: Checkpoint = await store.get("orders");
 * if (now.position !== 42 || now.generation !== acquired.generation) {
 *   throw new Error(`unexpected ${JSON.stringify(now)}`);
 * }
 * ```
 */
export interface Checkpoint {
  /** The position of the last record known done; `undefined` for none. */
  position: Position | undefined;
  /** The newest generation acquired for this id (0 if never acquired). */
  generation: number;
}

/**
 * Options every store method accepts.
 *
 * @example Pass an abort signal to a store call
 * ```ts
 * import { memoryStore } from "@ca/streams";
 * import type { StoreCallOptions } from "@ca/streams";
 *
 * const controller = new AbortController();
 * const options: StoreCallOptions = { signal: controller.signal };
 * const checkpoint = await memoryStore().get("orders", options);
 * if (checkpoint.position !== undefined) throw new Error("unexpected");
 * ```
 */
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
 *
 * @example The instance that acquired last fences the older one
 * ```ts
 * import { FencedError, memoryStore } from "@ca/streams";
 * import type { CheckpointStore } from "@ca/streams";
 *
 * const store: CheckpointStore = memoryStore();
 * const older = await store.acquire("orders");
 * const newer = await store.acquire("orders");
 * await store.commit("orders", 7, newer.generation);
 * const error = await store.commit("orders", 3, older.generation)
 *   .then(() => undefined, (e: unknown) => e);
 * const { position } = await store.get("orders");
 * if (!(error instanceof FencedError) || position !== 7) throw new Error("unexpected");
 * ```
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
