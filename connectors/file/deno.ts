// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * The file connector on Deno: `Deno.open` and `Deno.FsFile`. Loaded lazily
 * by `loadFileRuntime()` when `Deno` is a global.
 *
 * The Deno API is typed here by the few members used, so that the package
 * build (tsc with Node types only) compiles this file too.
 *
 * @module
 */

import type { AppendHandle, FileRuntime, ReadHandle } from "./file_runtime.ts";

/** The members of `Deno.FsFile` used here. */
interface DenoFile {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  seek(offset: number, whence: 0): Promise<number>;
  truncate(length?: number): Promise<void>;
  syncData(): Promise<void>;
  stat(): Promise<{ size: number }>;
  close(): void;
}

/** The members of the `Deno` namespace used here. */
interface DenoApi {
  open(
    path: string,
    options: { read?: boolean; append?: boolean; create?: boolean },
  ): Promise<DenoFile>;
}

const SEEK_START = 0; // Deno.SeekMode.Start

function deno(): DenoApi {
  return (globalThis as unknown as { Deno: DenoApi }).Deno;
}

/**
 * Wraps an open file: reads seek only when the file's cursor is not already
 * at the requested position, so a sequential scan costs one call per chunk.
 */
function wrap(file: DenoFile): AppendHandle {
  let cursor = 0;
  let closed = false;
  return {
    async read(buffer, position) {
      if (position !== cursor) {
        cursor = -1; // unknown until the seek succeeds
        await file.seek(position, SEEK_START);
        cursor = position;
      }
      const n = await file.read(buffer);
      if (n === null) return 0;
      cursor += n;
      return n;
    },
    close() {
      if (!closed) {
        closed = true;
        file.close();
      }
      return Promise.resolve();
    },
    async size() {
      return (await file.stat()).size;
    },
    truncate: (length) => file.truncate(length),
    // Appending moves the cursor to the end: the next read seeks again.
    append(bytes) {
      cursor = -1;
      return file.write(bytes);
    },
    sync: () => file.syncData(),
  };
}

/** Deno's file operations. */
export const fileRuntime: FileRuntime = {
  async openRead(path: string): Promise<ReadHandle> {
    return wrap(await deno().open(path, { read: true }));
  },
  async openAppend(path: string): Promise<AppendHandle> {
    return wrap(
      await deno().open(path, { read: true, append: true, create: true }),
    );
  },
};
