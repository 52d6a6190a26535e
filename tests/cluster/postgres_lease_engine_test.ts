// Copyright 2026 the @ca/streams authors. MIT license.

// postgresLeaseEngine(): the lease engine conformance suite and PostgreSQL
// specifics, against the server at CA_TEST_POSTGRES_URL (default
// postgres://postgres@127.0.0.1:5432/test). A missing server fails every
// test with how to start one. Tables are named for the run and dropped
// afterwards. Runs on Deno and Node.

import assert from "node:assert/strict";
import process from "node:process";
import { after, describe, test } from "node:test";
import postgres from "postgres";
import { postgresLeaseEngine } from "@ca/streams/postgres";
import {
  leaseEngineConformance,
  uniquePrefix,
} from "./lease_engine_conformance.ts";

const URL_VARIABLE = "CA_TEST_POSTGRES_URL";
const url = process.env[URL_VARIABLE] ??
  "postgres://postgres@127.0.0.1:5432/test";
const HOW_TO_START =
  "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";
const TTL_MS = 1_000;

const instances: postgres.Sql[] = [];
function connect(max = 4): postgres.Sql {
  const sql = postgres(url, {
    max,
    connect_timeout: 3,
    onnotice: () => {},
  });
  instances.push(sql);
  return sql;
}

const sql = connect();
const connected = sql`SELECT 1`.then(
  () => sql,
  (error) => {
    throw new Error(
      `Cannot reach PostgreSQL at ${url} (${
        error?.message ?? error
      }): start it with \`${HOW_TO_START}\`, or point ${URL_VARIABLE} at one`,
    );
  },
);
connected.catch(() => {}); // every test awaits it and fails with the message
// A second client: engines alternate between them, as two hosts would.
const other = connect();

const run = `${Date.now().toString(36)}_${
  Math.random().toString(36).slice(2, 8)
}`;
const table = `ca_test_leases_${run}`;
const dropped: string[] = [table];
const schemas: string[] = [];

