// Copyright 2026 the @ca/streams authors. MIT license.
// mariadbSink({ exactlyOnce: true }) against the server at
// CA_TEST_MARIADB_URL (default mysql://root@127.0.0.1:3306/test): each
// batch and the pipeline's position in one InnoDB transaction, so that a
// rerun after an abort repeats no row, even with plain inserts; fencing;
// dead letters; every setup it refuses, with its reason; and a pipeline
// config (store type mariadb, a mariadb-sink on the same url) run as `ca
// run` runs it. Each test makes tables of its own, dropped at the end.

import assert from "node:assert/strict";
import { after, afterEach, test } from "node:test";
import mysql from "mysql2/promise";
import type { Pool } from "mysql2/promise";
import { FencedError } from "../../src/checkpoint/fenced_error.ts";
import { memoryStore } from "../../src/checkpoint/memory_store.ts";
import type { Position } from "../../src/checkpoint/position.ts";
import { builtinDefinitions } from "../../src/config/builtins/builtin_definitions.ts";
import { parsePipelineConfig } from "../../src/config/parse_pipeline_config.ts";
import { planPipeline } from "../../src/config/plan_pipeline.ts";
import { Registry } from "../../src/config/registry.ts";
import type { DeadLetter } from "../../src/failures/dead_letter.ts";
import { fanOut } from "../../src/graph/fan_out.ts";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { collect } from "../../src/sinks/collect.ts";
import { resumableSource } from "../../src/sources/resumable_source.ts";
import { RunnerHost } from "../cli/runner_host.ts";
import { uniqueTable } from "../postgres/_sql_test_helpers.ts";
import { ExactlyOnceError } from "../postgres/exactly_once_error.ts";
import { mariadbUrl, testPool } from "./_mariadb_test_server.ts";
import { mariadbDefinitions } from "./mariadb_definitions.ts";
import { mariadbSink } from "./mariadb_sink.ts";
import { mariadbStore } from "./mariadb_store.ts";

const connected = testPool(4);
connected.catch(() => {}); // every test awaits it and fails with the message
after(async () => await (await connected.catch(() => undefined))?.end());

const tables: string[] = [];
afterEach(async () => {
  const pool = await connected.catch(() => undefined);
  for (const name of tables.splice(0)) {
    await pool?.query(`DROP TABLE IF EXISTS \`${name}\``);
  }
});

/** A table of rows (n int, label text) with no key, and a checkpoint table. */
async function setup(label: string, columns = "n INT NOT NULL, label TEXT") {
  const pool = await connected;
  const rows = uniqueTable(label);
  const checkpoints = uniqueTable(`${label}_cp`);
  tables.push(rows, checkpoints);
  await pool.query(
    `CREATE TABLE \`${rows}\` (${columns}) ENGINE=InnoDB`,
  );
  return {
    pool,
    rows,
    checkpoints,
    store: mariadbStore(pool, { table: checkpoints }),
  };
}

