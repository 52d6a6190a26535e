// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * A lock file for read-modify-write across processes: created with
 * `O_CREAT | O_EXCL`, so exactly one process holds it, and removed when the
 * holder is done. A holder that died (killed mid-section) leaves it behind;
 * it is stale, and broken, once its process is gone from this machine or
 * it is older than `staleMs`.
 *
 * Two waiters that find the same stale lock must not both break it (the
 * second would remove the lock the first just took), so breaking happens
 * under a second lock, `<lock>.break`, held for a stat and an unlink.
 *
 * @module
 */

import { sleep } from "../../src/util/sleep.ts";
import type { StoreRuntime } from "./store_runtime.ts";

/** What a lock file holds. */
interface LockOwner {
  pid: number;
  host: string | undefined;
  token: string;
  created: number;
}

/** A lock file as seen once: equal snapshots mean the very same file. */
interface Snapshot {
  ino: number | null;
  mtimeMs: number;
  text: string;
  /** The parsed owner, `undefined` when the file was empty or torn. */
  owner: LockOwner | undefined;
}

/** Options for {@linkcode lockFile}. */
export interface LockOptions {
  /** Break a lock older than this, in ms, whoever holds it. */
  staleMs: number;
  /** Stops waiting. */
  signal?: AbortSignal;
}

/** A lock this process holds. */
export interface HeldLock {
  /** Random, unique to this holding; written into the lock file. */
  readonly token: string;
  /** Tokens of stale locks broken on the way: their holders' leftovers may be removed. */
  readonly broken: readonly string[];
  /** Throws unless the lock file is still this holding's (another process broke it). */
  verify(): Promise<void>;
  /** Removes the lock file if it is still this holding's. */
  release(): Promise<void>;
}

const FIRST_DELAY_MS = 1;
const MAX_DELAY_MS = 50;

/** A random token of 16 hex digits. */
export function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text);
    if (
      typeof value === "object" && value !== null &&
      typeof value.pid === "number" && typeof value.token === "string"
    ) {
      return value as LockOwner;
    }
  } catch {
    // Empty or torn: the holder died between creating and writing it.
  }
  return undefined;
}

async function snapshot(
  runtime: StoreRuntime,
  path: string,
): Promise<Snapshot | undefined> {
  const info = await runtime.stat(path);
  if (info === undefined) return undefined;
  const text = await runtime.readText(path);
  if (text === undefined) return undefined;
  return {
    ino: info.ino,
    mtimeMs: info.mtimeMs,
    text,
    owner: parseOwner(text),
  };
}

function same(a: Snapshot, b: Snapshot): boolean {
  return a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.text === b.text;
}

function isStale(
  runtime: StoreRuntime,
  lock: Snapshot,
  staleMs: number,
  host: string | undefined,
): boolean {
  if (Date.now() - lock.mtimeMs > staleMs) return true;
  const owner = lock.owner;
  if (owner === undefined || host === undefined || owner.host !== host) {
    return false;
  }
  if (owner.pid === runtime.pid) return false;
  return runtime.isAlive(owner.pid) === false;
}

/**
 * Removes the lock file seen as `seen` if it is still that very file,
 * under `<path>.break` so that only one process breaks it.
 *
 * @returns Whether this call removed it.
 */
async function breakLock(
  runtime: StoreRuntime,
  path: string,
  seen: Snapshot,
  staleMs: number,
): Promise<boolean> {
  const breakPath = `${path}.break`;
  if (!(await runtime.createExclusive(breakPath, String(runtime.pid)))) {
    // Someone else is breaking it. A break lock outlives its microseconds
    // only when its holder died: remove it after `staleMs`.
    const info = await runtime.stat(breakPath);
    if (info !== undefined && Date.now() - info.mtimeMs > staleMs) {
      await runtime.remove(breakPath);
    }
    return false;
  }
  try {
    const now = await snapshot(runtime, path);
    if (now === undefined || !same(now, seen)) return false;
    return await runtime.remove(path);
  } finally {
    await runtime.remove(breakPath);
  }
}

/**
 * Takes the lock file at `path`, waiting (with backoff) while a live
 * process holds it and breaking it when it is stale.
 *
 * @param runtime The runtime's file operations.
 * @param path The lock file.
 * @param options `staleMs` and `signal`.
 * @returns The held lock.
 */
export async function lockFile(
  runtime: StoreRuntime,
  path: string,
  options: LockOptions,
): Promise<HeldLock> {
  const { staleMs, signal } = options;
  const host = runtime.hostname();
  const broken: string[] = [];
  let delay = FIRST_DELAY_MS;
  while (true) {
    signal?.throwIfAborted();
    const owner: LockOwner = {
      pid: runtime.pid,
      host,
      token: randomToken(),
      created: Date.now(),
    };
    const text = JSON.stringify(owner);
    if (await runtime.createExclusive(path, text)) {
      return held(runtime, path, owner.token, text, broken);
    }
    const seen = await snapshot(runtime, path);
    if (seen === undefined) continue; // released meanwhile: try again now
    if (isStale(runtime, seen, staleMs, host)) {
      if (await breakLock(runtime, path, seen, staleMs)) {
        if (seen.owner !== undefined) broken.push(seen.owner.token);
        continue;
      }
    }
    await sleep(delay * (0.5 + Math.random()), signal);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
}

function held(
  runtime: StoreRuntime,
  path: string,
  token: string,
  text: string,
  broken: readonly string[],
): HeldLock {
  return {
    token,
    broken,
    async verify() {
      if ((await runtime.readText(path)) !== text) {
        throw new Error(
          `Cannot keep lock ${path}: another process broke it as stale (this one held it longer than the stale-lock time)`,
        );
      }
    },
    async release() {
      if ((await runtime.readText(path)) === text) await runtime.remove(path);
    },
  };
}