after(async () => {
  if (await connected.then(() => true, () => false)) {
    for (const name of dropped) {
      await sql.unsafe(`DROP TABLE IF EXISTS "${name}"`);
    }
    for (const name of schemas) {
      await sql.unsafe(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    }
  }
  await Promise.all(instances.map((instance) => instance.end({ timeout: 5 })));
});

let opened = 0;
leaseEngineConformance(
  "postgresLeaseEngine()",
  async () =>
    postgresLeaseEngine(opened++ % 2 === 0 ? await connected : other, {
      table,
      ttlMs: TTL_MS,
    }),
);

describe("postgresLeaseEngine() in PostgreSQL", () => {
  test("creates its table with the documented columns", async () => {
    const db = await connected;
    await postgresLeaseEngine(db, { table }).list("");
    const columns = await db`
      SELECT column_name, data_type, is_nullable, collation_name
      FROM information_schema.columns
      WHERE table_name = ${table} ORDER BY ordinal_position`;
    assert.deepEqual(columns.map((c) => ({ ...c })), [
      {
        column_name: "name",
        data_type: "text",
        is_nullable: "NO",
        collation_name: "C",
      },
      ...["holder", "token", "data"].map((column_name) => ({
        column_name,
        data_type: "text",
        is_nullable: "NO",
        collation_name: null,
      })),
      {
        column_name: "expires_at",
        data_type: "timestamp with time zone",
        is_nullable: "NO",
        collation_name: null,
      },
    ]);
  });

  test("expiry follows the database clock: a row whose expires_at passed is free", async () => {
    const db = await connected;
    const leases = postgresLeaseEngine(db, { table, ttlMs: 60_000 });
    const name = `${uniquePrefix("db-clock")}orders`;
    const lease = await leases.acquire(name, "host-a", "{}");
    assert.ok(lease !== undefined);
    // Another session's view of time decides; move the row's expiry back
    // as if a minute had passed on the server.
    await db.unsafe(
      `UPDATE "${table}" SET expires_at = clock_timestamp() - interval '1 second' WHERE name = $1`,
      [name],
    );
    assert.deepEqual(await leases.list(name), []);
    assert.deepEqual(await leases.renew([lease]), [undefined]);
    const taken = await leases.acquire(name, "host-b", "{}");
    assert.equal(taken?.holder, "host-b");
    const [{ left }] = await db.unsafe(
      `SELECT extract(epoch FROM expires_at - clock_timestamp()) AS left
       FROM "${table}" WHERE name = $1`,
      [name],
    );
    assert.ok(Number(left) > 50 && Number(left) <= 60, `left: ${left}`);
  });

  test("many engines using a new table at once all succeed, one lease each name", async () => {
    await connected;
    const connections = Array.from({ length: 8 }, () => connect(1));
    for (let round = 0; round < 3; round++) {
      const fresh = `ca_test_leases_${run}_race_${round}`;
      dropped.push(fresh);
      const engines = connections.map((db) =>
        postgresLeaseEngine(db, { table: fresh, ttlMs: TTL_MS })
      );
      const results = await Promise.all(
        engines.map((engine, i) =>
          engine.acquire("connector/orders", `host-${i}`, "{}")
        ),
      );
      assert.equal(results.filter((lease) => lease !== undefined).length, 1);
    }
  });

  test("renew() of a batch is one statement", async () => {
    const db = await connected;
    const statements: string[] = [];
    const counting = {
      unsafe(query: string, parameters?: (string | number | null)[]) {
        statements.push(query.trim().split(/\s+/)[0]!);
        return db.unsafe(query, parameters);
      },
    };
    const leases = postgresLeaseEngine(counting, { table, ttlMs: 60_000 });
    const prefix = uniquePrefix("one-statement");
    const batch = [];
    for (let i = 0; i < 20; i++) {
      batch.push((await leases.acquire(`${prefix}${i}`, "host-a", "{}"))!);
    }
    statements.length = 0;
    const renewed = await leases.renew(
      batch.map((lease, i) => ({ ...lease, data: `{"i":${i}}` })),
    );
    assert.deepEqual(statements, ["UPDATE"]);
    assert.equal(renewed.filter((lease) => lease !== undefined).length, 20);
    assert.deepEqual(
      (await leases.list(prefix)).map((lease) => lease.data).sort(),
      batch.map((_, i) => `{"i":${i}}`).sort(),
    );
  });

  test("a schema-qualified table, and createTable: false with no table", async () => {
    const db = await connected;
    const schema = `ca_test_leases_${run}_schema`;
    schemas.push(schema);
    await db.unsafe(`CREATE SCHEMA "${schema}"`);
    const leases = postgresLeaseEngine(db, { table: `${schema}.Leases` });
    assert.ok(await leases.acquire("host/a", "host-a", '{"x":1}'));
    const [row] = await db.unsafe(
      `SELECT holder, data FROM "${schema}"."Leases" WHERE name = 'host/a'`,
    );
    assert.deepEqual({ ...row }, { holder: "host-a", data: '{"x":1}' });

    const missing = postgresLeaseEngine(db, {
      table: `${schema}.missing`,
      createTable: false,
    });
    await assert.rejects(
      missing.list(""),
      (error: { code?: string }) => error.code === "42P01",
    );
  });

  test("a signal cancels an acquire waiting on a locked row, which then takes nothing", async () => {
    const db = await connected;
    const leases = postgresLeaseEngine(db, { table, ttlMs: 60_000 });
    const name = `${uniquePrefix("cancel")}orders`;
    const lease = await leases.acquire(name, "host-a", "{}");
    assert.ok(lease !== undefined);
    await db.unsafe(
      `UPDATE "${table}" SET expires_at = clock_timestamp() - interval '1 second' WHERE name = $1`,
      [name],
    );
    let release!: () => void;
    const holding = new Promise<void>((resolve) => release = resolve);
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => locked = resolve);
    const transaction = other.begin(async (tx) => {
      await tx.unsafe(`SELECT 1 FROM "${table}" WHERE name = $1 FOR UPDATE`, [
        name,
      ]);
      locked();
      await holding;
    });
    await isLocked;
    await assert.rejects(
      leases.acquire(name, "host-b", "{}", {
        signal: AbortSignal.timeout(300),
      }),
      (error: Error) => error.name === "TimeoutError",
    );
    for (let i = 0;; i++) {
      const [{ waiting }] = await db`
        SELECT count(*)::int AS waiting FROM pg_stat_activity
        WHERE wait_event_type = 'Lock' AND query LIKE ${`%INSERT INTO "${table}"%`}`;
      if (waiting === 0) break;
      assert.ok(i < 100, "the INSERT still waits 5 s after the cancel");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    release();
    await transaction;
    assert.deepEqual(await leases.list(name), []); // expired, not taken
    assert.equal(
      (await leases.acquire(name, "host-c", "{}"))?.holder,
      "host-c",
    );
  });

  test("a URL opens a client of its own, which close() ends", async () => {
    await connected;
    const leases = postgresLeaseEngine(url, { table, ttlMs: TTL_MS });
    const name = `${uniquePrefix("url")}orders`;
    const lease = await leases.acquire(name, "host-a", "{}");
    assert.ok(lease !== undefined);
    await leases.release(lease);
    await leases.close();
    await assert.rejects(leases.list(""), /the lease engine is closed/);
  });

  test("bad arguments are TypeError or RangeError", () => {
    assert.throws(() => postgresLeaseEngine({} as never), TypeError);
    assert.throws(() => postgresLeaseEngine("http://x"), TypeError);
    assert.throws(
      () => postgresLeaseEngine(sql, { table: "a..b" }),
      TypeError,
    );
    assert.throws(() => postgresLeaseEngine(sql, { ttlMs: 0 }), RangeError);
    assert.throws(
      () => postgresLeaseEngine(sql, { ttlMs: "10s" as never }),
      TypeError,
    );
  });
});
