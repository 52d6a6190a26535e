// Copyright 2026 the @ca/streams authors. MIT license.
// postgresTableSource() against the server at CA_TEST_POSTGRES_URL (default
// postgres://postgres@127.0.0.1:5432/test): order and resume, transactions
// that commit out of order, updated rows, the records' values, the errors
// of a table that cannot serve, a lost connection. Each test makes tables
// of its own, dropped at the end. One test runs a private cluster of its
// own (initdb, pg_resetwal, pg_ctl in CA_TEST_PG_BIN, default
// /usr/lib/postgresql/15/bin; as root through runuser -u CA_TEST_PG_USER,
// default postgres), whose transaction ids wrap past 2^32 during the test.
// On Deno and Node.

import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { chown, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, afterEach, test } from "node:test";
import postgres from "postgres";
import { memoryStore } from "../../src/checkpoint/memory_store.ts";
import type { CheckpointStore } from "../../src/checkpoint/checkpoint_store.ts";
import { pipeline, type RunningPipeline } from "../../src/pipeline/pipeline.ts";
import { collect } from "../../src/sinks/collect.ts";
import { TcpProxy, uniqueTable } from "./_sql_test_helpers.ts";
import {
  type PostgresTableSource,
  postgresTableSource,
  type PostgresTableSourceOptions,
} from "./postgres_table_source.ts";
import { SqlTableError } from "./sql_table_error.ts";

const URL_VARIABLE = "CA_TEST_POSTGRES_URL";
const url = process.env[URL_VARIABLE] ??
  "postgres://postgres@127.0.0.1:5432/test";
const HOW_TO_START =
  "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";

const sql = postgres(url, { max: 4, connect_timeout: 3, onnotice: () => {} });
const connected = sql`SELECT 1`.then(() => sql, (error) => {
  throw new Error(
    `Cannot reach PostgreSQL at ${url} (${
      error?.message ?? error
    }): start it with \`${HOW_TO_START}\`, or point ${URL_VARIABLE} at one`,
  );
});
connected.catch(() => {}); // every test awaits it and fails with the message

/** The tables and roles of the test running, dropped after it, passed or failed. */
const tables: string[] = [];
const roles: string[] = [];
afterEach(async () => {
  const names = tables.splice(0);
  const users = roles.splice(0);
  if (!await connected.then(() => true, () => false)) return;
  for (const name of names) {
    await sql.unsafe(`DROP TABLE IF EXISTS "${name}" CASCADE`);
  }
  for (const name of users) await sql.unsafe(`DROP ROLE IF EXISTS "${name}"`);
});
after(() => sql.end({ timeout: 5 }));

/** Creates a table of the test's own from its column definitions. */
async function table(label: string, columns: string): Promise<string> {
  const db = await connected;
  const name = uniqueTable(label);
  tables.push(name);
  await db.unsafe(`CREATE TABLE "${name}" (${columns})`);
  return name;
}

/** Resolves after `ms`. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `condition()` holds; fails after 10 s (a bound, not a timing assertion). */
async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Waits for `count` more polls of `source` than it had made when called. */
async function polls(
  source: PostgresTableSource<unknown>,
  count: number,
): Promise<void> {
  let seen = source.status().polledAt;
  let left = count;
  await until(() => {
    const now = source.status().polledAt;
    if (now !== seen) {
      seen = now;
      left--;
    }
    return left <= 0;
  }, `${count} polls`);
}

type Row = { id: string; note: string };

interface Run {
  source: PostgresTableSource<Row>;
  running: RunningPipeline;
  records: Row[];
}

/** Runs the source into a collecting sink, with a checkpoint in `store`. */
function run(
  options: Omit<PostgresTableSourceOptions, "sql" | "url">,
  store: CheckpointStore,
): Run {
  const source = postgresTableSource<Row>({
    sql,
    pollIntervalMs: 10,
    ...options,
  });
  const sink = collect<Row>();
  const running = pipeline(source, sink, {
    id: "table",
    checkpoint: { store, everyRecords: 1 },
  });
  return { source, running, records: sink.records };
}

