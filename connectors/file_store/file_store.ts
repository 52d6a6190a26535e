// Copyright 2026 the @ca/streams authors. MIT license.

import { beginCommit } from "../../src/checkpoint/begin_commit.ts";
import { beginStoreCall } from "../../src/checkpoint/begin_store_call.ts";
import type {
  Checkpoint,
  CheckpointStore,
  StoreCallOptions,
} from "../../src/checkpoint/checkpoint_store.ts";
import { FencedError } from "../../src/checkpoint/fenced_error.ts";
import type { Position } from "../../src/checkpoint/position.ts";
import { checkpointFileName } from "./file_name.ts";
import { type HeldLock, lockFile } from "./lock.ts";
import { loadStoreRuntime, type StoreRuntime } from "./store_runtime.ts";

/**
 * Options for {@linkcode fileStore}.
 *
 * @example Break stale locks sooner, and stop the store with a signal
 * ```ts
 * import { fileStore } from "@ca/streams/file-store";
 * import type { FileStoreOptions } from "@ca/streams/file-store";
 *
 * const directory = await Deno.makeTempDir();
 * try {
 *   const controller = new AbortController();
 *   const options: FileStoreOptions = { staleLockMs: 2_000, signal: controller.signal };
 *   const store = fileStore(directory, options);
 *   await store.acquire("orders");
 *   controller.abort(new Error("shutting down"));
 *   const error = await store.get("orders").then(() => undefined, (e: unknown) => e);
 *   if (error !== controller.signal.reason) throw new Error("expected the abort reason");
 * } finally {
 *   await Deno.remove(directory, { recursive: true });
 * }
 * ```
 */
export interface FileStoreOptions {
  /**
   * Break a checkpoint's lock file older than this, in ms, even when its
   * process may still be alive (default 10000). A lock whose process is
   * gone from this machine is broken at once. Keep it well above the
   * longest time a write plus fsync may take.
   */
  staleLockMs?: number;
  /** Aborting it makes every call of the store, pending or later, give up. */
  signal?: AbortSignal;
}

/** What a checkpoint file holds. */
interface StoredRecord {
  id: string;
  generation: number;
  position?: Position;
}

const DEFAULT_STALE_LOCK_MS = 10_000;

/**
 * Creates a checkpoint store that keeps one JSON file per pipeline id in
 * `directory` (created on first write), for pipelines on one machine or on
 * a shared local file system.
 *
 * Every change (acquire, commit, delete) is a read-modify-write under a lock
 * file created with `O_EXCL` (`<name>.lock`), so fencing holds across
 * processes. The new state goes to a temporary file that is fsynced, then
 * renamed over `<name>.json`, and the directory is fsynced (not on
 * Windows): a commit is durable when its promise resolves, and a crash
 * leaves the old or the new file, never a torn one. A lock left by a killed
 * process is broken once its process is gone from this machine, or after
 * `staleLockMs`.
 *
 * File names encode the id (`orders` -> `orders.json`, `Orders/EU` ->
 * `^orders%2f^e^u.json`), so ids differing only in case stay apart on
 * case-insensitive file systems. Works on Deno (`--allow-read`,
 * `--allow-write`; with `--allow-sys=hostname` and `--allow-run` a dead
 * holder's lock is broken at once rather than after `staleLockMs`), Node
 * and Bun; the runtime's file API is loaded on first use.
 *
 * Not for network file systems without reliable `O_EXCL` and rename, nor for
 * processes on several machines sharing one directory with skewed clocks.
 *
 * @param directory The folder holding the checkpoint files.
 * @param options `staleLockMs`, and a `signal` that stops the whole store.
 * @returns A {@linkcode CheckpointStore} whose positions survive restarts.
 *
 * @example Commit, then read back from another store object
 * ```ts
 * import { fileStore } from "@ca/streams/file-store";
 *
 * const directory = await Deno.makeTempDir();
 * const store = fileStore(directory);
 * const { generation } = await store.acquire("orders");
 * await store.commit("orders", { offset: 42 }, generation);
 *
 * const later = fileStore(directory); // as a restarted process would
 * const { position } = await later.get("orders");
 * if (JSON.stringify(position) !== '{"offset":42}') throw new Error("unexpected");
 * await Deno.remove(directory, { recursive: true });
 * ```
 */
