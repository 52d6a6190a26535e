// Copyright 2026 the @ca/streams authors. MIT license.

import type { CheckpointStore } from "../../src/checkpoint/checkpoint_store.ts";

/**
 * The same checkpoint store, telling `onCommit(id)` as each commit starts;
 * the function it returns is called once that commit succeeded (is
 * durable), so a caller can note what it knew when the position was taken.
 * Every other call goes to the store as it is, and its hidden hooks (the
 * SQL stores' link to exactly-once sinks) come along. A SQL sink that
 * commits inside its own transaction does so through that hook, so those
 * commits are not told.
 *
 * @param store The store the pipelines commit to.
 * @param onCommit Called with the checkpoint's id as a commit starts;
 * returns what to call once it succeeded.
 * @returns The store, observed.
 *
 * @example Count the commits of a pipeline
 * ```ts
 * import { memoryStore } from "@ca/streams";
 * import { observedStore } from "./observed_store.ts";
 *
 * let commits = 0;
 * const store = observedStore(memoryStore(), () => () => commits++);
 * const { generation } = await store.acquire("orders");
 * await store.commit("orders", 7, generation);
 * if (commits !== 1 || (await store.get("orders")).position !== 7) throw new Error("unexpected");
 * ```
 */
export function observedStore(
  store: CheckpointStore,
  onCommit: (id: string) => () => void,
): CheckpointStore {
  const observed: CheckpointStore = {
    get: (id, options) => store.get(id, options),
    acquire: (id, options) => store.acquire(id, options),
    async commit(id, position, generation, options) {
      const committed = onCommit(id);
      await store.commit(id, position, generation, options);
      committed();
    },
    delete: (id, options) => store.delete(id, options),
  };
  if (store.close) observed.close = () => store.close!();
  for (const key of Object.getOwnPropertySymbols(store)) {
    Object.defineProperty(observed, key, {
      value: (store as unknown as Record<symbol, unknown>)[key],
    });
  }
  return observed;
}
