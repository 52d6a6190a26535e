// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { beginCommit } from "../../src/checkpoint/begin_commit.ts";
import { beginStoreCall } from "../../src/checkpoint/begin_store_call.ts";
import type {
  Checkpoint,
  CheckpointStore,
  StoreCallOptions,
} from "../../src/checkpoint/checkpoint_store.ts";
import { FencedError } from "../../src/checkpoint/fenced_error.ts";
import type { Position } from "../../src/checkpoint/position.ts";

/**
 * A part of a Deno KV key (`Deno.KvKeyPart`).
 *
 * @example Keep checkpoints under a key prefix of your own
 * ```ts
 * import { denoKvStore } from "@ca/streams/deno-kv-store";
 * import type { DenoKvKeyPart } from "@ca/streams/deno-kv-store";
 *
 * const kv = await Deno.openKv(":memory:");
 * try {
 *   const prefix: DenoKvKeyPart[] = ["app", "checkpoints", 2];
 *   const store = denoKvStore(kv, { prefix });
 *   await store.acquire("orders");
 *   const entry = await kv.get([...prefix, "orders"]);
 *   if (entry.versionstamp === null) throw new Error("no entry under the prefix");
 * } finally {
 *   kv.close();
 * }
 * ```
 */
export type DenoKvKeyPart =
  | Uint8Array
  | string
  | number
  | bigint
  | boolean
  | symbol;

/**
 * An entry read from Deno KV (`Deno.KvEntryMaybe`).
 *
 * @example Look at the entry a commit wrote
 * ```ts
 * import { denoKvStore } from "@ca/streams/deno-kv-store";
 * import type { DenoKvEntry } from "@ca/streams/deno-kv-store";
 *
 * const kv = await Deno.openKv(":memory:");
 * try {
 *   const store = denoKvStore(kv);
 *   const { generation } = await store.acquire("orders");
 *   await store.commit("orders", 42, generation);
 *   const entry: DenoKvEntry = await kv.get(["ca_checkpoints", "orders"]);
 *   if (entry.value === null || entry.versionstamp === null) throw new Error("no entry");
 * } finally {
 *   kv.close();
 * }
 * ```
 */
export interface DenoKvEntry {
  /** The stored value, `null` when there is none. */
  value: unknown;
  /** Changes with every write of the key; `null` when there is no value. */
  versionstamp: string | null;
}

/**
 * An atomic operation of Deno KV (`Deno.AtomicOperation`), as used here.
 *
 * @example A checked write, as the store makes one
 * ```ts
 * import type { DenoKvAtomic } from "@ca/streams/deno-kv-store";
 *
 * const kv = await Deno.openKv(":memory:");
 * try {
 *   const key = ["counters", "orders"];
 *   const create = (): DenoKvAtomic => kv.atomic().check({ key, versionstamp: null }).set(key, 1);
 *   const first = await create().commit();
 *   const second = await create().commit(); // the key exists now: the check fails
 *   if (!first.ok || second.ok) throw new Error("unexpected");
 * } finally {
 *   kv.close();
 * }
 * ```
 */
export interface DenoKvAtomic {
  /** Makes the commit fail unless `key` is still at `versionstamp`. */
  check(
    ...checks: { key: readonly DenoKvKeyPart[]; versionstamp: string | null }[]
  ): DenoKvAtomic;
  /** Writes `value` at `key` on commit. */
  set(key: readonly DenoKvKeyPart[], value: unknown): DenoKvAtomic;
  /** Applies the operation if every check holds. */
  commit(): Promise<{ ok: boolean }>;
}

/**
 * The members of `Deno.Kv` the store uses: a `Deno.Kv` from
 * `Deno.openKv()` fits, and so does the `@deno/kv` package's on Node.
 *
 * @example Count the store's reads with a wrapper around `Deno.Kv`
 * ```ts
 * import { denoKvStore } from "@ca/streams/deno-kv-store";
 * import type { DenoKv } from "@ca/streams/deno-kv-store";
 *
 * const kv = await Deno.openKv(":memory:");
 * try {
 *   let reads = 0;
 *   const counting: DenoKv = {
 *     get(key, options) {
 *       reads++;
 *       return kv.get(key, options);
 *     },
 *     atomic: () => kv.atomic(),
 *   };
 *   await denoKvStore(counting).get("orders");
 *   if (reads !== 1) throw new Error(`unexpected ${reads} reads`);
 * } finally {
 *   kv.close();
 * }
 * ```
 */
