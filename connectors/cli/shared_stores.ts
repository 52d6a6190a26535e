// Copyright 2026 the @ca/streams authors. MIT license.

import type { CheckpointStore } from "../../src/checkpoint/checkpoint_store.ts";
import type { StoreConfig } from "../../src/config/pipeline_config.ts";
import { canonicalJson } from "../../src/host/_canonical_json.ts";
import { openStore, type OpenStoreOptions } from "./open_store.ts";

/** One opened store and its users. */
interface Entry {
  opening: Promise<CheckpointStore>;
  users: number;
  /** Aborted once the store is closed: the signal its `create` got. */
  controller: AbortController;
}

/**
 * Opens checkpoint stores as {@linkcode openStore} does, but one store per
 * identical config (the same `checkpoint.store`, relative paths from the
 * same directory), shared by every caller: a connector host that runs many
 * connectors on one PostgreSQL store keeps one client (and its pool) for
 * all of them, not one each. A store is opened on its first use and closed
 * when the last user closes its handle. Each connector still fences its own
 * checkpoints: `acquire(id)` is per id, and ids are per connector.
 *
 * A handle's `close()` counts once, however often it is called; the store's
 * `create` gets a signal of its own, aborted when the store is closed, not
 * a caller's. A store with nothing to release (no `close`, as the memory
 * store) is kept once opened: its checkpoints live as long as this object,
 * not only while a connector runs.
 *
 * @example Two users, one store
 * ```ts
 * import { builtinDefinitions, Registry } from "@ca/streams/config";
 * import { SharedStores } from "./shared_stores.ts";
 *
 * const stores = new SharedStores();
 * const options = { registry: new Registry(builtinDefinitions()), pipelineId: "a", baseUrl: "file:///srv/" };
 * const a = await stores.open({ type: "memory" }, options);
 * const b = await stores.open({ type: "memory" }, { ...options, pipelineId: "b" });
 * const { generation } = await a.acquire("a/read");
 * await a.commit("a/read", 7, generation);
 * if ((await b.get("a/read")).position !== 7 || stores.opened !== 1) throw new Error("unexpected");
 * await a.close?.();
 * await b.close?.();
 * // The memory store has nothing to release: a later user finds it as it was.
 * const later = await stores.open({ type: "memory" }, options);
 * if ((await later.get("a/read")).position !== 7) throw new Error("expected it kept");
 * ```
 */
export class SharedStores {
  #entries = new Map<string, Entry>();

  /** How many stores are open (or opening) now. */
  get opened(): number {
    return this.#entries.size;
  }

  /**
   * A handle on the store of `config`: the open one, or a new one.
   *
   * @param config The config's `checkpoint.store`.
   * @param options The registry, the pipeline id and the config's
   * directory; the signal is not passed on (the store outlives a caller).
   * @returns The store; close it when done.
   * @throws As {@linkcode openStore} does.
   */
  async open(
    config: StoreConfig,
    options: OpenStoreOptions,
  ): Promise<CheckpointStore> {
    const key = canonicalJson({ config, baseUrl: options.baseUrl });
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      const controller = new AbortController();
      const opening = openStore(config, {
        ...options,
        signal: controller.signal,
      });
      const created: Entry = { opening, users: 0, controller };
      entry = created;
      this.#entries.set(key, created);
      // A store that cannot be opened is not kept: the next user tries again.
      opening.catch(() => {
        if (this.#entries.get(key) === created) this.#entries.delete(key);
      });
    }
    entry.users++;
    let store: CheckpointStore;
    try {
      store = await entry.opening;
    } catch (error) {
      entry.users--;
      throw error;
    }
    return this.#handle(key, entry, store);
  }

  /** The store, with a `close()` that lets go of one use. */
  #handle(key: string, entry: Entry, store: CheckpointStore): CheckpointStore {
    let closed = false;
    const handle: CheckpointStore = {
      get: (id, options) => store.get(id, options),
      acquire: (id, options) => store.acquire(id, options),
      commit: (id, position, generation, options) =>
        store.commit(id, position, generation, options),
      delete: (id, options) => store.delete(id, options),
      close: async () => {
        if (closed) return;
        closed = true;
        if (--entry.users > 0) return;
        // Nothing to release (a memory store): kept, with its checkpoints.
        if (store.close === undefined) return;
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
        entry.controller.abort();
        await store.close?.();
      },
    };
    // Hidden hooks come along: a SQL store's link to exactly-once sinks.
    for (const symbol of Object.getOwnPropertySymbols(store)) {
      Object.defineProperty(handle, symbol, {
        value: (store as unknown as Record<symbol, unknown>)[symbol],
      });
    }
    return handle;
  }
}
