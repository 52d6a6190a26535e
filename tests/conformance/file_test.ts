// Copyright 2026 the @ca/streams authors. MIT license.
// The conformance kit on the file connector: fileSource and fileSink, on
// Deno (source) and Node (dist/).
import { test } from "node:test";
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileSink, fileSource } from "@ca/streams/file";
import { sinkConformance, sourceConformance } from "@ca/streams/testing";
import { activeTimers, openFilesUnder, timersAbove } from "./_resources.ts";

interface Row {
  id: number;
  text: string;
  /** Only the bad record has one: JSON cannot hold a bigint. */
  big?: bigint;
}

const record = (id: number): Row => ({ id, text: `record ${id} ✓ "q" \\` });

function ndjson(rows: readonly Row[]): string {
  return rows.map((row) => JSON.stringify(row) + "\n").join("");
}

sourceConformance<Row>({
  name: "fileSource",
  record,
  key: (row) => String(row.id),
  async open() {
    const dir = await mkdtemp(join(tmpdir(), "ca-conformance-"));
    const path = join(dir, "in.ndjson");
    await writeFile(path, "");
    const timers = activeTimers();
    return {
      // Batches of 7 against writes of 10: batches end mid-write.
      source: () => fileSource<Row>(path, { batchSize: 7 }),
      write: (rows) => appendFile(path, ndjson(rows)),
      leaks: () => [...openFilesUnder(dir), ...timersAbove(timers)],
      close: () => rm(dir, { recursive: true, force: true }),
    };
  },
}, { test });

sinkConformance<Row>({
  name: "fileSink",
  record,
  badRecord: (id) => ({ id, text: "cannot be JSON", big: 1n }),
  key: (row) => String(row.id),
  async open() {
    const dir = await mkdtemp(join(tmpdir(), "ca-conformance-"));
    const path = join(dir, "out.ndjson");
    const timers = activeTimers();
    return {
      sink: () => fileSink<Row>(path),
      async read() {
        let text: string;
        try {
          text = await readFile(path, "utf8");
        } catch {
          return []; // not created yet
        }
        return text.split("\n").filter((line) => line !== "")
          .map((line) => JSON.parse(line) as Row);
      },
      leaks: () => [...openFilesUnder(dir), ...timersAbove(timers)],
      close: () => rm(dir, { recursive: true, force: true }),
    };
  },
}, { test });