export interface DenoKv {
  /** Reads one key. */
  get(
    key: readonly DenoKvKeyPart[],
    options?: { consistency?: "strong" | "eventual" },
  ): Promise<DenoKvEntry>;
  /** Starts an atomic operation. */
  atomic(): DenoKvAtomic;
}

/**
 * Options for {@linkcode denoKvStore}.
 *
 * @example A prefix, and a signal that stops the store
 * ```ts
 * import { denoKvStore } from "@ca/streams/deno-kv-store";
 * import type { DenoKvStoreOptions } from "@ca/streams/deno-kv-store";
 *
 * const kv = await Deno.openKv(":memory:");
 * try {
 *   const controller = new AbortController();
 *   const options: DenoKvStoreOptions = { prefix: ["etl"], signal: controller.signal };
 *   const store = denoKvStore(kv, options);
 *   await store.acquire("orders");
 *   controller.abort(new Error("shutting down"));
 *   const error = await store.get("orders").then(() => undefined, (e: unknown) => e);
 *   if (error !== controller.signal.reason) throw new Error("expected the abort reason");
 * } finally {
 *   kv.close();
 * }
 * ```
 */
export interface DenoKvStoreOptions {
  /** The key prefix of the store's entries (default `["ca_checkpoints"]`). */
  prefix?: readonly DenoKvKeyPart[];
  /** Aborting it makes every call of the store, pending or later, give up. */
  signal?: AbortSignal;
}

/** What an entry holds: the generation, and the position as JSON text. */
interface StoredValue {
  generation: number;
  position?: string;
}

const DEFAULT_PREFIX: readonly DenoKvKeyPart[] = ["ca_checkpoints"];
/** Tries of one read-check-write before giving up on a key this busy. */
const MAX_ATTEMPTS = 1000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A local (SQLite) Deno KV opened by several handles or processes fails a
 * read or write with "database is locked" instead of waiting; it did not
 * apply, so it is retried like a lost race.
 */
function isBusy(error: unknown): boolean {
  return error instanceof Error && /database is locked/i.test(error.message);
}

function parseStored(id: string, entry: DenoKvEntry): StoredValue | undefined {
  const value = entry.value as StoredValue | null;
  if (value === null || entry.versionstamp === null) return undefined;
  if (
    typeof value !== "object" || !Number.isSafeInteger(value.generation) ||
    (value.position !== undefined && typeof value.position !== "string")
  ) {
    throw new TypeError(
      `Cannot read checkpoint of "${id}": the Deno KV entry is not a checkpoint`,
    );
  }
  return value;
}

function toCheckpoint(value: StoredValue | undefined): Checkpoint {
  return {
    position: value?.position === undefined
      ? undefined
      : JSON.parse(value.position),
    generation: value?.generation ?? 0,
  };
}

/**
 * Creates a checkpoint store in Deno KV: one entry per pipeline id, at
 * `[...prefix, id]`, holding the generation and the position as JSON text.
 * Every change is a read, then an atomic write checked against the
 * versionstamp read, retried when another writer came first, so fencing
 * holds across processes and Deno Deploy isolates. A commit is durable when
 * it resolves.
 *
 * The `Deno.Kv` is passed in and stays the caller's: `close()` does not
 * close it. `Deno.openKv()` needs `--unstable-kv` (Deno 2.x). A position's
 * JSON must fit in a KV value (64 KiB) and `[...prefix, id]` in a key
 * (2 KiB).
 *
 * @param kv An open `Deno.Kv`.
 * @param options `prefix`, and a `signal` that stops the whole store.
 * @returns A {@linkcode CheckpointStore} backed by `kv`.
 *
 * @example Commit and read back
 * ```ts
 * import { denoKvStore } from "@ca/streams/deno-kv-store";
 *
 * const kv = await Deno.openKv(":memory:");
 * try {
 *   const store = denoKvStore(kv, { prefix: ["checkpoints"] });
 *   const { generation } = await store.acquire("orders");
 *   await store.commit("orders", { offset: 42 }, generation);
 *   const { position } = await store.get("orders");
 *   if (JSON.stringify(position) !== '{"offset":42}') throw new Error("unexpected");
 * } finally {
 *   kv.close();
 * }
 * ```
 */
