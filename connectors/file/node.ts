// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * The file connector on Node (and Bun): `node:fs/promises` file handles.
 * Loaded lazily by `loadFileRuntime()` when `Deno` is not a global.
 *
 * @module
 */

import type { AppendHandle, FileRuntime, ReadHandle } from "./file_runtime.ts";

type FileHandle = import("node:fs/promises").FileHandle;

function wrap(handle: FileHandle): AppendHandle {
  let closing: Promise<void> | undefined;
  return {
    async read(buffer, position) {
      const { bytesRead } = await handle.read(
        buffer,
        0,
        buffer.length,
        position,
      );
      return bytesRead;
    },
    // Node closes a handle once its pending operations have finished.
    close() {
      closing ??= handle.close();
      return closing;
    },
    async size() {
      return (await handle.stat()).size;
    },
    truncate: (length) => handle.truncate(length),
    // Opened with "a+": every write goes to the end of the file.
    async append(bytes) {
      const { bytesWritten } = await handle.write(bytes, 0, bytes.length);
      return bytesWritten;
    },
    sync: () => handle.datasync(),
  };
}

/** Node's file operations. */
export const fileRuntime: FileRuntime = {
  async openRead(path: string): Promise<ReadHandle> {
    const { open } = await import("node:fs/promises");
    return wrap(await open(path, "r"));
  },
  async openAppend(path: string): Promise<AppendHandle> {
    const { open } = await import("node:fs/promises");
    return wrap(await open(path, "a+"));
  },
};
