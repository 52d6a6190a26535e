// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * The file checkpoint store on Deno: `Deno.open`, `Deno.rename` and
 * friends. Loaded lazily by `loadStoreRuntime()` when `Deno` is a global.
 *
 * The Deno API is typed here by the few members used, so that the package
 * build (tsc with Node types only) compiles this file too.
 *
 * @module
 */

import type { FileInfo, StoreRuntime } from "./store_runtime.ts";

/** The members of `Deno.FsFile` used here. */
interface DenoFile {
  write(bytes: Uint8Array): Promise<number>;
  sync(): Promise<void>;
  close(): void;
}

/** The members of the `Deno` namespace used here. */
interface DenoApi {
  readonly pid: number;
  open(
    path: string,
    options: {
      read?: boolean;
      write?: boolean;
      create?: boolean;
      createNew?: boolean;
      truncate?: boolean;
    },
  ): Promise<DenoFile>;
  mkdir(path: string, options: { recursive: boolean }): Promise<void>;
  readTextFile(path: string): Promise<string>;
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
  stat(path: string): Promise<{ mtime: Date | null; ino: number | null }>;
  hostname(): string;
  kill(pid: number, signal: number): void;
  readonly build: { readonly os: string };
}

function deno(): DenoApi {
  return (globalThis as unknown as { Deno: DenoApi }).Deno;
}

function isNotFound(error: unknown): boolean {
  return (error as Error | undefined)?.name === "NotFound";
}

const encoder = new TextEncoder();

async function writeAll(file: DenoFile, text: string): Promise<void> {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) {
    written += await file.write(bytes.subarray(written));
  }
}

/** Deno's file and process operations. */
export const storeRuntime: StoreRuntime = {
  pid: deno().pid,
  async makeDirectory(path) {
    await deno().mkdir(path, { recursive: true });
  },
  async readText(path) {
    try {
      return await deno().readTextFile(path);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  },
  async createExclusive(path, text) {
    let file: DenoFile;
    try {
      file = await deno().open(path, { write: true, createNew: true });
    } catch (error) {
      if ((error as Error | undefined)?.name === "AlreadyExists") return false;
      throw error;
    }
    try {
      await writeAll(file, text);
    } finally {
      file.close();
    }
    return true;
  },
  async writeSynced(path, text) {
    const file = await deno().open(path, {
      write: true,
      create: true,
      truncate: true,
    });
    try {
      await writeAll(file, text);
      await file.sync();
    } finally {
      file.close();
    }
  },
  rename: (from, to) => deno().rename(from, to),
  async remove(path) {
    try {
      await deno().remove(path);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  },
  async syncDirectory(path) {
    if (deno().build.os === "windows") return false;
    const directory = await deno().open(path, { read: true });
    try {
      await directory.sync();
    } finally {
      directory.close();
    }
    return true;
  },
  async stat(path): Promise<FileInfo | undefined> {
    try {
      const info = await deno().stat(path);
      return { mtimeMs: info.mtime?.getTime() ?? 0, ino: info.ino };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  },
  hostname() {
    try {
      return deno().hostname();
    } catch {
      return undefined; // no --allow-sys
    }
  },
  isAlive(pid) {
    try {
      deno().kill(pid, 0); // signal 0: checks the process exists
      return true;
    } catch (error) {
      // NotFound is ESRCH; anything else (EPERM, no --allow-run) cannot tell.
      return isNotFound(error) ? false : undefined;
    }
  },
};
