// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { CheckpointStore } from "./checkpoint_store.ts";

/**
 * A store over a client it owns (opened for it, from a config): the same
 * store, whose `close()` closes the store, then releases the client, even
 * when closing the store failed.
 *
 * @param store The store, over the client.
 * @param release Releases the client (`sql.end()`, `kv.close()`).
 * @returns The store, closing the client with it.
 */
export function ownedStore(
  store: CheckpointStore,
  release: () => void | Promise<void>,
): CheckpointStore {
  const owned: CheckpointStore = {
    ...store,
    async close() {
      try {
        await store.close?.();
      } finally {
        await release();
      }
    },
  };
  // Hidden hooks come along too: a SQL store's link to exactly-once sinks.
  for (const key of Object.getOwnPropertySymbols(store)) {
    if (!Object.hasOwn(owned, key)) {
      Object.defineProperty(owned, key, {
        value: (store as unknown as Record<symbol, unknown>)[key],
      });
    }
  }
  return owned;
}