export function denoKvStore(
  kv: DenoKv,
  options: DenoKvStoreOptions = {},
): CheckpointStore {
  if (
    kv === null || typeof kv !== "object" || typeof kv.get !== "function" ||
    typeof kv.atomic !== "function"
  ) {
    throw new TypeError(
      "Cannot create Deno KV store: kv must be a Deno.Kv (from Deno.openKv())",
    );
  }
  const prefix = [...(options.prefix ?? DEFAULT_PREFIX)];
  const storeSignal = options.signal;
  let closed = false;

  function start(verb: string, id: string, callSignal?: AbortSignal) {
    return beginStoreCall(verb, id, closed, storeSignal, callSignal);
  }

  /**
   * Reads the entry of `id`, lets `change` compute the next value (or
   * `undefined` for no write), and writes it if the entry is unchanged
   * since the read; otherwise reads again.
   */
  async function update<T>(
    verb: string,
    id: string,
    signal: AbortSignal | undefined,
    change: (current: StoredValue | undefined) => {
      next?: StoredValue;
      result: T;
    },
  ): Promise<T> {
    const key = [...prefix, id];
    for (let attempt = 1;; attempt++) {
      try {
        const entry = await kv.get(key);
        signal?.throwIfAborted();
        const { next, result } = change(parseStored(id, entry));
        if (next === undefined) return result;
        const { ok } = await kv.atomic()
          .check({ key, versionstamp: entry.versionstamp })
          .set(key, next)
          .commit();
        if (ok) return result;
      } catch (error) {
        if (!isBusy(error) || attempt === MAX_ATTEMPTS) throw error;
      }
      if (attempt === MAX_ATTEMPTS) {
        throw new Error(
          `Cannot ${verb} checkpoint of "${id}": the Deno KV entry changed under each of ${MAX_ATTEMPTS} tries`,
        );
      }
      signal?.throwIfAborted();
      await sleep(Math.random() * Math.min(attempt, 20));
    }
  }

  return {
    async get(id: string, options?: StoreCallOptions): Promise<Checkpoint> {
      const signal = start("read", id, options?.signal);
      for (let attempt = 1;; attempt++) {
        try {
          const entry = await kv.get([...prefix, id]);
          signal?.throwIfAborted();
          return toCheckpoint(parseStored(id, entry));
        } catch (error) {
          if (!isBusy(error) || attempt === MAX_ATTEMPTS) throw error;
        }
        signal?.throwIfAborted();
        await sleep(Math.random() * Math.min(attempt, 20));
      }
    },

    async acquire(id: string, options?: StoreCallOptions): Promise<Checkpoint> {
      const signal = start("acquire", id, options?.signal);
      return await update("acquire", id, signal, (current) => {
        const next: StoredValue = {
          generation: (current?.generation ?? 0) + 1,
        };
        if (current?.position !== undefined) next.position = current.position;
        return { next, result: toCheckpoint(next) };
      });
    },

    async commit(
      id: string,
      position: Position,
      generation: number,
      options?: StoreCallOptions,
    ): Promise<void> {
      const { signal, json } = beginCommit(start, id, position, options);
      await update("commit", id, signal, (current) => {
        const stored = current?.generation ?? 0;
        if (stored === 0 || stored !== generation) {
          throw new FencedError(id, generation, stored);
        }
        return { next: { generation, position: json }, result: undefined };
      });
    },

    async delete(id: string, options?: StoreCallOptions): Promise<void> {
      const signal = start("delete", id, options?.signal);
      await update("delete", id, signal, (current) => ({
        next: current && { generation: current.generation + 1 },
        result: undefined,
      }));
    },

    close(): Promise<void> {
      closed = true;
      return Promise.resolve();
    },
  };
}