/** Waits for `count` records in all, then stops the run. */
async function readThenStop(read: Run, count: number): Promise<Row[]> {
  await until(
    () => read.records.length >= count,
    `${count} records (got ${read.records.length})`,
  );
  await read.running.stop();
  return read.records;
}

const ids = (rows: readonly { id: unknown }[]) => rows.map((r) => String(r.id));

/** The first SqlTableError in the cause chain of what `running` failed with. */
async function tableErrorOf(
  running: PromiseLike<unknown>,
): Promise<SqlTableError> {
  let error: unknown;
  try {
    await running;
  } catch (e) {
    error = e;
  }
  for (let at = error; at instanceof Error; at = at.cause) {
    if (at instanceof SqlTableError) return at;
  }
  assert.fail(`expected a SqlTableError, got ${error}`);
}

test("postgresTableSource() reads rows in key order and resumes after the checkpointed position", async () => {
  const name = await table("order", "id bigint PRIMARY KEY, note text");
  // One transaction, keys out of order: they come sorted by key.
  await sql.unsafe(
    `INSERT INTO "${name}" VALUES (5, 'e'), (2, 'b'), (7, 'g'), (1, 'a'), (3, 'c'), (6, 'f'), (4, 'd')`,
  );
  const store = memoryStore();
  const first = run({ table: name, key: "id", batchSize: 3 }, store);
  const read = await readThenStop(first, 7);
  assert.deepEqual(ids(read), ["1", "2", "3", "4", "5", "6", "7"]);
  assert.deepEqual(read[0], { id: "1", note: "a" });
  const { position } = await store.get("table");
  assert.equal(typeof (position as { xid: unknown }).xid, "string");
  assert.equal((position as { key: unknown }).key, "7");

  await sql.unsafe(`INSERT INTO "${name}" VALUES (9, 'i'), (8, 'h')`);
  await sql.unsafe(`INSERT INTO "${name}" VALUES (0, 'z')`);
  const second = run({ table: name, key: "id", batchSize: 3 }, store);
  // By transaction, then by key: 8 and 9 were written before 0.
  assert.deepEqual(ids(await readThenStop(second, 3)), ["8", "9", "0"]);

  // A reset to no position reads the table from the start.
  const third = postgresTableSource<Row>({
    sql,
    table: name,
    key: "id",
    pollIntervalMs: 10,
  });
  const sink = collect<Row>();
  const again = pipeline(third, sink, {
    id: "table",
    checkpoint: { store, reset: "start" },
  });
  await until(() => sink.records.length >= 10, "10 records");
  await again.stop();
  assert.deepEqual(ids(sink.records), [
    ..."1234567".split(""),
    "8",
    "9",
    "0",
  ]);
});

