// Copyright 2026 the @ca/streams authors. MIT license.

import { currentRuntime } from "../runtime/current_runtime.ts";
/**
 * The file operations the file checkpoint store needs, implemented once per
 * runtime (`deno.ts`, `node.ts`) and loaded lazily by
 * {@linkcode loadStoreRuntime}.
 *
 * @module
 */

/** What `stat` reports about a file. */
export interface FileInfo {
  /** Last modification time, in ms since the epoch. */
  mtimeMs: number;
  /** The inode number where the file system has one, else `null`. */
  ino: number | null;
}

/** One runtime's file and process operations. */
export interface StoreRuntime {
  /** Creates a directory and its parents; no error when it exists. */
  makeDirectory(path: string): Promise<void>;
  /** Reads a UTF-8 file; `undefined` when it does not exist. */
  readText(path: string): Promise<string | undefined>;
  /**
   * Creates `path` only if it does not exist (`O_CREAT | O_EXCL`) and writes
   * `text` into it. Resolves to `false` when the file already exists.
   */
  createExclusive(path: string, text: string): Promise<boolean>;
  /** Writes `text` to a new or truncated file and flushes it to the disk (fsync). */
  writeSynced(path: string, text: string): Promise<void>;
  /** Renames `from` to `to`, replacing `to` atomically. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; resolves to `false` when it did not exist. */
  remove(path: string): Promise<boolean>;
  /**
   * Flushes a directory's entries to the disk, so a rename in it survives
   * a crash. Resolves to `false` where the platform cannot (Windows).
   */
  syncDirectory(path: string): Promise<boolean>;
  /** Reports a file's modification time and inode; `undefined` when missing. */
  stat(path: string): Promise<FileInfo | undefined>;
  /** This process's id. */
  readonly pid: number;
  /** This machine's host name; `undefined` when it cannot be read (no permission). */
  hostname(): string | undefined;
  /**
   * Whether a process with this id runs on this machine: `false` only when
   * the system says there is none, `undefined` when it cannot tell.
   */
  isAlive(pid: number): boolean | undefined;
}

let loading: Promise<StoreRuntime> | undefined;

/**
 * Loads the file API of the runtime this code runs on: Deno's own when
 * `Deno` is a global, else `node:fs/promises` (Node, Bun). The module is
 * imported on first use, so bundles that never touch a file never load it.
 *
 * @returns The runtime's file operations.
 */
export function loadStoreRuntime(): Promise<StoreRuntime> {
  loading ??=
    (currentRuntime() === "deno" ? import("./deno.ts") : import("./node.ts"))
      .then((module) => module.storeRuntime, (error) => {
        loading = undefined;
        throw error;
      });
  return loading;
}
