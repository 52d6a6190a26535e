// Copyright 2026 the @ca/streams authors. MIT license.

// postgresStore(): the conformance suite and PostgreSQL specifics, against
// the server at CA_TEST_POSTGRES_URL (default
// postgres://postgres@127.0.0.1:5432/test). A missing server fails every
// test with how to start one. Tables are named for the run and dropped
// afterwards. Runs on Deno and Node.

import assert from "node:assert/strict";
import process from "node:process";
import { after, describe, test } from "node:test";
import postgres from "postgres";
import { postgresStore } from "@ca/streams/postgres";
import { checkpointStoreConformance, uniqueId } from "./conformance.ts";

const URL_VARIABLE = "CA_TEST_POSTGRES_URL";
const url = process.env[URL_VARIABLE] ??
  "postgres://postgres@127.0.0.1:5432/test";
const HOW_TO_START =
  "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";

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

const run = uniqueId("run").replaceAll("-", "_");
const table = `ca_test_${run}`;
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

checkpointStoreConformance(
  "postgresStore()",
  async () => postgresStore(await connected, { table }),
);

describe("postgresStore() in PostgreSQL", () => {
  test("creates its table with the documented columns", async () => {
    const db = await connected;
    await postgresStore(db, { table }).get("anything");
    const columns = await db`
      SELECT column_name, data_type, is_nullable
      FROM information_schema.columns
      WHERE table_name = ${table} ORDER BY ordinal_position`;
    assert.deepEqual(columns.map((c) => ({ ...c })), [
      { column_name: "id", data_type: "text", is_nullable: "NO" },
      { column_name: "generation", data_type: "bigint", is_nullable: "NO" },
      { column_name: "position", data_type: "jsonb", is_nullable: "YES" },
      {
        column_name: "updated_at",
        data_type: "timestamp with time zone",
        is_nullable: "NO",
      },
    ]);
  });

  test("many processes using a new table at once all succeed", async () => {
    await connected;
    // Each round: 8 stores on their own connections find the new table
    // missing and create it at once; the losers of that race must recover.
    const connections = Array.from({ length: 8 }, () => connect(1));
    for (let round = 0; round < 3; round++) {
      const fresh = `ca_test_${run}_race_${round}`;
      dropped.push(fresh);
      const id = uniqueId("race");
      const stores = connections.map((db) =>
        postgresStore(db, { table: fresh })
      );
      const results = await Promise.all(
        stores.map((store) => store.acquire(id)),
      );
      assert.deepEqual(
        results.map((r) => r.generation).sort((a, b) => a - b),
        [1, 2, 3, 4, 5, 6, 7, 8],
      );
    }
  });

  test("a schema-qualified table, and createTable: false with no table", async () => {
    const db = await connected;
    const schema = `ca_test_${run}_schema`;
    schemas.push(schema);
    await db.unsafe(`CREATE SCHEMA "${schema}"`);
    const store = postgresStore(db, { table: `${schema}.Checkpoints` });
    const { generation } = await store.acquire("orders");
    await store.commit("orders", "x", generation);
    const [row] = await db.unsafe(
      `SELECT position FROM "${schema}"."Checkpoints" WHERE id = 'orders'`,
    );
    assert.equal(row.position, "x");

    const missing = postgresStore(db, {
      table: `${schema}.missing`,
      createTable: false,
    });
    await assert.rejects(
      missing.get("orders"),
      (error: { code?: string }) => error.code === "42P01",
    );
  });

  test("a signal cancels a commit waiting on a locked row, which then changes nothing", async () => {
    const db = await connected;
    const store = postgresStore(db, { table });
    const id = uniqueId("cancel");
    const { generation } = await store.acquire(id);
    await store.commit(id, "before", generation);
    let release!: () => void;
    const holding = new Promise<void>((resolve) => release = resolve);
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => locked = resolve);
    const transaction = db.begin(async (tx) => {
      await tx.unsafe(`SELECT 1 FROM "${table}" WHERE id = $1 FOR UPDATE`, [
        id,
      ]);
      locked();
      await holding;
    });
    await isLocked;
    const started = performance.now();
    await assert.rejects(
      store.commit(id, "after", generation, {
        signal: AbortSignal.timeout(300),
      }),
      (error: Error) => error.name === "TimeoutError",
    );
    assert.ok(performance.now() - started < 5_000);
    // The call gave up at once; the cancel request reaches the server a
    // moment later. Wait for the blocked UPDATE to be gone, then let go of
    // the lock: a cancelled update must not run.
    for (let i = 0;; i++) {
      const [{ waiting }] = await db`
        SELECT count(*)::int AS waiting FROM pg_stat_activity
        WHERE wait_event_type = 'Lock' AND query LIKE ${`%UPDATE "${table}"%`}`;
      if (waiting === 0) break;
      assert.ok(i < 100, "the UPDATE still waits 5 s after the cancel");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    release();
    await transaction;
    assert.deepEqual(await store.get(id), { position: "before", generation });
  });

  test("ids and positions are bound as parameters, never spliced into SQL", async () => {
    const db = await connected;
    const store = postgresStore(db, { table });
    const id = `'); DROP TABLE "${table}"; --`;
    const { generation } = await store.acquire(id);
    await store.commit(id, { sql: "'; DELETE FROM x; --" }, generation);
    assert.deepEqual(await store.get(id), {
      position: { sql: "'; DELETE FROM x; --" },
      generation,
    });
  });

  test("bad arguments are TypeError", () => {
    assert.throws(() => postgresStore({} as never), TypeError);
    assert.throws(() => postgresStore(sql, { table: "a..b" }), TypeError);
  });
});
