// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * A second process for `file_store_test.ts`, run by the same runtime as the
 * test (Deno or Node). Modes:
 *
 * - `race DIR ID`: acquires ID, prints `acquired N`, waits for a line on
 *   stdin, commits, then prints `committed` or `fenced CODE`.
 * - `acquire DIR ID COUNT`: acquires ID COUNT times, printing each generation.
 * - `hold-lock DIR ID`: takes ID's lock file, writes a torn temporary file
 *   as a killed writer would leave, prints `locked TOKEN`, then waits to be
 *   killed.
 * - `exit`: exits at once (its pid is then a dead one).
 *
 * fileStore comes from the package; what `hold-lock` uses (lockFile,
 * checkpointFileName, loadStoreRuntime) from the source, as it is internal.
 *
 * @module
 */

import process from "node:process";
import { createInterface } from "node:readline";
import { fileStore } from "@ca/streams/file-store";
import { checkpointFileName } from "../../connectors/file_store/file_name.ts";
import { lockFile } from "../../connectors/file_store/lock.ts";
import { loadStoreRuntime } from "../../connectors/file_store/store_runtime.ts";

const [mode, dir, id, count] = process.argv.slice(2);

function say(line: string): void {
  process.stdout.write(line + "\n");
}

function nextLine(): Promise<string> {
  const lines = createInterface({ input: process.stdin });
  return new Promise((resolve) =>
    lines.once("line", (line) => {
      lines.close();
      process.stdin.destroy();
      resolve(line);
    })
  );
}

switch (mode) {
  case "race": {
    const store = fileStore(dir);
    const { generation } = await store.acquire(id);
    say(`acquired ${generation}`);
    await nextLine();
    try {
      await store.commit(id, { pid: process.pid, generation }, generation);
      say("committed");
    } catch (error) {
      say(`fenced ${(error as { code?: string }).code}`);
    }
    break;
  }
  case "acquire": {
    const store = fileStore(dir);
    for (let i = 0; i < Number(count); i++) {
      say(String((await store.acquire(id)).generation));
    }
    break;
  }
  case "hold-lock": {
    const runtime = await loadStoreRuntime();
    await runtime.makeDirectory(dir);
    const base = await checkpointFileName(id);
    const lock = await lockFile(runtime, `${dir}/${base}.lock`, {
      staleMs: 60_000,
    });
    await runtime.createExclusive(
      `${dir}/${base}.json.${lock.token}.tmp`,
      '{"id":"torn","generat',
    );
    say(`locked ${lock.token}`);
    setInterval(() => {}, 60_000); // until killed
    break;
  }
  case "exit":
    break;
  default:
    throw new TypeError(`Cannot run child: unknown mode ${mode}`);
}
