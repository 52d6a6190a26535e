/**
 * `pipeline-checkpoint`: `pipeline-resumable` with a checkpoint committed to
 * the file store every 1000 records (temp file + fsync + rename each time).
 *
 * @module
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ImplResult, Library } from "../types.ts";
import type { InputRecord } from "../workload.ts";
import { runWorkload } from "./resumable_workload.ts";

type FileStoreModule = typeof import("../../../connectors/file_store/mod.ts");

async function loadFileStore(): Promise<FileStoreModule> {
  // Deno runs the source; Node runs the built package, like the library.
  const path = "Deno" in globalThis
    ? "../../../connectors/file_store/mod.ts"
    : "../../../dist/connectors/file_store/mod.js";
  return await import(new URL(path, import.meta.url).href);
}

/**
 * Runs the workload.
 *
 * @param records The input.
 * @param lib The library.
 * @returns Count and sum of `x`, and the pipeline's summary counters.
 */
export async function run(
  records: readonly InputRecord[],
  lib: Library,
): Promise<ImplResult> {
  const { fileStore } = await loadFileStore();
  const dir = await mkdtemp(join(tmpdir(), "ca_bench_ckpt_"));
  try {
    return await runWorkload(records, lib, {
      id: "bench",
      checkpoint: {
        store: fileStore(dir),
        everyRecords: 1000,
        reset: "start",
      },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
