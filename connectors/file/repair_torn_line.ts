// Copyright 2026 the @ca/streams authors. MIT license.

import type { AppendHandle } from "./file_runtime.ts";

const NEWLINE = 10;
const SCAN_SIZE = 64 * 1024;

/**
 * Cuts bytes after the file's last `"\n"`: a line a killed writer left
 * half-written. Scans backwards from the end in 64 KiB reads.
 *
 * @param handle The file, opened for appending.
 * @returns The file's size afterwards.
 */
export async function repairTornLine(handle: AppendHandle): Promise<number> {
  const size = await handle.size();
  if (size === 0) return 0;
  const buffer = new Uint8Array(Math.min(SCAN_SIZE, size));
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - buffer.length);
    const view = buffer.subarray(0, end - start);
    let got = 0;
    while (got < view.length) {
      const n = await handle.read(view.subarray(got), start + got);
      if (n === 0) break; // shrank under us: scan what is there
      got += n;
    }
    const newline = view.subarray(0, got).lastIndexOf(NEWLINE);
    if (newline !== -1) {
      const keep = start + newline + 1;
      if (keep < size) await handle.truncate(keep);
      return keep;
    }
    end = start;
  }
  await handle.truncate(0);
  return 0;
}
