// Copyright 2026 the @ca/streams authors. MIT license.

import type { CheckpointStore } from "../../src/checkpoint/checkpoint_store.ts";
import { FencedError } from "../../src/checkpoint/fenced_error.ts";
import {
  SQL_CHECKPOINT,
  type SqlCheckpointHook,
} from "../postgres/_sql_checkpoint_hook.ts";

/** The store's exactly-once SQL hook, whatever its dialect. */
function sqlCheckpointHookOf(
  store: CheckpointStore,
): SqlCheckpointHook | undefined {
  return (store as { [SQL_CHECKPOINT]?: SqlCheckpointHook })[SQL_CHECKPOINT];
}

/**
 * A checkpoint store that refuses to acquire or commit once `holdsLease()`
 * says the host lost the connector's lease: a host paused past its lease
 * (a SIGSTOP, a long GC pause) wakes up with commits under way, and they
 * must fail before the host's loop notices and aborts the run. The
 * store's own generations fence what is left (a commit that passed this
 * check an instant before the lease ran out, when nobody took over yet).
 * Hidden hooks (a SQL store's link to exactly-once sinks) come along.
 *
 * @param store The store the connector's runners opened.
 * @param holdsLease Whether the host still holds the lease.
 * @returns The guarded store; closing it closes `store`.
 *
 * @example Commits fail once the lease is gone
 * ```ts
 * import { FencedError, memoryStore } from "@ca/streams";
 * import { leaseGuardedStore } from "./lease_guarded_store.ts";
 *
 * let held = true;
 * const store = leaseGuardedStore(memoryStore(), () => held);
 * const { generation } = await store.acquire("orders");
 * await store.commit("orders", 1, generation);
 * held = false;
 * const error = await store.commit("orders", 2, generation).catch((e) => e);
 * if (!(error instanceof FencedError)) throw new Error("expected fencing");
 * ```
 */
export function leaseGuardedStore(
  store: CheckpointStore,
  holdsLease: () => boolean,
): CheckpointStore {
  const guarded: CheckpointStore = {
    get: (id, options) => store.get(id, options),
    delete: (id, options) => store.delete(id, options),
    acquire(id, options) {
      if (!holdsLease()) {
        return Promise.reject(new FencedError(id, 0));
      }
      return store.acquire(id, options);
    },
    commit(id, position, generation, options) {
      if (!holdsLease()) {
        return Promise.reject(new FencedError(id, generation));
      }
      return store.commit(id, position, generation, options);
    },
    ...(store.close === undefined ? {} : { close: () => store.close!() }),
  };
  for (const key of Object.getOwnPropertySymbols(store)) {
    if (key === SQL_CHECKPOINT) continue;
    Object.defineProperty(guarded, key, {
      value: (store as unknown as Record<symbol, unknown>)[key],
    });
  }
  // An exactly-once SQL sink commits the position in its own transaction,
  // through this hook, not through commit(): the same guard goes there.
  const hook = sqlCheckpointHookOf(store);
  if (hook !== undefined) {
    Object.defineProperty(guarded, SQL_CHECKPOINT, {
      value: {
        dialect: hook.dialect,
        client: hook.client,
        commitIn(query, id, position, generation) {
          if (!holdsLease()) {
            return Promise.reject(new FencedError(id, generation));
          }
          return hook.commitIn(query, id, position, generation);
        },
      } satisfies SqlCheckpointHook,
    });
  }
  return guarded;
}
