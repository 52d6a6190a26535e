// Copyright 2026 the @ca/streams authors. MIT license.

// mariadbStore(): the checkpoint store conformance suite and MariaDB
// specifics, against the server at CA_TEST_MARIADB_URL (default
// mysql://root@127.0.0.1:3306/test; the database is created when missing).
// A missing server fails every test with how to start one. Tables are
// named for the run and dropped afterwards. Runs on Deno and Node.

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { Pool } from "mysql2/promise";
import {
  checkpointStoreConformance,
  uniqueId,
} from "../../tests/stores/conformance.ts";
import { testPool } from "./_mariadb_test_server.ts";
import { mariadbStore } from "./mariadb_store.ts";

const pools: Promise<Pool>[] = [];
function connect(limit = 4): Promise<Pool> {
  const pool = testPool(limit);
  pool.catch(() => {}); // every test awaits it and fails with the message
  pools.push(pool);
  return pool;
}
const connected = connect();

const run = uniqueId("run").replaceAll("-", "_");
const table = `ca_test_${run}`;
const dropped: string[] = [table];
const databases: string[] = [];

after(async () => {
  const pool = await connected.catch(() => undefined);
  if (pool !== undefined) {
    for (const name of dropped) {
      await pool.query(`DROP TABLE IF EXISTS \`${name}\``);
    }
    for (const name of databases) {
      await pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
    }
  }
  for (const made of pools) await (await made.catch(() => undefined))?.end();
});

checkpointStoreConformance(
  "mariadbStore()",
  async () => mariadbStore(await connected, { table }),
);

describe("mariadbStore() in MariaDB", () => {
  test("creates its table with the documented columns", async () => {
    const pool = await connected;
    await mariadbStore(pool, { table }).get("anything");
    const [columns] = await pool.query(
      `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_KEY AS k
       FROM information_schema.COLUMNS
       WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [table],
    );
    assert.deepEqual((columns as object[]).map((c) => ({ ...c })), [
      { name: "id", type: "varbinary(3072)", nullable: "NO", k: "PRI" },
      { name: "generation", type: "bigint(20)", nullable: "NO", k: "" },
      { name: "position", type: "longtext", nullable: "YES", k: "" },
      { name: "updated_at", type: "datetime(6)", nullable: "NO", k: "" },
    ]);
    const [[engine]] = await pool.query(
      `SELECT ENGINE AS engine FROM information_schema.TABLES
       WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
      [table],
    ) as unknown as [{ engine: string }[]];
    assert.equal(engine!.engine, "InnoDB");
  });

  test("many processes using a new table at once all succeed", async () => {
    await connected;
    // Each round: 8 stores on pools of one connection each find the new
    // table missing and create it at once; every acquire must succeed.
    const owned = await Promise.all(
      Array.from({ length: 8 }, () => connect(1)),
    );
    for (let round = 0; round < 3; round++) {
      const fresh = `ca_test_${run}_race_${round}`;
      dropped.push(fresh);
      const id = uniqueId("race");
      const stores = owned.map((pool) => mariadbStore(pool, { table: fresh }));
      const results = await Promise.all(
        stores.map((store) => store.acquire(id)),
      );
      assert.deepEqual(
        results.map((r) => r.generation).sort((a, b) => a - b),
        [1, 2, 3, 4, 5, 6, 7, 8],
      );
    }
  });

  test("a database-qualified table, and createTable: false with no table", async () => {
    const pool = await connected;
    const database = `ca_test_${run}_db`;
    databases.push(database);
    await pool.query(`CREATE DATABASE \`${database}\``);
    const store = mariadbStore(pool, { table: `${database}.Checkpoints` });
    const { generation } = await store.acquire("orders");
    await store.commit("orders", { b: 1, a: 2 }, generation);
    const [[row]] = await pool.query(
      `SELECT position FROM \`${database}\`.\`Checkpoints\` WHERE id = 'orders'`,
    ) as unknown as [{ position: string }[]];
    // The position's JSON as written, keys in their order.
    assert.equal(row!.position, '{"b":1,"a":2}');

    const missing = mariadbStore(pool, {
      table: `${database}.missing`,
      createTable: false,
    });
    await assert.rejects(
      missing.get("orders"),
      (error: { code?: string }) => error.code === "ER_NO_SUCH_TABLE",
    );
  });

  test("a signal stops a commit waiting on a locked row, which then changes nothing", async () => {
    const pool = await connected;
    const store = mariadbStore(pool, { table });
    const id = uniqueId("cancel");
    const { generation } = await store.acquire(id);
    await store.commit(id, "before", generation);
    const locker = await pool.getConnection();
    try {
      await locker.query("START TRANSACTION");
      await locker.query(`SELECT 1 FROM \`${table}\` WHERE id = ? FOR UPDATE`, [
        id,
      ]);
      const started = performance.now();
      await assert.rejects(
        store.commit(id, "after", generation, {
          signal: AbortSignal.timeout(300),
        }),
        (error: Error) => error.name === "TimeoutError",
      );
      assert.ok(performance.now() - started < 5_000);
      // The kill reaches the server a moment later: wait until no UPDATE
      // waits for the lock, then let go of it. A killed update must not run.
      for (let i = 0;; i++) {
        const [[{ waiting }]] = await pool.query(
          `SELECT COUNT(*) AS waiting FROM information_schema.PROCESSLIST
           WHERE INFO LIKE ? AND ID <> CONNECTION_ID()`,
          [`UPDATE \`${table}\` SET position%`],
        ) as unknown as [{ waiting: number }[]];
        if (Number(waiting) === 0) break;
        assert.ok(i < 100, "the UPDATE still waits 5 s after the signal");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await locker.query("COMMIT");
    } finally {
      locker.release();
    }
    assert.deepEqual(await store.get(id), { position: "before", generation });
  });

  test("ids and positions are bound as parameters, never spliced into SQL", async () => {
    const pool = await connected;
    const store = mariadbStore(pool, { table });
    const id = `'); DROP TABLE \`${table}\`; -- \\' \0`;
    const { generation } = await store.acquire(id);
    await store.commit(id, { sql: "'; DELETE FROM x; -- \\" }, generation);
    assert.deepEqual(await store.get(id), {
      position: { sql: "'; DELETE FROM x; -- \\" },
      generation,
    });
  });

  test("an id longer than 3072 bytes is a RangeError, one of 3072 is kept", async () => {
    const pool = await connected;
    const store = mariadbStore(pool, { table });
    await assert.rejects(store.acquire("é".repeat(1537)), RangeError);
    const id = `${uniqueId("long")}`.padEnd(3072, "x");
    const { generation } = await store.acquire(id);
    assert.deepEqual(await store.get(id), { position: undefined, generation });
  });

  test("bad arguments are TypeError", async () => {
    assert.throws(() => mariadbStore({} as never), TypeError);
    assert.throws(() => mariadbStore(null as never), TypeError);
    const pool = await connected;
    assert.throws(() => mariadbStore(pool, { table: "a..b" }), TypeError);
    assert.throws(() => mariadbStore(pool, { table: "a.b.c" }), TypeError);
  });
});