test("postgresTableSource() loses no row of transactions that commit out of order", async () => {
  const name = await table("out_of_order", "id bigint PRIMARY KEY, note text");
  await sql.unsafe(`INSERT INTO "${name}" VALUES (5, 'before')`);
  const store = memoryStore();
  const first = run({ table: name, key: "id" }, store);
  await until(() => first.records.length === 1, "row 5");

  // T1 writes id 10 and stays open; T2 writes id 11 and commits.
  const t1 = await sql.reserve();
  let t1Xid: string;
  let committed = false;
  try {
    await t1.unsafe("BEGIN");
    await t1.unsafe(`INSERT INTO "${name}" VALUES (10, 'T1')`);
    [{ xid: t1Xid }] = await t1.unsafe(
      "SELECT pg_current_xact_id()::text AS xid",
    );
    await sql.unsafe(`INSERT INTO "${name}" VALUES (11, 'T2')`);
    const [{ visible }] = await sql.unsafe(
      `SELECT count(*)::int AS visible FROM "${name}" WHERE id = 11`,
    );
    assert.equal(visible, 1, "T2's row is committed");

    // Polls while T1 is open deliver neither row: 11 would move the
    // position past 10, which T1 has not committed yet.
    await polls(first.source, 3);
    assert.deepEqual(ids(first.records), ["5"]);
    // The horizon is at T1, or at an older transaction of someone else's.
    const status = first.source.status();
    assert.ok(status.heldBackBy !== undefined, JSON.stringify(status));
    assert.ok(BigInt(status.heldBackBy.xid) <= BigInt(t1Xid!));
    assert.equal(status.horizon, status.heldBackBy.xid);
    // The process stops (or crashes) meanwhile: its checkpoint is row 5's.
    await first.running.stop();

    await t1.unsafe("COMMIT");
    committed = true;
  } finally {
    // A failed assertion must not leave T1 open: it would hold the table.
    if (!committed) await t1.unsafe("ROLLBACK").catch(() => {});
    t1.release();
  }

  const second = run({ table: name, key: "id" }, store);
  const read = await readThenStop(second, 2);
  // T1 took its xid before T2: its row comes first.
  assert.deepEqual(ids(read), ["10", "11"]);
  const third = run({ table: name, key: "id" }, store);
  await sql.unsafe(`INSERT INTO "${name}" VALUES (12, 'after')`);
  assert.deepEqual(ids(await readThenStop(third, 1)), ["12"]);
  // Every row once over the three runs.
  assert.deepEqual(
    ids([...first.records, ...second.records, ...third.records]),
    ["5", "10", "11", "12"],
  );
  assert.equal(third.source.status().heldBackBy, undefined);
});

test("postgresTableSource() reads an updated row again, and no delete", async () => {
  const name = await table("updated", "id bigint PRIMARY KEY, note text");
  await sql.unsafe(`INSERT INTO "${name}" VALUES (1, 'a'), (2, 'b'), (3, 'c')`);
  const store = memoryStore();
  const read = run({ table: name, key: "id" }, store);
  await until(() => read.records.length === 3, "3 rows");
  await sql.unsafe(`UPDATE "${name}" SET note = 'b2' WHERE id = 2`);
  await sql.unsafe(`DELETE FROM "${name}" WHERE id = 1`);
  await sql.unsafe(`INSERT INTO "${name}" VALUES (4, 'd')`);
  await until(() => read.records.length >= 5, "5 records");
  await polls(read.source, 2);
  await read.running.stop();
  assert.deepEqual(read.records, [
    { id: "1", note: "a" },
    { id: "2", note: "b" },
    { id: "3", note: "c" },
    { id: "2", note: "b2" },
    { id: "4", note: "d" },
  ]);
});

test("postgresTableSource() gives the columns asked for, with values as the postgres package parses them", async () => {
  const name = await table(
    "values",
    `seq bigserial PRIMARY KEY, n int, price numeric(10,2), at timestamptz, doc jsonb, ok boolean, "Mixed Case" text`,
  );
  await sql.unsafe(
    `INSERT INTO "${name}" (n, price, at, doc, ok, "Mixed Case") VALUES (7, 12.5, '2026-05-01T10:00:00Z', '{"a":[1,2]}', true, 'x')`,
  );
  const store = memoryStore();
  const all = await readThenStop(run({ table: name, key: "seq" }, store), 1);
  assert.deepEqual(all[0], {
    seq: "1",
    n: 7,
    price: "12.50",
    at: new Date("2026-05-01T10:00:00Z"),
    doc: { a: [1, 2] },
    ok: true,
    "Mixed Case": "x",
  });
  assert.equal(
    JSON.stringify((all[0] as unknown as { at: Date }).at),
    '"2026-05-01T10:00:00.000Z"',
  );
  const some = await readThenStop(
    run(
      { table: name, key: "seq", columns: ["Mixed Case", "n"] },
      memoryStore(),
    ),
    1,
  );
  assert.deepEqual(some, [{ "Mixed Case": "x", n: 7 }]);
});

