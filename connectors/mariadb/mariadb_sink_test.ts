// Copyright 2026 the @ca/streams authors. MIT license.
// mariadbSink() against the server at CA_TEST_MARIADB_URL (default
// mysql://root@127.0.0.1:3306/test; the database is created when missing):
// statements, modes, columns, values of every kind, the errors of a table
// that is not ready and of records that do not fit, the dead letter, lost
// connections. Each test makes tables of its own, dropped at the end.

import assert from "node:assert/strict";
import { after, afterEach, test } from "node:test";
import type { Pool, PoolConnection } from "mysql2/promise";
import type { DeadLetter } from "../../src/failures/dead_letter.ts";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { BATCH_SINK } from "../../src/sinks/batch_sink.ts";
import { collect } from "../../src/sinks/collect.ts";
import { TcpProxy, uniqueTable } from "../postgres/_sql_test_helpers.ts";
import { SqlRecordError } from "../postgres/sql_record_error.ts";
import { SqlTableError } from "../postgres/sql_table_error.ts";
import { mariadbUrl, testPool } from "./_mariadb_test_server.ts";
import { mariadbSink } from "./mariadb_sink.ts";
import type { MariadbPool, MariadbPoolConnection } from "./mariadb_pool.ts";

const connected = testPool();
connected.catch(() => {}); // every test awaits it and fails with the message

/** The tables of the test running, dropped after it, passed or failed. */
const tables: string[] = [];
afterEach(async () => {
  const names = tables.splice(0);
  const pool = await connected.catch(() => undefined);
  for (const name of names) {
    await pool?.query(`DROP TABLE IF EXISTS \`${name}\``);
  }
});
after(async () => await (await connected.catch(() => undefined))?.end());

