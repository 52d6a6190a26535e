// Copyright 2026 the @ca/streams authors. MIT license.
// The postgres-table-source definition: args checked without connecting,
// and create() makes a source that connects only when it reads (used once
// against CA_TEST_POSTGRES_URL).

import assert from "node:assert/strict";
import process from "node:process";
import { after, afterEach, test } from "node:test";
import postgres from "postgres";
import { memoryStore } from "../../src/checkpoint/memory_store.ts";
import type { ProcessorDefinition } from "../../src/config/define_processor.ts";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { collect } from "../../src/sinks/collect.ts";
import {
  RESUMABLE_SOURCE,
  type ResumableSource,
} from "../../src/sources/resumable_source.ts";
import { uniqueTable } from "./_sql_test_helpers.ts";
import { postgresDefinitions } from "./postgres_definitions.ts";

const url = process.env.CA_TEST_POSTGRES_URL ??
  "postgres://postgres@127.0.0.1:5432/test";

function sourceDefinition(): ProcessorDefinition {
  const found = postgresDefinitions().find((d) =>
    d.name === "postgres-table-source"
  );
  assert.ok(found, "postgres-table-source");
  assert.equal(found.kind, "source");
  assert.equal((found as ProcessorDefinition).delivery, "at-least-once");
  return found as ProcessorDefinition;
}

async function validate(args: unknown) {
  return await sourceDefinition().args["~standard"].validate(args);
}

const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
/** The tables of the test running, dropped after it, passed or failed. */
const tables: string[] = [];
afterEach(async () => {
  for (const name of tables.splice(0)) {
    await sql.unsafe(`DROP TABLE IF EXISTS "${name}"`).catch(() => {});
  }
});
after(() => sql.end({ timeout: 5 }));

test("postgres-table-source checks args without connecting", async () => {
  const ok = await validate({
    url: "postgresql://reader@db:5432/shop",
    table: "sales.outbox",
    key: "id",
    columns: ["id", "payload"],
    batchSize: 100,
    pollIntervalMs: 250,
  });
  assert.ok(!("issues" in ok && ok.issues), JSON.stringify(ok));
  const minimal = await validate({
    url: "postgres://x/y",
    table: "t",
    key: "id",
  });
  assert.ok(!("issues" in minimal && minimal.issues), JSON.stringify(minimal));
  for (
    const args of [
      { url: "mysql://x/y", table: "t", key: "id" },
      { table: "t", key: "id" },
      { url: "postgres://x/y", key: "id" },
      { url: "postgres://x/y", table: "t" },
      { url: "postgres://x/y", table: "a.b.c", key: "id" },
      { url: "postgres://x/y", table: "t", key: "" },
      { url: "postgres://x/y", table: "t", key: "id", columns: [] },
      { url: "postgres://x/y", table: "t", key: "id", batchSize: 0 },
      { url: "postgres://x/y", table: "t", key: "id", pollIntervalMs: 1.5 },
      { url: "postgres://x/y", table: "t", key: "id", slot: "s" },
    ]
  ) {
    const result = await validate(args);
    assert.ok(
      "issues" in result && result.issues?.length,
      JSON.stringify(args),
    );
  }
});

test("postgres-table-source creates a source that connects only when it reads", async () => {
  const context = {
    name: "rows",
    pipelineId: "p",
    baseUrl: "file:///etc/ca/",
    signal: new AbortController().signal,
  };
  // Nothing listens on port 1: creating the source does not notice.
  const unused = await sourceDefinition().create(
    { url: "postgres://postgres@127.0.0.1:1/test", table: "t", key: "id" },
    context,
  );
  assert.ok(RESUMABLE_SOURCE in (unused as object));
  const table = uniqueTable("table_source_definition");
  tables.push(table);
  await sql.unsafe(
    `CREATE TABLE "${table}" (id bigint PRIMARY KEY, note text, other int)`,
  );
  await sql.unsafe(`INSERT INTO "${table}" VALUES (2, 'b', 0), (1, 'a', 0)`);
  const source = await sourceDefinition().create({
    url,
    table,
    key: "id",
    columns: ["id", "note"],
    pollIntervalMs: 10,
  }, context) as ResumableSource<unknown>;
  const sink = collect();
  const running = pipeline(source, sink, {
    id: "definition",
    checkpoint: { store: memoryStore() },
  });
  const deadline = Date.now() + 10_000;
  while (sink.records.length < 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await running.stop();
  assert.deepEqual(sink.records, [{ id: "1", note: "a" }, {
    id: "2",
    note: "b",
  }]);
});
