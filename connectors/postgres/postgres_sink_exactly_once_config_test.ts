// Copyright 2026 the @ca/streams authors. MIT license.
// A pipeline config with checkpoint store type postgres and a postgres-sink
// with exactlyOnce on the same url, run in this process as `ca run` runs
// its own runners, against the server at CA_TEST_POSTGRES_URL (default
// postgres://postgres@127.0.0.1:5432/test): the sink writes through the
// store's client, commits the positions itself, and a sink in another
// database is refused. Tables of its own, dropped at the end.

import assert from "node:assert/strict";
import process from "node:process";
import { after, afterEach, test } from "node:test";
import postgres from "postgres";
import { builtinDefinitions } from "../../src/config/builtins/builtin_definitions.ts";
import { parsePipelineConfig } from "../../src/config/parse_pipeline_config.ts";
import { planPipeline } from "../../src/config/plan_pipeline.ts";
import { Registry } from "../../src/config/registry.ts";
import { RunnerHost } from "../cli/runner_host.ts";
import { uniqueTable } from "./_sql_test_helpers.ts";
import { ExactlyOnceError } from "./exactly_once_error.ts";
import { postgresDefinitions } from "./postgres_definitions.ts";
import { postgresStore } from "./postgres_store.ts";

const url = process.env.CA_TEST_POSTGRES_URL ??
  "postgres://postgres@127.0.0.1:5432/test";
const sql = postgres(url, { max: 2, connect_timeout: 3, onnotice: () => {} });
after(() => sql.end({ timeout: 5 }));

const tables: string[] = [];
afterEach(async () => {
  for (const name of tables.splice(0)) {
    await sql.unsafe(`DROP TABLE IF EXISTS "${name}"`);
  }
});

/** Runs a pipeline config in this process, as `ca run` runs its own runners. */
async function runConfig(text: string): Promise<void> {
  const registry = new Registry([
    ...builtinDefinitions(),
    ...postgresDefinitions(),
  ]);
  const config = await parsePipelineConfig(text, { env: {}, registry });
  const [plan] = planPipeline(config, { baseUrl: "file:///tmp/" });
  const host = new RunnerHost(plan!, registry, { onListening() {} });
  const { finished } = await host.start();
  await finished;
}

async function counts(table: string) {
  const [row] = await sql.unsafe(
    `SELECT count(*)::int AS rows, count(DISTINCT id)::int AS distinct_id,
       coalesce(max(id), -1)::int AS max FROM "${table}"`,
  );
  return { ...row };
}

test("a config: checkpoint store type postgres and a postgres-sink with exactlyOnce on the same url", async () => {
  const rows = uniqueTable("eo_config");
  const checkpoints = uniqueTable("eo_config_cp");
  tables.push(rows, checkpoints);
  await sql.unsafe(`CREATE TABLE "${rows}" (id int, value int)`);
  const config = (sinkUrl: string, id = rows) => `
id: ${id}
runners: { main: { runtime: node } }
checkpoint:
  store: { type: postgres, url: "${url}", table: ${checkpoints} }
  everyMs: 60000
processors:
  - { name: numbers, use: generate, args: { count: 5000 } }
  - name: rows
    use: postgres-sink
    args: { url: "${sinkUrl}", table: ${rows}, exactlyOnce: true }
`;
  await runConfig(config(url));
  assert.deepEqual(await counts(rows), {
    rows: 5000,
    distinct_id: 5000,
    max: 4999,
  });
  // The sink committed the position (the pipeline commits none itself, and
  // everyMs would not have come): a second run resumes at the end.
  await runConfig(config(url));
  assert.equal((await counts(rows)).rows, 5000);
  const store = postgresStore(sql, { table: checkpoints });
  assert.equal((await store.get(`${rows}/numbers`)).position, 4999);

  const otherDatabase = new URL(url);
  otherDatabase.pathname = "/postgres";
  const error = await runConfig(config(otherDatabase.href, `${rows}_other`))
    .then(() => undefined, (error) => (error as Error).cause ?? error);
  assert.ok(error instanceof ExactlyOnceError, String(error));
  assert.match(error.message, /another database than the sink's url/);
  assert.equal((await counts(rows)).rows, 5000);
});