/** Records 0..total-1 in batches of `size`; position = the last n. */
function numbers(total: number, size = 100, onBatch?: (last: number) => void) {
  return resumableSource<{ n: number; label: string }>({
    async *open(after?: Position) {
      const from = (after as number | undefined ?? -1) + 1;
      for (let i = from; i < total; i += size) {
        const records = [];
        for (let n = i; n < Math.min(i + size, total); n++) {
          records.push({ n, label: n % 7 === 3 ? "bad" : `r${n}` });
        }
        const last = records.at(-1)!.n;
        onBatch?.(last);
        yield { records, position: last };
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    },
  });
}

/** A TransformStream that passes each record on when the next one comes. */
function holdOneBack<T>(): TransformStream<T, T> {
  let held: { record: T } | undefined;
  return new TransformStream<T, T>({
    transform(record, controller) {
      if (held) controller.enqueue(held.record);
      held = { record };
    },
    flush(controller) {
      if (held) controller.enqueue(held.record);
    },
  });
}

async function counts(table: string, column = "n") {
  const pool = await connected;
  const [[row]] = await pool.query(
    `SELECT CAST(count(*) AS INT) AS \`rows\`,
       CAST(count(DISTINCT \`${column}\`) AS INT) AS distinct_n,
       CAST(coalesce(max(\`${column}\`), -1) AS INT) AS max
     FROM \`${table}\``,
  ) as unknown as [[{ rows: number; distinct_n: number; max: number }]];
  return { ...row };
}

async function failureOf(run: PromiseLike<unknown>): Promise<Error> {
  try {
    await run;
  } catch (error) {
    return ((error as Error).cause ?? error) as Error;
  }
  throw new Error("expected the pipeline to fail");
}

test("rows and the position land together: a rerun after an abort repeats no row", async () => {
  const { pool, rows, store } = await setup("eo_abort");
  const sink = () => mariadbSink({ pool, table: rows, exactlyOnce: true });
  // Abort the first run in the middle, with batches in flight.
  const controller = new AbortController();
  const first = pipeline(
    numbers(5000, 100, (last) => last >= 2499 && controller.abort()),
    sink(),
    {
      id: rows,
      checkpoint: { store, everyMs: 60_000 },
      signal: controller.signal,
    },
  );
  await first.catch(() => {});
  const half = await counts(rows);
  assert.ok(
    half.rows > 0 && half.rows < 5000,
    `${half.rows} rows after the abort`,
  );
  assert.equal(half.rows, half.distinct_n);
  // The stored position is exactly where the rows end.
  assert.equal((await store.get(rows)).position, half.max);

  const summary = await pipeline(numbers(5000), sink(), {
    id: rows,
    checkpoint: { store, everyMs: 60_000 },
  });
  assert.deepEqual(await counts(rows), {
    rows: 5000,
    distinct_n: 5000,
    max: 4999,
  });
  assert.equal(summary.position, 4999);
  assert.equal((await store.get(rows)).position, 4999);
});

test("an older instance is fenced: its next batch fails and is not stored", async () => {
  const { pool, rows, store } = await setup("eo_fenced");
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const source = resumableSource<{ n: number }>({
    async *open() {
      yield { records: [{ n: 0 }], position: 0 };
      await gate;
      yield { records: [{ n: 1 }], position: 1 };
    },
  });
  const run = pipeline(
    source,
    mariadbSink({ pool, table: rows, exactlyOnce: true }),
    { id: rows, checkpoint: { store } },
  );
  // Wait for the first row, then another instance takes the checkpoint over.
  while ((await counts(rows)).rows === 0) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const taken = await store.acquire(rows);
  release();
  const error = await failureOf(run);
  assert.ok(error instanceof FencedError, String(error));
  assert.deepEqual(await counts(rows), { rows: 1, distinct_n: 1, max: 0 });
  assert.deepEqual(await store.get(rows), {
    position: 0,
    generation: taken.generation,
  });
});

test("fencing holds on a pool that counts changed rows, not matched ones", async () => {
  // Without the FOUND_ROWS flag the server answers an UPDATE with the rows
  // it changed; with the clock of the session stopped, committing the same
  // position again changes nothing, and must not read as fenced.
  const { rows, checkpoints } = await setup("eo_changed");
  const pool = mysql.createPool({
    uri: mariadbUrl,
    connectionLimit: 1,
    flags: ["-FOUND_ROWS"],
  });
  pool.pool.on("connection", (connection) => {
    connection.query("SET timestamp = 1700000000");
  });
  after(() => pool.end());
  const store = mariadbStore(pool, { table: checkpoints });
  await pipeline(
    numbers(300),
    mariadbSink({ pool, table: rows, exactlyOnce: true }),
    { id: rows, checkpoint: { store } },
  );
  assert.deepEqual(await counts(rows), {
    rows: 300,
    distinct_n: 300,
    max: 299,
  });
  const { generation, position } = await store.get(rows);
  assert.equal(position, 299);
  const [result] = await pool.query(
    `UPDATE \`${checkpoints}\` SET position = '299', updated_at = CURRENT_TIMESTAMP(6)
     WHERE id = ?`,
    [rows],
  );
  assert.equal((result as { affectedRows: number }).affectedRows, 0);
  await store.commit(rows, 299, generation);
  await assert.rejects(store.commit(rows, 299, generation - 1), FencedError);
});

test("records that do not fit go to the dead letter; the rest and the position commit once", async () => {
  const { pool, rows, store } = await setup("eo_dead");
  await pool.query(
    `ALTER TABLE \`${rows}\` ADD CONSTRAINT no_bad CHECK (label <> 'bad')`,
  );
  const letters = collect<DeadLetter>();
  const summary = await pipeline(
    numbers(700),
    mariadbSink({ pool, table: rows, exactlyOnce: true }),
    { id: rows, checkpoint: { store }, deadLetter: letters },
  );
  const bad = Array.from({ length: 700 }, (_, n) => n).filter((n) =>
    n % 7 === 3
  );
  assert.deepEqual(
    letters.records.map((letter) => (letter.record as { n: number }).n),
    bad,
  );
  assert.deepEqual(await counts(rows), {
    rows: 700 - bad.length,
    distinct_n: 700 - bad.length,
    max: 699,
  });
  assert.equal(summary.position, 699);
  assert.equal((await store.get(rows)).position, 699);
});

test("with a url, the sink writes through the checkpoint store's pool of the same database", async () => {
  const { rows, store } = await setup("eo_url");
  await pipeline(
    numbers(300),
    mariadbSink({ url: mariadbUrl, table: rows, exactlyOnce: true }),
    { id: rows, checkpoint: { store } },
  );
  assert.deepEqual(await counts(rows), {
    rows: 300,
    distinct_n: 300,
    max: 299,
  });
  assert.equal((await store.get(rows)).position, 299);
});

test("refused setups: each fails at the first batch with ExactlyOnceError, nothing stored", async () => {
  const { pool, rows, store } = await setup("eo_refused");
  const other: Pool = await testPool(1);
  after(() => other.end());
  const otherDatabase = new URL(mariadbUrl);
  otherDatabase.pathname = "/mysql";
  const cases: [string, () => PromiseLike<unknown>, RegExp][] = [
    [
      "no checkpoint store",
      () =>
        pipeline(
          numbers(10),
          mariadbSink({ pool, table: rows, exactlyOnce: true }),
        ),
      /gives the sink no checkpoint/,
    ],
    [
      "a store of another kind",
      () =>
        pipeline(
          numbers(10),
          mariadbSink({ pool, table: rows, exactlyOnce: true }),
          { id: "x", checkpoint: { store: memoryStore() } },
        ),
      /checkpoint store is not a MariaDB store/,
    ],
    [
      "a store on another pool",
      () =>
        pipeline(
          numbers(10),
          mariadbSink({ pool, table: rows, exactlyOnce: true }),
          {
            id: "y",
            checkpoint: {
              store: mariadbStore(other, { table: uniqueTable("eo_other") }),
            },
          },
        ),
      /another mysql2 pool/,
    ],
    [
      "a url of another database",
      () =>
        pipeline(
          numbers(10),
          mariadbSink({
            url: otherDatabase.href,
            table: rows,
            exactlyOnce: true,
          }),
          { id: "z", checkpoint: { store } },
        ),
      /another database than the sink's url/,
    ],
    [
      "a processor that holds records back",
      () =>
        pipeline(
          numbers(10, 3),
          holdOneBack(),
          mariadbSink({ pool, table: rows, exactlyOnce: true }),
          { id: "w", checkpoint: { store } },
        ),
      /does not end where a batch of the source ended/,
    ],
    [
      "inside fanOut()",
      () =>
        pipeline(
          numbers(10),
          fanOut({
            db: mariadbSink({ pool, table: rows, exactlyOnce: true }),
            copy: collect(),
          }),
          { id: "v", checkpoint: { store } },
        ),
      /no checkpoint.*cannot sit inside fanOut\(\)/,
    ],
  ];
  for (const [what, run, message] of cases) {
    const error = await failureOf(run()).catch((error) => {
      throw new Error(`${what}: ${error.message}`);
    });
    assert.ok(error instanceof ExactlyOnceError, `${what}: ${error}`);
    assert.equal(error.code, "CA_ERR_EXACTLY_ONCE");
    assert.match(error.message, /^Cannot write exactly once to table "/);
    assert.match(error.message, message, what);
  }
  assert.equal((await counts(rows)).rows, 0);
});

test("exactlyOnce must be a boolean", () => {
  assert.throws(
    () =>
      mariadbSink({ url: mariadbUrl, table: "t", exactlyOnce: "yes" as never }),
    /Cannot create mariadbSink\(\): exactlyOnce must be true or false, got "yes"/,
  );
});

/** Runs a pipeline config in this process, as `ca run` runs its own runners. */
async function runConfig(text: string): Promise<void> {
  const registry = new Registry([
    ...builtinDefinitions(),
    ...mariadbDefinitions(),
  ]);
  const config = await parsePipelineConfig(text, { env: {}, registry });
  const [plan] = planPipeline(config, { baseUrl: "file:///tmp/" });
  const host = new RunnerHost(plan!, registry, { onListening() {} });
  const { finished } = await host.start();
  await finished;
}

test("a config: checkpoint store type mariadb and a mariadb-sink with exactlyOnce on the same url", async () => {
  const { rows, checkpoints } = await setup("eo_config", "id INT, value INT");
  const config = (sinkUrl: string, id = rows) => `
id: ${id}
runners: { main: { runtime: node } }
checkpoint:
  store: { type: mariadb, url: "${mariadbUrl}", table: ${checkpoints} }
  everyMs: 60000
processors:
  - { name: numbers, use: generate, args: { count: 5000 } }
  - name: rows
    use: mariadb-sink
    args: { url: "${sinkUrl}", table: ${rows}, exactlyOnce: true }
`;
  await runConfig(config(mariadbUrl));
  assert.deepEqual(await counts(rows, "id"), {
    rows: 5000,
    distinct_n: 5000,
    max: 4999,
  });
  // The sink committed the position (the pipeline commits none itself, and
  // everyMs would not have come): a second run resumes at the end.
  await runConfig(config(mariadbUrl));
  assert.equal((await counts(rows, "id")).rows, 5000);
  const store = mariadbStore(await connected, { table: checkpoints });
  assert.equal((await store.get(`${rows}/numbers`)).position, 4999);

  const otherDatabase = new URL(mariadbUrl);
  otherDatabase.pathname = "/mysql";
  const error = await failureOf(
    runConfig(config(otherDatabase.href, `${rows}_other`)),
  );
  assert.ok(error instanceof ExactlyOnceError, String(error));
  assert.match(error.message, /another database than the sink's url/);
  assert.equal((await counts(rows, "id")).rows, 5000);
});