test("postgresTableSource() applies a given client's column name transform to the records", async () => {
  const name = await table(
    "transform",
    "order_id bigint PRIMARY KEY, created_by text",
  );
  await sql.unsafe(`INSERT INTO "${name}" VALUES (2, 'bob'), (1, 'ada')`);
  const camel = postgres(url, {
    max: 1,
    onnotice: () => {},
    transform: postgres.camel,
  });
  try {
    const source = postgresTableSource({
      sql: camel,
      table: name,
      key: "order_id",
      pollIntervalMs: 10,
    });
    const sink = collect();
    const running = pipeline(source, sink);
    await until(() => sink.records.length >= 2, "2 records");
    await running.stop();
    assert.deepEqual(sink.records, [
      { orderId: "1", createdBy: "ada" },
      { orderId: "2", createdBy: "bob" },
    ]);
  } finally {
    await camel.end({ timeout: 1 });
  }
});

test("postgresTableSource() fails clearly on a table that cannot serve", async () => {
  const good = await table(
    "bad_input",
    "id bigint PRIMARY KEY, note text, dup int",
  );
  const nullable = await table("nullable_key", "id int UNIQUE, note text");
  const view = uniqueTable("view");
  tables.push(view);
  await sql.unsafe(`CREATE VIEW "${view}" AS SELECT * FROM "${good}"`);
  const missing = uniqueTable("missing");
  const cases: Array<{
    options: Omit<PostgresTableSourceOptions, "sql" | "url">;
    table: string;
    column?: string;
    says: RegExp;
  }> = [
    {
      options: { table: missing, key: "id" },
      table: missing,
      says: /it does not exist; create it/,
    },
    {
      options: { table: `no_such_schema.${good}`, key: "id" },
      table: `no_such_schema.${good}`,
      says: /it does not exist/,
    },
    {
      options: { table: view, key: "id" },
      table: view,
      says: /it is not a table/,
    },
    {
      options: { table: good, key: "ident" },
      table: good,
      column: "ident",
      says:
        /it has no column "ident" \(the key\); set key .*\(its columns: id, note, dup\)/,
    },
    {
      options: { table: good, key: "dup" },
      table: good,
      column: "dup",
      says:
        /key column "dup" is neither its primary key nor NOT NULL with a unique index/,
    },
    {
      options: { table: nullable, key: "id" },
      table: nullable,
      column: "id",
      says: /key column "id" is neither/,
    },
    {
      options: { table: good, key: "id", columns: ["id", "notes"] },
      table: good,
      column: "notes",
      says: /it has no column "notes" \(of the columns option\)/,
    },
  ];
  for (const { options, table: named, column, says } of cases) {
    const { running } = run(options, memoryStore());
    const error = await tableErrorOf(running);
    assert.equal(error.code, "CA_ERR_SQL_TABLE");
    assert.equal(error.connector, "postgres-table-source");
    assert.equal(error.table, named);
    assert.equal(error.column, column);
    assert.match(
      error.message,
      new RegExp(
        `^Cannot read table "${
          named.replace(/[.]/g, "\\.")
        }" \\(postgres-table-source\\): `,
      ),
    );
    assert.match(error.message, says);
  }
});