export function fileStore(
  directory: string,
  options: FileStoreOptions = {},
): CheckpointStore {
  if (typeof directory !== "string" || directory === "") {
    throw new TypeError(
      "Cannot create file store: directory must be a non-empty string",
    );
  }
  const staleMs = options.staleLockMs ?? DEFAULT_STALE_LOCK_MS;
  if (!(staleMs > 0 && Number.isFinite(staleMs))) {
    throw new RangeError(
      `Cannot create file store: staleLockMs must be a positive number of ms, got ${staleMs}`,
    );
  }
  const dir = directory.length > 1
    ? directory.replace(/[\\/]+$/, "") || directory
    : directory;
  const storeSignal = options.signal;
  const join = (name: string) =>
    dir.endsWith("/") ? dir + name : `${dir}/${name}`;

  let ready: Promise<void> | undefined;
  let syncDirectories = true;
  let closed = false;
  const queues = new Map<string, Promise<void>>();
  const pending = new Set<Promise<unknown>>();

  function start(verb: string, id: string, callSignal?: AbortSignal) {
    return beginStoreCall(verb, id, closed, storeSignal, callSignal);
  }

  function track<T>(promise: Promise<T>): Promise<T> {
    pending.add(promise);
    const forget = () => pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  async function read(
    runtime: StoreRuntime,
    id: string,
    base: string,
  ): Promise<StoredRecord | undefined> {
    const file = join(`${base}.json`);
    const text = await runtime.readText(file);
    if (text === undefined) return undefined;
    let record: StoredRecord;
    try {
      record = JSON.parse(text);
    } catch {
      throw new SyntaxError(
        `Cannot read checkpoint of "${id}": ${file} is not valid JSON`,
      );
    }
    if (
      typeof record !== "object" || record === null ||
      !Number.isSafeInteger(record.generation) || record.generation < 0
    ) {
      throw new SyntaxError(
        `Cannot read checkpoint of "${id}": ${file} is not a checkpoint file`,
      );
    }
    if (record.id !== id) {
      throw new Error(
        `Cannot read checkpoint of "${id}": ${file} belongs to id ${
          JSON.stringify(record.id)
        }`,
      );
    }
    return record;
  }

  function toCheckpoint(record: StoredRecord | undefined): Checkpoint {
    return {
      position: record?.position,
      generation: record?.generation ?? 0,
    };
  }

  async function write(
    runtime: StoreRuntime,
    base: string,
    record: StoredRecord,
    lock: HeldLock,
  ): Promise<void> {
    const temp = join(`${base}.json.${lock.token}.tmp`);
    await runtime.writeSynced(temp, JSON.stringify(record) + "\n");
    try {
      await lock.verify();
      await runtime.rename(temp, join(`${base}.json`));
    } catch (error) {
      await runtime.remove(temp).catch(() => {});
      throw error;
    }
    if (syncDirectories) syncDirectories = await runtime.syncDirectory(dir);
  }

  /**
   * Runs `section` for `id` after the calls queued before it in this store
   * and under the id's lock file, so that no other process changes the
   * checkpoint meanwhile.
   */
  function exclusive<T>(
    id: string,
    signal: AbortSignal | undefined,
    section: (
      runtime: StoreRuntime,
      base: string,
      lock: HeldLock,
    ) => Promise<T>,
  ): Promise<T> {
    const before = queues.get(id) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => done = resolve);
    const tail = before.then(() => mine);
    queues.set(id, tail);
    return track((async () => {
      try {
        await abortable(before, signal);
        const runtime = await loadStoreRuntime();
        ready ??= runtime.makeDirectory(dir).catch((error) => {
          ready = undefined;
          throw error;
        });
        await ready;
        const base = await checkpointFileName(id);
        const lock = await lockFile(runtime, join(`${base}.lock`), {
          staleMs,
          signal,
        });
        try {
          // Temporary files of holders that died under a lock broken just now.
          for (const token of lock.broken) {
            await runtime.remove(join(`${base}.json.${token}.tmp`));
          }
          return await section(runtime, base, lock);
        } finally {
          await lock.release();
        }
      } finally {
        done();
        if (queues.get(id) === tail) queues.delete(id);
      }
    })());
  }

  return {
    get(id: string, options?: StoreCallOptions): Promise<Checkpoint> {
      try {
        start("read", id, options?.signal);
      } catch (error) {
        return Promise.reject(error);
      }
      return track((async () => {
        const runtime = await loadStoreRuntime();
        const base = await checkpointFileName(id);
        return toCheckpoint(await read(runtime, id, base));
      })());
    },

    acquire(id: string, options?: StoreCallOptions): Promise<Checkpoint> {
      let signal;
      try {
        signal = start("acquire", id, options?.signal);
      } catch (error) {
        return Promise.reject(error);
      }
      return exclusive(id, signal, async (runtime, base, lock) => {
        const record = await read(runtime, id, base);
        const next: StoredRecord = {
          id,
          generation: (record?.generation ?? 0) + 1,
        };
        if (record?.position !== undefined) next.position = record.position;
        await write(runtime, base, next, lock);
        return toCheckpoint(next);
      });
    },

    commit(
      id: string,
      position: Position,
      generation: number,
      options?: StoreCallOptions,
    ): Promise<void> {
      let call;
      try {
        call = beginCommit(start, id, position, options);
      } catch (error) {
        return Promise.reject(error);
      }
      const { signal, json } = call;
      const copy: Position = JSON.parse(json);
      return exclusive(id, signal, async (runtime, base, lock) => {
        const record = await read(runtime, id, base);
        const current = record?.generation ?? 0;
        if (current === 0 || current !== generation) {
          throw new FencedError(id, generation, current);
        }
        await write(runtime, base, { id, generation, position: copy }, lock);
      });
    },

    delete(id: string, options?: StoreCallOptions): Promise<void> {
      let signal;
      try {
        signal = start("delete", id, options?.signal);
      } catch (error) {
        return Promise.reject(error);
      }
      return exclusive(id, signal, async (runtime, base, lock) => {
        const record = await read(runtime, id, base);
        if (record === undefined) return;
        await write(runtime, base, {
          id,
          generation: record.generation + 1,
        }, lock);
      });
    },

    async close(): Promise<void> {
      closed = true;
      await Promise.allSettled([...pending]);
    },
  };
}

/** Waits for `promise`, or rejects with the signal's reason when it aborts first. */
function abortable(
  promise: Promise<void>,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (signal === undefined) return promise;
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}
