// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * The file checkpoint store on Node (and Bun): `node:fs/promises`. Loaded
 * lazily by `loadStoreRuntime()` when `Deno` is not a global.
 *
 * @module
 */

import type { FileInfo, StoreRuntime } from "./store_runtime.ts";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import process from "node:process";

function code(error: unknown): unknown {
  return (error as { code?: unknown } | undefined)?.code;
}

/** Node's file and process operations. */
export const storeRuntime: StoreRuntime = {
  pid: process.pid,
  async makeDirectory(path) {
    await fs.mkdir(path, { recursive: true });
  },
  async readText(path) {
    try {
      return await fs.readFile(path, "utf8");
    } catch (error) {
      if (code(error) === "ENOENT") return undefined;
      throw error;
    }
  },
  async createExclusive(path, text) {
    let handle;
    try {
      handle = await fs.open(path, "wx");
    } catch (error) {
      if (code(error) === "EEXIST") return false;
      throw error;
    }
    try {
      await handle.writeFile(text, "utf8");
    } finally {
      await handle.close();
    }
    return true;
  },
  async writeSynced(path, text) {
    const handle = await fs.open(path, "w");
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  rename: (from, to) => fs.rename(from, to),
  async remove(path) {
    try {
      await fs.unlink(path);
      return true;
    } catch (error) {
      if (code(error) === "ENOENT") return false;
      throw error;
    }
  },
  async syncDirectory(path) {
    if (process.platform === "win32") return false;
    const handle = await fs.open(path, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    return true;
  },
  async stat(path): Promise<FileInfo | undefined> {
    try {
      const info = await fs.stat(path);
      return { mtimeMs: info.mtimeMs, ino: info.ino };
    } catch (error) {
      if (code(error) === "ENOENT") return undefined;
      throw error;
    }
  },
  hostname: () => os.hostname(),
  isAlive(pid) {
    try {
      process.kill(pid, 0); // signal 0: checks the process exists
      return true;
    } catch (error) {
      // ESRCH: no such process; EPERM: it exists but is not ours.
      return code(error) === "ESRCH" ? false : undefined;
    }
  },
};