test("postgresTableSource() fails clearly for a user who may not read the table", async () => {
  const name = await table("rights", "id bigint PRIMARY KEY, note text");
  const role = uniqueTable("role");
  roles.push(role);
  await sql.unsafe(`CREATE ROLE "${role}" LOGIN`);
  const as = new URL(url);
  as.username = role;
  const cases: Array<[string, RegExp]> = [
    ["", /may not read it .*; grant it: GRANT SELECT ON "ca_test_/],
    // Column grants do not cover xmin.
    [
      `GRANT SELECT (id, note) ON "${name}" TO "${role}"`,
      /column grants do not cover/,
    ],
  ];
  for (const [grant, says] of cases) {
    if (grant !== "") await sql.unsafe(grant);
    const source = postgresTableSource({
      url: as.href,
      table: name,
      key: "id",
    });
    const error = await tableErrorOf(pipeline(source, collect()));
    assert.equal(error.table, name);
    assert.match(error.message, new RegExp(`user "${role}" may not read it`));
    assert.match(error.message, says);
  }
  await sql.unsafe(`REVOKE ALL ON "${name}" FROM "${role}"`);
});

test("postgresTableSource() retries polls over a lost connection, and ends the client it opened", async () => {
  const name = await table("reconnect", "id bigint PRIMARY KEY, note text");
  await sql.unsafe(`INSERT INTO "${name}" VALUES (1, 'a')`);
  const proxy = await TcpProxy.start(url);
  try {
    const source = postgresTableSource<Row>({
      url: proxy.url,
      table: name,
      key: "id",
      pollIntervalMs: 10,
    });
    assert.equal(source.status().polledAt, undefined);
    const sink = collect<Row>();
    const running = pipeline(source, sink, {
      id: "reconnect",
      checkpoint: { store: memoryStore() },
    });
    await until(() => sink.records.length === 1, "row 1");
    assert.equal(running.health.sources.source?.state, "connected");
    await proxy.down();
    await until(
      () => running.health.sources.source?.state === "reconnecting",
      "the source to report reconnecting",
    );
    assert.ok(running.health.sources.source?.error);
    await sql.unsafe(`INSERT INTO "${name}" VALUES (2, 'b')`);
    await proxy.up();
    await until(() => sink.records.length === 2, "row 2");
    assert.equal(running.health.sources.source?.state, "connected");
    await running.stop();
    assert.deepEqual(ids(sink.records), ["1", "2"]);
    await until(() => proxy.connections === 0, "the client to be ended");
  } finally {
    await proxy.close();
  }
});

test("postgresTableSource() fails at once when the server cannot be reached at the start", async () => {
  const proxy = await TcpProxy.start(url);
  await proxy.down(); // connecting is refused
  try {
    const source = postgresTableSource({
      url: proxy.url,
      table: "outbox",
      key: "id",
    });
    const running = pipeline(source, collect());
    assert.equal(running.health.sources.source?.state, "connecting");
    let failure: unknown;
    await Promise.resolve(running).catch((error) => failure = error);
    let found = failure;
    while (
      found instanceof Error && !found.message.startsWith("Cannot read table")
    ) found = found.cause;
    assert.ok(found instanceof Error, String(failure));
    assert.match(
      found.message,
      new RegExp(
        `^Cannot read table "outbox" \\(postgres-table-source\\) on 127\\.0\\.0\\.1:${proxy.port}/test: .*ECONNREFUSED`,
      ),
    );
  } finally {
    await proxy.close();
  }
});

test("postgresTableSource() leaves a client it was given open", async () => {
  const name = await table("given", "id bigint PRIMARY KEY, note text");
  await sql.unsafe(`INSERT INTO "${name}" VALUES (1, 'a')`);
  const read = await readThenStop(
    run({ table: name, key: "id" }, memoryStore()),
    1,
  );
  assert.deepEqual(ids(read), ["1"]);
  const [{ one }] = await sql.unsafe("SELECT 1 AS one");
  assert.equal(one, 1);
});

test("postgresTableSource() checks its options when made", () => {
  const base = { url: "postgres://127.0.0.1/test", table: "t", key: "id" };
  const bad: Array<[unknown, RegExp, ErrorConstructor]> = [
    [null, /options must be an object/, TypeError],
    [{ table: "t", key: "id" }, /give sql .* or url/, TypeError],
    [{ ...base, sql }, /give sql .* or url/, TypeError],
    [{ ...base, url: "mysql://x/y" }, /url must be a postgres:\/\//, TypeError],
    [{ table: "t", key: "id", sql: {} }, /sql must be an instance/, TypeError],
    [{ ...base, table: "" }, /table must be a name/, TypeError],
    [{ ...base, table: "a.b.c" }, /table must be a name/, TypeError],
    [{ ...base, table: "a." }, /table must be a name/, TypeError],
    [{ ...base, key: 1 }, /key must be a column name/, TypeError],
    [{ ...base, columns: [] }, /columns must be a non-empty array/, TypeError],
    [
      { ...base, columns: ["a", "a"] },
      /columns names a column twice/,
      TypeError,
    ],
    [
      { ...base, batchSize: 0 },
      /batchSize must be an integer of at least 1/,
      RangeError,
    ],
    [
      { ...base, pollIntervalMs: 1.5 },
      /pollIntervalMs must be an integer/,
      RangeError,
    ],
    [{ ...base, signal: "stop" }, /signal must be an AbortSignal/, TypeError],
  ];
  for (const [options, message, type] of bad) {
    assert.throws(
      () => postgresTableSource(options as PostgresTableSourceOptions),
      (error: unknown) => {
        assert.ok(error instanceof type, String(error));
        assert.match(error.message, /^Cannot create postgres-table-source: /);
        assert.match(error.message, message);
        return true;
      },
      JSON.stringify(options),
    );
  }
});

test("postgresTableSource() refuses a position it did not give", async () => {
  const name = await table("position", "id bigint PRIMARY KEY, note text");
  const store = memoryStore();
  const { generation } = await store.acquire("table");
  await store.commit("table", 42, generation);
  const { running } = run({ table: name, key: "id" }, store);
  await assert.rejects(Promise.resolve(running), (error: unknown) => {
    let found: unknown = error;
    while (found instanceof Error && !(found instanceof TypeError)) {
      found = found.cause;
    }
    assert.ok(found instanceof TypeError, String(error));
    assert.match(
      found.message,
      /^Cannot open postgres-table-source on table .*: the position to resume after must be \{ xid, key \}/,
    );
    return true;
  });
});

const BIN = process.env.CA_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";
const RUN_AS = process.env.CA_TEST_PG_USER ?? "postgres";

/** Runs a PostgreSQL program, as RUN_AS when root (initdb refuses root). */
function runPg(program: string, args: string[]): Promise<void> {
  const root = process.getuid?.() === 0;
  const command = join(BIN, program);
  const [file, argv] = root
    ? ["runuser", ["-u", RUN_AS, "--", command, ...args]]
    : [command, args];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { encoding: "utf8" }, (error, _out, stderr) => {
      if (error) {
        reject(
          new Error(
            `Cannot run ${program} for the test cluster (set CA_TEST_PG_BIN to PostgreSQL's bin folder${
              root ? ", and CA_TEST_PG_USER to a user who may run it" : ""
            }): ${stderr || error.message}`,
          ),
        );
      } else resolve();
    });
  });
}

function sparePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A private cluster whose next transaction id is 2000 short of 2^32 in
 * epoch 7 (so xid8 = 7 * 2^32 + xid): everything initdb made is frozen
 * first, then pg_resetwal moves the counter, with the commit log segment
 * it lands in (pg_xact/0FFF) made as zeros. Stop it with `stop()`.
 */
async function wrappingCluster(): Promise<
  { url: string; stop(): Promise<void> }
> {
  const dir = await mkdtemp(join(tmpdir(), "ca-pg-wrap-"));
  const root = process.getuid?.() === 0;
  const owner = root
    ? [
      Number(execFileSync("id", ["-u", RUN_AS], { encoding: "utf8" })),
      Number(execFileSync("id", ["-g", RUN_AS], { encoding: "utf8" })),
    ] as const
    : undefined;
  if (owner) await chown(dir, ...owner);
  const data = join(dir, "data");
  const port = await sparePort();
  const settings =
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c autovacuum=off`;
  const start = () =>
    runPg("pg_ctl", [
      "-D",
      data,
      "-o",
      settings,
      "-l",
      join(dir, "log"),
      "-w",
      "start",
    ]);
  let running = false;
  const stop = async () => {
    if (running) {
      running = false;
      await runPg("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"])
        .catch(() => {});
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await runPg("initdb", [
      "-D",
      data,
      "-U",
      "postgres",
      "--auth=trust",
      "--no-sync",
      "--encoding=UTF8",
      "--locale=C",
    ]);
    await start();
    running = true;
    await runPg("vacuumdb", [
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-U",
      "postgres",
      "--all",
      "--freeze",
      "--quiet",
    ]);
    await runPg("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
    running = false;
    await runPg("pg_resetwal", [
      "-e",
      "7",
      "-x",
      String(2 ** 32 - 2000),
      "-D",
      data,
    ]);
    const segment = join(data, "pg_xact", "0FFF");
    await writeFile(segment, new Uint8Array(256 * 1024));
    if (owner) await chown(segment, ...owner);
    await start();
    running = true;
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop };
}

test(
  "postgresTableSource() keeps the order of transactions across the 32-bit xid wraparound",
  { timeout: 60_000 },
  async () => {
    const cluster = await wrappingCluster();
    const db = postgres(cluster.url, { max: 8, onnotice: () => {} });
    try {
      await db.unsafe("CREATE TABLE wrap (id bigint PRIMARY KEY, note text)");
      const written = async (id: number) => {
        const [{ xid }] = await db.unsafe(
          `WITH i AS (INSERT INTO wrap VALUES (${id}, 'row ${id}')) SELECT pg_current_xact_id()::text AS xid`,
        );
        return xid as string;
      };
      // Row 1 before the wrap, row 0 after it: a smaller xmin, a later transaction.
      const before = await written(1);
      await Promise.all(
        Array.from({ length: 2100 }, () => db`SELECT pg_current_xact_id()`),
      );
      const later = await written(0);
      const [{ a, b }] = await db.unsafe(
        "SELECT min(xmin::text::bigint) AS b, max(xmin::text::bigint) AS a FROM wrap",
      );
      assert.ok(BigInt(b) < BigInt(a), "the xmin of row 0 is below row 1's");
      assert.equal(BigInt(before) >> 32n, 7n);
      assert.equal(BigInt(later) >> 32n, 8n);

      const source = postgresTableSource<Row>({
        sql: db,
        table: "wrap",
        key: "id",
        batchSize: 1,
        pollIntervalMs: 10,
      });
      const store = memoryStore();
      const sink = collect<Row>();
      const positions: unknown[] = [];
      const running = pipeline(source, sink, {
        id: "wrap",
        checkpoint: { store, everyRecords: 1 },
      });
      await until(() => sink.records.length >= 2, "2 records");
      await polls(source, 1);
      positions.push((await store.get("wrap")).position);
      await running.stop();
      assert.deepEqual(ids(sink.records), ["1", "0"]);
      // The positions are the transactions' xid8, as pg_current_xact_id() says.
      assert.deepEqual(positions, [{ xid: later, key: "0" }]);
      // Resumed after row 1's position, only row 0 comes.
      const again = collect<Row>();
      const rerun = pipeline(source, again, {
        id: "wrap",
        checkpoint: { store, reset: { position: { xid: before, key: "1" } } },
      });
      await until(() => again.records.length >= 1, "row 0 again");
      await polls(source, 1);
      await rerun.stop();
      assert.deepEqual(ids(again.records), ["0"]);
    } finally {
      await db.end({ timeout: 1 });
      await cluster.stop();
    }
  },
);
