// Copyright 2026 the @ca/streams authors. MIT license.
// postgresSink() against the server at CA_TEST_POSTGRES_URL (default
// postgres://postgres@127.0.0.1:5432/test): statements, modes, columns,
// values of every kind, the errors of a table that is not ready and of
// records that do not fit, the dead letter, lost connections. Each test
// makes tables of its own, dropped at the end.

import assert from "node:assert/strict";
import process from "node:process";
import { after, afterEach, test } from "node:test";
import postgres from "postgres";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import type { DeadLetter } from "../../src/failures/dead_letter.ts";
import { BATCH_SINK } from "../../src/sinks/batch_sink.ts";
import { collect } from "../../src/sinks/collect.ts";
import { TcpProxy, uniqueTable } from "./_sql_test_helpers.ts";
import { postgresSink } from "./postgres_sink.ts";
import type { PostgresSinkSql } from "./postgres_sink.ts";
import { SqlRecordError } from "./sql_record_error.ts";
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

/** The tables of the test running, dropped after it, passed or failed. */
const tables: string[] = [];
afterEach(async () => {
  const names = tables.splice(0);
  if (!await connected.then(() => true, () => false)) return;
  for (const name of names) {
    await sql.unsafe(`DROP TABLE IF EXISTS "${name}"`);
  }
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

async function rows(
  name: string,
  order = "seq",
): Promise<Record<string, unknown>[]> {
  const found = await sql.unsafe(`SELECT * FROM "${name}" ORDER BY ${order}`);
  return found.map((row) => ({ ...row }));
}

/** The pipeline's failure, unwrapped from its StageError. */
async function failureOf(run: PromiseLike<unknown>): Promise<Error> {
  try {
    await run;
  } catch (error) {
    return ((error as Error).cause ?? error) as Error;
  }
  throw new Error("expected the pipeline to fail");
}

/** The real client, counting the INSERT statements sent through it. */
function counting(db: postgres.Sql): PostgresSinkSql & { inserts: number } {
  const counter = {
    inserts: 0,
    unsafe(query: string, parameters?: (string | number | null)[]) {
      if (query.startsWith("INSERT")) counter.inserts++;
      return db.unsafe(query, parameters);
    },
    begin: (fn: (tx: postgres.TransactionSql) => Promise<unknown>) =>
      db.begin(fn),
  };
  return counter as PostgresSinkSql & { inserts: number };
}

test("postgresSink() inserts each batch in one statement, in order", async () => {
  const db = await connected;
  const name = await table("insert", "seq bigserial, id int, text text");
  const client = counting(db);
  const records = Array.from(
    { length: 2500 },
    (_, id) => ({ id, text: `row ${id} "q" \\ {a,b} ✓` }),
  );
  const summary = await pipeline(
    records,
    postgresSink({ sql: client, table: name }),
    { batchSize: 1000 },
  );
  assert.equal(summary.recordsWritten, 2500);
  assert.equal(client.inserts, 3);
  const stored = await rows(name);
  assert.deepEqual(stored.map(({ id, text }) => ({ id, text })), records);
});

test("postgresSink() upsert updates by key, and the last record of a batch wins", async () => {
  const db = await connected;
  const name = await table(
    "upsert",
    "id int PRIMARY KEY, region text NOT NULL, total int",
  );
  const sink = () =>
    postgresSink({ sql: db, table: name, mode: "upsert", key: "id" });
  await pipeline([
    { id: 1, region: "eu", total: 1 },
    { id: 2, region: "us", total: 2 },
    { id: 1, region: "eu", total: 3 },
  ], sink());
  await pipeline([{ id: 2, region: "ap", total: 4 }], sink());
  assert.deepEqual(await rows(name, "id"), [
    { id: 1, region: "eu", total: 3 },
    { id: 2, region: "ap", total: 4 },
  ]);
  // A composite key, and a table whose every column is the key.
  const pairs = await table("pairs", "a int, b text, PRIMARY KEY (a, b)");
  await pipeline(
    [{ a: 1, b: "x" }, { a: 1, b: "x" }, { a: 1, b: "y" }],
    postgresSink({ sql: db, table: pairs, mode: "upsert", key: ["b", "a"] }),
  );
  assert.deepEqual(await rows(pairs, "a, b"), [
    { a: 1, b: "x" },
    { a: 1, b: "y" },
  ]);
});

test("postgresSink() columns take fields by JSON pointer or function", async () => {
  const db = await connected;
  const name = await table(
    "columns",
    `"Order Id" int, customer text, total_cents bigint, note text DEFAULT 'none'`,
  );
  type Order = { id: number; customer: { name: string }; total: number };
  await pipeline(
    [{ id: 7, customer: { name: "ada" }, total: 12.5 }] as Order[],
    postgresSink<Order>({
      sql: db,
      table: name,
      columns: {
        "Order Id": "/id",
        customer: "/customer/name",
        total_cents: (order) => BigInt(Math.round(order.total * 100)),
      },
    }),
  );
  assert.deepEqual(await rows(name, `"Order Id"`), [
    { "Order Id": 7, customer: "ada", total_cents: "1250", note: "none" },
  ]);
});

test("postgresSink() writes values of every kind into their columns", async () => {
  const db = await connected;
  const name = await table(
    "kinds",
    `seq bigserial, t text, i int, b bigint, n numeric, f float8, ok boolean,
     at timestamptz, day date, doc jsonb, raw json, tags text[], grid int[],
     bytes bytea, v varchar(10), nothing text`,
  );
  const at = new Date("2026-01-02T03:04:05.678Z");
  const record = {
    t: `quote " backslash \\ braces {a,b} comma, ünïcödé 🎉\nnew line`,
    i: -42,
    b: 9007199254740993n,
    n: "12345678901234567890.123456789",
    f: 0.1,
    ok: false,
    at,
    day: "2026-02-03",
    doc: { nested: { list: [1, "two", null] }, s: 'a "q"' },
    raw: ["x", 1],
    tags: ["a", "b c", 'd "e"', "f\\g", null, ""],
    grid: [[1, 2], [3, 4]],
    bytes: new Uint8Array([0, 1, 254, 255]),
    v: "short",
    nothing: null,
  };
  await pipeline(
    [record, { t: "second", doc: "a JSON string" }],
    postgresSink({ sql: db, table: name }),
  );
  const [first, second] = await rows(name);
  assert.equal(first!.t, record.t);
  assert.equal(first!.i, -42);
  assert.equal(first!.b, "9007199254740993");
  assert.equal(first!.n, "12345678901234567890.123456789");
  assert.equal(first!.f, 0.1);
  assert.equal(first!.ok, false);
  assert.equal((first!.at as Date).toISOString(), at.toISOString());
  assert.equal((first!.day as Date).toISOString().slice(0, 10), "2026-02-03");
  assert.deepEqual(first!.doc, record.doc);
  assert.deepEqual(first!.raw, record.raw);
  const [{ tags }] = await sql.unsafe(
    `SELECT array_to_json(tags)::text AS tags FROM "${name}" WHERE seq = $1`,
    [first!.seq as string],
  );
  assert.deepEqual(JSON.parse(tags), record.tags);
  assert.deepEqual(first!.grid, record.grid);
  assert.deepEqual([...(first!.bytes as Uint8Array)], [0, 1, 254, 255]);
  assert.equal(first!.v, "short");
  assert.equal(first!.nothing, null);
  // A field a record lacks is NULL; a string into jsonb is a JSON string.
  assert.equal(second!.i, null);
  assert.equal(second!.doc, "a JSON string");
});

test("postgresSink() a table that does not exist fails the pipeline, not into the dead letter", async () => {
  const db = await connected;
  const dead = collect<DeadLetter>();
  const error = await failureOf(
    pipeline(
      [{ id: 1 }, { id: 2 }],
      postgresSink({ sql: db, table: "ca_test_no_such_table" }),
      {
        deadLetter: dead,
      },
    ),
  );
  assert.ok(error instanceof SqlTableError, String(error));
  assert.equal(error.code, "CA_ERR_SQL_TABLE");
  assert.equal(error.table, "ca_test_no_such_table");
  assert.match(
    error.message,
    /^Cannot write to table "ca_test_no_such_table" \(postgres-sink\): the table does not exist; create it/,
  );
  assert.equal(dead.records.length, 0);
});

test("postgresSink() a column that does not exist or is generated names it", async () => {
  const db = await connected;
  const name = await table(
    "missing_column",
    "id int, doubled int GENERATED ALWAYS AS (id * 2) STORED",
  );
  const fromField = await failureOf(
    pipeline(
      [{ id: 1 }, { id: 2, qty: 3 }],
      postgresSink({ sql: db, table: name }),
    ),
  ) as SqlTableError;
  assert.ok(fromField instanceof SqlTableError, String(fromField));
  assert.equal(fromField.column, "qty");
  assert.match(
    fromField.message,
    /: it has no column "qty" \(a field of record 1\); add the column, or choose the columns/,
  );
  const fromOption = await failureOf(
    pipeline(
      [{ id: 1 }],
      postgresSink({
        sql: db,
        table: name,
        columns: { id: "/id", nope: "/id" },
      }),
    ),
  ) as SqlTableError;
  assert.equal(fromOption.column, "nope");
  const generated = await failureOf(
    pipeline([{ id: 1, doubled: 2 }], postgresSink({ sql: db, table: name })),
  ) as SqlTableError;
  assert.equal(generated.column, "doubled");
  assert.match(generated.message, /computed by the database/);
  assert.deepEqual(await rows(name, "id"), []);
});

test("postgresSink() upsert without a unique index on key names the table and what to do", async () => {
  const db = await connected;
  const name = await table("no_key", "id int, total int");
  const error = await failureOf(
    pipeline(
      [{ id: 1, total: 1 }],
      postgresSink({ sql: db, table: name, mode: "upsert", key: "id" }),
    ),
  );
  assert.ok(error instanceof SqlTableError, String(error));
  assert.match(
    error.message,
    /needs a primary key or unique index on exactly \(id\), and the table has none; add one \(ALTER TABLE .* ADD UNIQUE \(id\)\)/,
  );
});

test("postgresSink() a value that does not fit names the record and the column, and stores nothing of its batch", async () => {
  const name = await table(
    "bad_value",
    "seq bigserial, id int PRIMARY KEY, qty int",
  );
  const proxy = await TcpProxy.start(url);
  try {
    const error = await failureOf(
      pipeline(
        [{ id: 1, qty: 1 }, { id: 2, qty: 2 }, { id: 3, qty: "many" }, {
          id: 4,
          qty: 4,
        }],
        postgresSink({ url: proxy.url, table: name, key: "id" }),
      ),
    );
    assert.ok(error instanceof SqlRecordError, String(error));
    assert.equal(error.code, "CA_ERR_SQL_RECORD");
    assert.equal(error.index, 2);
    assert.deepEqual(error.key, { id: 3 });
    assert.equal(error.column, "qty");
    assert.equal(error.sqlState, "22P02");
    assert.deepEqual(error.record, { id: 3, qty: "many" });
    assert.equal(
      error.message,
      `Cannot write record 2 (id=3) to table "${name}" (postgres-sink): column "qty" (integer) cannot take "many": invalid input syntax for type integer: "many"; convert the field before the sink, or change the column's type`,
    );
    assert.deepEqual(await rows(name), []);
    // The sink let go of its connections, the transaction rolled back.
    for (let i = 0; proxy.connections > 0 && i < 100; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(proxy.connections, 0);
  } finally {
    await proxy.close();
  }
});

test("postgresSink() with a dead letter, only the records that do not fit go there and the rest is stored", async () => {
  const db = await connected;
  const name = await table(
    "dead_letter",
    "seq bigserial, id int UNIQUE, code varchar(5), small smallint, name text NOT NULL",
  );
  await db.unsafe(
    `INSERT INTO "${name}" (id, code, small, name) VALUES (0, 'old', 0, 'existing')`,
  );
  const records: Record<string, unknown>[] = Array.from(
    { length: 1000 },
    (_, i) => ({
      id: i + 1,
      code: `c${i % 1000}`,
      small: i % 100,
      name: `n${i}`,
    }),
  );
  const bad = new Map<number, string>([
    [10, "code"],
    [400, "small"],
    [401, "id"],
    [777, "name"],
    [999, "small"],
  ]);
  records[10]!.code = "far too long";
  records[400]!.small = 70000;
  records[401]!.id = 0; // already in the table
  records[777]!.name = null;
  records[999]!.small = "x";
  const dead = collect<DeadLetter>();
  const summary = await pipeline(
    records,
    postgresSink({ sql: db, table: name, key: "id" }),
    { deadLetter: dead, batchSize: 1000 },
  );
  assert.equal(summary.recordsDeadLettered, 5);
  assert.equal(summary.recordsWritten, 995);
  assert.deepEqual(
    dead.records.map((letter) => letter.record),
    [...bad.keys()].map((i) => records[i]),
  );
  for (const [n, letter] of dead.records.entries()) {
    const error = letter.error as SqlRecordError;
    const index = [...bad.keys()][n]!;
    assert.ok(error instanceof SqlRecordError, String(error));
    assert.equal(error.index, index);
    assert.equal(error.column, bad.get(index), error.message);
  }
  assert.match(
    (dead.records[0]!.error as Error).message,
    /column "code" \(character varying\(5\)\) cannot take "far too long": it is longer than 5 characters; convert the field/,
  );
  assert.match(
    (dead.records[2]!.error as Error).message,
    /Key \(id\)=\(0\) already exists/,
  );
  const stored = await rows(name);
  assert.deepEqual(
    stored.slice(1).map((row) => row.id),
    records.filter((_, i) => !bad.has(i)).map((record) => record.id),
  );
});

test("postgresSink() health() follows a lost connection, and the batch is stored once it is back", async () => {
  const name = await table("reconnect", "seq bigserial, id int");
  const proxy = await TcpProxy.start(url);
  try {
    const sink = postgresSink<{ id: number }>({
      url: proxy.url,
      table: name,
      retry: { maxAttempts: 1000, initialDelayMs: 10, maxDelayMs: 20 },
    });
    const health = () => sink[BATCH_SINK].health!();
    assert.equal(health().state, "connecting");
    const writer = sink.getWriter();
    await writer.write({ id: 1 });
    assert.equal(health().state, "connected");
    await proxy.down();
    const writing = writer.write({ id: 2 });
    for (let i = 0; health().state !== "reconnecting" && i < 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(health().state, "reconnecting");
    assert.ok(health().error, "the error is shown");
    await proxy.up();
    await writing;
    assert.equal(health().state, "connected");
    await writer.close();
    assert.deepEqual((await rows(name)).map((row) => row.id), [1, 2]);
    assert.equal(proxy.connections, 0);
  } finally {
    await proxy.close();
  }
});

test("postgresSink() a server still down after the retries fails the pipeline, nothing into the dead letter", async () => {
  const proxy = await TcpProxy.start(url);
  await proxy.down();
  try {
    const dead = collect<DeadLetter>();
    const error = await failureOf(
      pipeline(
        [{ id: 1 }, { id: 2 }],
        postgresSink({
          url: proxy.url,
          table: "anything",
          retry: { maxAttempts: 3, initialDelayMs: 1 },
        }),
        { deadLetter: dead },
      ),
    );
    assert.match(
      error.message,
      /^Cannot write to table "anything" \(postgres-sink\): .* \(after 3 attempts\)$/,
    );
    assert.equal(dead.records.length, 0);
  } finally {
    await proxy.close();
  }
});

test("postgresSink() checks its options at once", () => {
  const good = { url: "postgres://127.0.0.1/test", table: "t" };
  const bad: [object, RegExp][] = [
    [{ table: "t" }, /give sql .* or url/],
    [{ ...good, sql: { unsafe() {} } }, /give sql .* or url/],
    [
      { table: "t", sql: { unsafe() {} } },
      /sql must be an instance of the postgres package/,
    ],
    [{ ...good, url: "mysql://x/y" }, /url must be a postgres:\/\//],
    [{ ...good, table: "" }, /table must be a name/],
    [{ ...good, table: "a..b" }, /table must be a name/],
    [{ ...good, mode: "merge" }, /mode must be "insert" or "upsert"/],
    [{ ...good, mode: "upsert" }, /needs key/],
    [{ ...good, key: [] }, /key must be a column name/],
    [{ ...good, key: ["a", "a"] }, /key names a column twice/],
    [{ ...good, columns: [] }, /columns must be an object/],
    [{ ...good, columns: {} }, /at least one column/],
    [
      { ...good, columns: { a: "id" } },
      /columns.a must be a function of the record or a JSON pointer/,
    ],
    [
      { ...good, columns: { a: "/a" }, key: "id" },
      /key column "id" must be one of the columns/,
    ],
    [{ ...good, signal: "now" }, /signal must be an AbortSignal/],
  ];
  for (const [options, message] of bad) {
    assert.throws(
      () => postgresSink(options as never),
      (error: Error) =>
        error instanceof TypeError && message.test(error.message),
      JSON.stringify(options),
    );
  }
  assert.throws(
    () => postgresSink({ ...good, retry: { maxAttempts: 0 } }),
    RangeError,
  );
});
