// Copyright 2026 the @ca/streams authors. MIT license.
// The postgres-sink definition: args checked without connecting, and
// create() makes a sink that connects only when it writes (used once
// against CA_TEST_POSTGRES_URL).

import assert from "node:assert/strict";
import process from "node:process";
import { after, afterEach, test } from "node:test";
import postgres from "postgres";
import type { ProcessorDefinition } from "../../src/config/define_processor.ts";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { BATCH_SINK } from "../../src/sinks/batch_sink.ts";
import { uniqueTable } from "./_sql_test_helpers.ts";
import { postgresDefinitions } from "./postgres_definitions.ts";

const url = process.env.CA_TEST_POSTGRES_URL ??
  "postgres://postgres@127.0.0.1:5432/test";

function sinkDefinition(): ProcessorDefinition {
  const found = postgresDefinitions().find((d) => d.name === "postgres-sink");
  assert.ok(found, "postgres-sink");
  assert.equal(found.kind, "sink");
  return found as ProcessorDefinition;
}

async function validate(args: unknown) {
  return await sinkDefinition().args["~standard"].validate(args);
}

const context = {
  name: "rows",
  pipelineId: "p",
  baseUrl: "file:///etc/ca/",
  signal: new AbortController().signal,
};

const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
/** The tables of the test running, dropped after it, passed or failed. */
const tables: string[] = [];
afterEach(async () => {
  for (const name of tables.splice(0)) {
    await sql.unsafe(`DROP TABLE IF EXISTS "${name}"`).catch(() => {});
  }
});
after(() => sql.end({ timeout: 5 }));

test("postgres-sink checks args without connecting", async () => {
  const ok = await validate({
    url: "postgresql://app@db:5432/shop",
    table: "sales.orders",
    key: ["id"],
    mode: "upsert",
    columns: { id: "/id", customer: "/customer/name" },
    maxAttempts: 3,
    exactlyOnce: true,
  });
  assert.ok(!("issues" in ok && ok.issues), JSON.stringify(ok));
  const defaults = await validate({ url: "postgres://x/y", table: "t" });
  assert.equal((defaults as { value: { mode: string } }).value.mode, "insert");
  for (
    const args of [
      { url: "mysql://x/y", table: "t" },
      { url: "postgres://x/y" },
      { url: "postgres://x/y", table: "" },
      { url: "postgres://x/y", table: "t", mode: "upsert" },
      { url: "postgres://x/y", table: "t", mode: "merge" },
      { url: "postgres://x/y", table: "t", columns: { a: "id" } },
      { url: "postgres://x/y", table: "t", key: [] },
      { url: "postgres://x/y", table: "t", maxAttempts: 1.5 },
      { url: "postgres://x/y", table: "t", exactlyOnce: "yes" },
    ]
  ) {
    const result = await validate(args);
    assert.ok(
      "issues" in result && result.issues?.length,
      JSON.stringify(args),
    );
  }
});

test("postgres-sink creates a sink that connects only when it writes", async () => {
  // Nothing listens on port 1: creating the sink does not notice.
  const unused = await sinkDefinition().create(
    { url: "postgres://postgres@127.0.0.1:1/test", table: "t", mode: "insert" },
    context,
  );
  assert.ok(BATCH_SINK in (unused as object));
  const table = uniqueTable("definition");
  tables.push(table);
  await sql.unsafe(
    `CREATE TABLE "${table}" (id int PRIMARY KEY, customer text)`,
  );
  const sink = await sinkDefinition().create({
    url,
    table,
    mode: "upsert",
    key: "id",
    columns: { id: "/id", customer: "/customer/name" },
  }, context);
  assert.ok(BATCH_SINK in (sink as object));
  await pipeline(
    [{ id: 1, customer: { name: "ada" } }, {
      id: 1,
      customer: { name: "bob" },
    }],
    sink as WritableStream,
  );
  const rows = await sql.unsafe(`SELECT id, customer FROM "${table}"`);
  assert.deepEqual(rows.map((row) => ({ ...row })), [{
    id: 1,
    customer: "bob",
  }]);
});
