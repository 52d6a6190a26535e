// Copyright 2026 the @ca/streams authors. MIT license.

import type { AppendHandle } from "./file_runtime.ts";

/**
 * Appends every byte of `bytes`, writing again after a partial write.
 *
 * @param handle The file, opened for appending.
 * @param bytes What to append.
 * @param path The file's path, for errors.
 * @returns Once all of `bytes` is written.
 */
export async function appendAll(
  handle: Pick<AppendHandle, "append">,
  bytes: Uint8Array,
  path: string,
): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const n = await handle.append(
      written === 0 ? bytes : bytes.subarray(written),
    );
    if (!(n > 0)) {
      throw new Error(
        `Cannot append to ${path}: a write stored no bytes (${
          bytes.length - written
        } of ${bytes.length} left)`,
      );
    }
    written += n;
  }
}