/** Creates a table of the test's own from its column definitions. */
async function table(label: string, columns: string): Promise<string> {
  const pool = await connected;
  const name = uniqueTable(label);
  tables.push(name);
  await pool.query(
    `CREATE TABLE \`${name}\` (${columns}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  );
  return name;
}

async function rows(
  name: string,
  order = "seq",
): Promise<Record<string, unknown>[]> {
  const pool = await connected;
  const [found] = await pool.query(
    `SELECT * FROM \`${name}\` ORDER BY ${order}`,
  );
  return (found as object[]).map((row) => ({ ...row }));
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

/** The real pool, counting the INSERT statements sent through it. */
function counting(pool: Pool): MariadbPool & { inserts: number } {
  const count = (sql: string) => {
    if (sql.startsWith("INSERT")) counter.inserts++;
  };
  const counter = {
    inserts: 0,
    query(sql: string, values?: unknown[]) {
      count(sql);
      return pool.query(sql, values);
    },
    escape: (value: unknown) => pool.escape(value),
    async getConnection(): Promise<MariadbPoolConnection> {
      const connection: PoolConnection = await pool.getConnection();
      return {
        threadId: connection.threadId,
        query(sql: string, values?: unknown[]) {
          count(sql);
          return connection.query(sql, values);
        },
        release: () => connection.release(),
        destroy: () => connection.destroy(),
      };
    },
  };
  return counter;
}

test("mariadbSink() inserts each batch in one statement, in order", async () => {
  const pool = await connected;
  const name = await table(
    "insert",
    "seq BIGINT AUTO_INCREMENT PRIMARY KEY, id INT, text TEXT",
  );
  const client = counting(pool);
  const records = Array.from(
    { length: 2500 },
    (_, id) => ({ id, text: `row ${id} 'q' "q" \\ ✓ 🎉` }),
  );
  const summary = await pipeline(
    records,
    mariadbSink({ pool: client, table: name }),
    { batchSize: 1000 },
  );
  assert.equal(summary.recordsWritten, 2500);
  assert.equal(client.inserts, 3);
  const stored = await rows(name);
  assert.deepEqual(stored.map(({ id, text }) => ({ id, text })), records);
});

test("mariadbSink() upsert updates by key, and the last record of a batch wins", async () => {
  const pool = await connected;
  const name = await table(
    "upsert",
    "id INT PRIMARY KEY, region VARCHAR(10) NOT NULL, total INT",
  );
  const sink = () =>
    mariadbSink({ pool, table: name, mode: "upsert", key: "id" });
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
  const pairs = await table("pairs", "a INT, b VARCHAR(5), PRIMARY KEY (a, b)");
  await pipeline(
    [{ a: 1, b: "x" }, { a: 1, b: "x" }, { a: 1, b: "y" }],
    mariadbSink({ pool, table: pairs, mode: "upsert", key: ["b", "a"] }),
  );
  assert.deepEqual(await rows(pairs, "a, b"), [
    { a: 1, b: "x" },
    { a: 1, b: "y" },
  ]);
});

test("mariadbSink() columns take fields by JSON pointer or function", async () => {
  const pool = await connected;
  const name = await table(
    "columns",
    "`Order Id` INT, customer TEXT, total_cents BIGINT, note VARCHAR(10) DEFAULT 'none'",
  );
  type Order = { id: number; customer: { name: string }; total: number };
  await pipeline(
    [{ id: 7, customer: { name: "ada" }, total: 12.5 }] as Order[],
    mariadbSink<Order>({
      pool,
      table: name,
      columns: {
        "Order Id": "/id",
        customer: "/customer/name",
        total_cents: (order) => BigInt(Math.round(order.total * 100)),
      },
    }),
  );
  assert.deepEqual(await rows(name, "`Order Id`"), [
    { "Order Id": 7, customer: "ada", total_cents: 1250, note: "none" },
  ]);
});

test("mariadbSink() writes values of every kind into their columns", async () => {
  const name = await table(
    "kinds",
    `seq BIGINT AUTO_INCREMENT PRIMARY KEY, t TEXT, i INT, b BIGINT,
     n DECIMAL(30, 9), f DOUBLE, ok BOOLEAN, at DATETIME(3), day DATE,
     doc JSON, bytes BLOB, v VARCHAR(10), nothing TEXT`,
  );
  const proxy = await TcpProxy.start(mariadbUrl);
  try {
    const at = new Date("2026-01-02T03:04:05.678Z");
    const record = {
      t: `quote ' " backslash \\ nul \0 ünïcödé 🎉\nnew line`,
      i: -42,
      b: 9007199254740993n,
      n: "123456789012345678901.123456789",
      f: 0.1,
      ok: true,
      at,
      day: "2026-02-03",
      doc: { nested: { list: [1, "two", null] }, s: 'a "q"' },
      bytes: new Uint8Array([0, 1, 39, 92, 254, 255]),
      v: "short",
      nothing: null,
    };
    // Through a URL: the sink's own pool writes dates in UTC.
    await pipeline(
      [record, { t: "second", doc: "a JSON string" }],
      mariadbSink({ url: proxy.url, table: name }),
    );
  } finally {
    await proxy.close();
  }
  const pool = await connected;
  const [[first, second]] = await pool.query(
    `SELECT t, i, CAST(b AS CHAR) AS b, CAST(n AS CHAR) AS n, f, ok,
       DATE_FORMAT(at, '%Y-%m-%dT%H:%i:%s.%fZ') AS at, CAST(day AS CHAR) AS day,
       doc, HEX(bytes) AS bytes, v, nothing
     FROM \`${name}\` ORDER BY seq`,
  ) as unknown as [Record<string, unknown>[]];
  assert.deepEqual({ ...first }, {
    t: `quote ' " backslash \\ nul \0 ünïcödé 🎉\nnew line`,
    i: -42,
    b: "9007199254740993",
    n: "123456789012345678901.123456789",
    f: 0.1,
    ok: 1,
    at: "2026-01-02T03:04:05.678000Z",
    day: "2026-02-03",
    doc: { nested: { list: [1, "two", null] }, s: 'a "q"' },
    bytes: "0001275CFEFF",
    v: "short",
    nothing: null,
  });
  // A field a record lacks is NULL; a string into a JSON column is a JSON string.
  assert.equal(second!.i, null);
  assert.equal(second!.doc, "a JSON string");
});

test("mariadbSink() a table that does not exist fails the pipeline, not into the dead letter", async () => {
  const pool = await connected;
  const dead = collect<DeadLetter>();
  const error = await failureOf(
    pipeline(
      [{ id: 1 }, { id: 2 }],
      mariadbSink({ pool, table: "ca_test_no_such_table" }),
      {
        deadLetter: dead,
      },
    ),
  );
  assert.ok(error instanceof SqlTableError, String(error));
  assert.equal(error.code, "CA_ERR_SQL_TABLE");
  assert.equal(error.connector, "mariadb-sink");
  assert.match(
    error.message,
    /^Cannot write to table "ca_test_no_such_table" \(mariadb-sink\): the table does not exist in database "test"; create it/,
  );
  assert.equal(dead.records.length, 0);
});

test("mariadbSink() a column that does not exist or is generated names it", async () => {
  const pool = await connected;
  const name = await table(
    "missing_column",
    "id INT, doubled INT AS (id * 2) PERSISTENT",
  );
  const fromField = await failureOf(
    pipeline(
      [{ id: 1 }, { id: 2, qty: 3 }],
      mariadbSink({ pool, table: name }),
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
      mariadbSink({ pool, table: name, columns: { id: "/id", nope: "/id" } }),
    ),
  ) as SqlTableError;
  assert.equal(fromOption.column, "nope");
  const generated = await failureOf(
    pipeline([{ id: 1, doubled: 2 }], mariadbSink({ pool, table: name })),
  ) as SqlTableError;
  assert.equal(generated.column, "doubled");
  assert.match(generated.message, /computed by the database/);
  // Column names compare without case, as in MariaDB.
  await pipeline([{ ID: 5 }], mariadbSink({ pool, table: name }));
  assert.deepEqual(await rows(name, "id"), [{ id: 5, doubled: 10 }]);
});

test("mariadbSink() upsert without a unique index on key names the table and what to do", async () => {
  const pool = await connected;
  const name = await table("no_key", "id INT, total INT");
  const error = await failureOf(
    pipeline(
      [{ id: 1, total: 1 }],
      mariadbSink({ pool, table: name, mode: "upsert", key: "id" }),
    ),
  );
  assert.ok(error instanceof SqlTableError, String(error));
  assert.match(
    error.message,
    /needs a primary key or unique index on exactly \(id\), and the table has none; add one \(ALTER TABLE .* ADD UNIQUE \(id\)\)/,
  );
});

test("mariadbSink() a value that does not fit names the record and the column, and stores nothing of its batch", async () => {
  const name = await table(
    "bad_value",
    "seq BIGINT AUTO_INCREMENT PRIMARY KEY, id INT UNIQUE, qty INT",
  );
  const proxy = await TcpProxy.start(mariadbUrl);
  try {
    const error = await failureOf(
      pipeline(
        [{ id: 1, qty: 1 }, { id: 2, qty: 2 }, { id: 3, qty: "many" }, {
          id: 4,
          qty: 4,
        }],
        mariadbSink({ url: proxy.url, table: name, key: "id" }),
      ),
    );
    assert.ok(error instanceof SqlRecordError, String(error));
    assert.equal(error.code, "CA_ERR_SQL_RECORD");
    assert.equal(error.index, 2);
    assert.deepEqual(error.key, { id: 3 });
    assert.equal(error.column, "qty");
    assert.equal(error.sqlState, "22007");
    assert.deepEqual(error.record, { id: 3, qty: "many" });
    assert.equal(
      error.message,
      `Cannot write record 2 (id=3) to table "${name}" (mariadb-sink): column "qty" (int(11)) cannot take "many": Incorrect integer value: 'many' for column \`test\`.\`${name}\`.\`qty\`; convert the field before the sink, or change the column's type`,
    );
    assert.deepEqual(await rows(name), []);
    for (let i = 0; proxy.connections > 0 && i < 100; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(proxy.connections, 0);
  } finally {
    await proxy.close();
  }
});

test("mariadbSink() with a dead letter, only the records that do not fit go there and the rest is stored", async () => {
  const pool = await connected;
  const name = await table(
    "dead_letter",
    `seq BIGINT AUTO_INCREMENT PRIMARY KEY, id INT UNIQUE, code VARCHAR(5),
     small SMALLINT, name TEXT NOT NULL, doc JSON`,
  );
  await pool.query(
    `INSERT INTO \`${name}\` (id, code, small, name) VALUES (0, 'old', 0, 'existing')`,
  );
  const records: Record<string, unknown>[] = Array.from(
    { length: 1000 },
    (_, i) => ({ id: i + 1, code: `c${i}`, small: i % 100, name: `n${i}` }),
  );
  const bad = new Map<number, string | undefined>([
    [10, "code"],
    [400, "small"],
    [401, undefined], // a duplicate key: MariaDB names the key, not a column
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
    mariadbSink({ pool, table: name, key: "id" }),
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
    /column "code" \(varchar\(5\)\) cannot take "far too long": Data too long for column 'code'; convert the field/,
  );
  assert.match(
    (dead.records[2]!.error as Error).message,
    /Duplicate entry '0' for key 'id'/,
  );
  const stored = await rows(name);
  assert.deepEqual(
    stored.slice(1).map((row) => row.id),
    records.filter((_, i) => !bad.has(i)).map((record) => record.id),
  );
});

test("mariadbSink() health() follows a lost connection, and the batch is stored once it is back", async () => {
  const name = await table(
    "reconnect",
    "seq BIGINT AUTO_INCREMENT PRIMARY KEY, id INT",
  );
  const proxy = await TcpProxy.start(mariadbUrl);
  try {
    const sink = mariadbSink<{ id: number }>({
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
    for (let i = 0; proxy.connections > 0 && i < 100; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(proxy.connections, 0);
  } finally {
    await proxy.close();
  }
});

test("mariadbSink() a server still down after the retries fails the pipeline, nothing into the dead letter", async () => {
  const proxy = await TcpProxy.start(mariadbUrl);
  await proxy.down();
  try {
    const dead = collect<DeadLetter>();
    const error = await failureOf(
      pipeline(
        [{ id: 1 }, { id: 2 }],
        mariadbSink({
          url: proxy.url,
          table: "anything",
          retry: { maxAttempts: 3, initialDelayMs: 1 },
        }),
        { deadLetter: dead },
      ),
    );
    assert.match(
      error.message,
      /^Cannot write to table "anything" \(mariadb-sink\): .* \(after 3 attempts\)$/,
    );
    assert.equal(dead.records.length, 0);
  } finally {
    await proxy.close();
  }
});

test("mariadbSink() checks its options at once", () => {
  const good = { url: "mysql://127.0.0.1/test", table: "t" };
  const pool = { query() {}, escape() {}, getConnection() {} };
  const bad: [object, RegExp][] = [
    [{ table: "t" }, /give pool .* or url/],
    [{ ...good, pool }, /give pool .* or url/],
    [
      { table: "t", pool: { query() {} } },
      /pool must be a mysql2\/promise pool/,
    ],
    [
      { ...good, url: "postgres://x/y" },
      /url must be a mysql:\/\/ or mariadb:\/\//,
    ],
    [{ ...good, table: "a.b.c" }, /table must be a name/],
    [{ ...good, table: "" }, /table must be a name/],
    [{ ...good, mode: "replace" }, /mode must be "insert" or "upsert"/],
    [{ ...good, mode: "upsert" }, /needs key/],
    [
      { ...good, columns: { a: 1 } },
      /columns.a must be a function of the record or a JSON pointer/,
    ],
  ];
  for (const [options, message] of bad) {
    assert.throws(
      () => mariadbSink(options as never),
      (error: Error) =>
        error instanceof TypeError && message.test(error.message),
      JSON.stringify(options),
    );
  }
  // A real pool fits the interface the sink asks for.
  const typed: (pool: Pool) => MariadbPool = (pool) => pool;
  assert.equal(typeof typed, "function");
});
