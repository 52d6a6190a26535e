// Copyright 2026 the @ca/streams authors. MIT license.
// The MariaDB definitions: args checked without connecting, and create()
// makes a sink that connects only when it writes and a store that owns its
// pool (both used once against CA_TEST_MARIADB_URL).

import assert from "node:assert/strict";
import { after, afterEach, test } from "node:test";
import type { Definition } from "../../src/config/definition_kinds.ts";
import type { ProcessorDefinition } from "../../src/config/define_processor.ts";
import type { StoreDefinition } from "../../src/config/define_store.ts";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { BATCH_SINK } from "../../src/sinks/batch_sink.ts";
import { uniqueTable } from "../postgres/_sql_test_helpers.ts";
import { mariadbUrl, testPool } from "./_mariadb_test_server.ts";
import { mariadbDefinitions } from "./mariadb_definitions.ts";

function definition(kind: string, name: string): Definition {
  const found = mariadbDefinitions().find((d) =>
    d.kind === kind && d.name === name
  );
  assert.ok(found, `${kind}:${name}`);
  return found;
}

async function validate(kind: string, name: string, args: unknown) {
  return await definition(kind, name).args["~standard"].validate(args);
}

const context = {
  name: "rows",
  pipelineId: "p",
  baseUrl: "file:///etc/ca/",
  signal: new AbortController().signal,
};

const connected = testPool(1);
connected.catch(() => {}); // the tests that need it await it
/** The tables of the test running, dropped after it, passed or failed. */
const tables: string[] = [];
afterEach(async () => {
  const pool = await connected.catch(() => undefined);
  for (const name of tables.splice(0)) {
    await pool?.query(`DROP TABLE IF EXISTS \`${name}\``);
  }
});
after(async () => await (await connected.catch(() => undefined))?.end());

test("mariadbDefinitions() check args without connecting", async () => {
  const ok = await validate("sink", "mariadb-sink", {
    url: "mariadb://app@db:3306/shop",
    table: "shop.orders",
    key: ["id"],
    mode: "upsert",
    columns: { id: "/id", customer: "/customer/name" },
    maxAttempts: 3,
    exactlyOnce: true,
  });
  assert.ok(!("issues" in ok && ok.issues), JSON.stringify(ok));
  const defaults = await validate("sink", "mariadb-sink", {
    url: "mysql://127.0.0.1/test",
    table: "orders",
  });
  assert.equal((defaults as { value: { mode: string } }).value.mode, "insert");
  for (
    const [kind, name, args] of [
      ["sink", "mariadb-sink", { url: "postgres://x/y", table: "t" }],
      ["sink", "mariadb-sink", { url: "mysql://x/y" }],
      ["sink", "mariadb-sink", {
        url: "mysql://x/y",
        table: "t",
        mode: "upsert",
      }],
      ["sink", "mariadb-sink", {
        url: "mysql://x/y",
        table: "t",
        columns: { a: "id" },
      }],
      ["sink", "mariadb-sink", { url: "mysql://x/y", table: "t", key: [] }],
      ["sink", "mariadb-sink", {
        url: "mysql://x/y",
        table: "t",
        maxAttempts: 0,
      }],
      ["sink", "mariadb-sink", {
        url: "mysql://x/y",
        table: "t",
        exactlyOnce: "yes",
      }],
      ["store", "mariadb", { url: "redis://x" }],
      ["store", "mariadb", { url: "mysql://x/y", table: "" }],
    ] as const
  ) {
    const result = await validate(kind, name, args);
    assert.ok(
      "issues" in result && result.issues?.length,
      `${name} ${JSON.stringify(args)}`,
    );
  }
});

test("mariadbDefinitions() create a sink that connects only when it writes", async () => {
  // Nothing listens on port 1: creating the sink does not notice.
  const unused =
    await (definition("sink", "mariadb-sink") as ProcessorDefinition)
      .create({
        url: "mysql://root@127.0.0.1:1/test",
        table: "t",
        mode: "insert",
      }, context);
  assert.ok(BATCH_SINK in (unused as object));
  const pool = await connected;
  const table = uniqueTable("definition");
  tables.push(table);
  await pool.query(
    `CREATE TABLE \`${table}\` (id INT PRIMARY KEY, customer TEXT)`,
  );
  const sink = await (definition("sink", "mariadb-sink") as ProcessorDefinition)
    .create({
      url: mariadbUrl,
      table,
      mode: "upsert",
      key: "id",
      columns: { id: "/id", customer: "/customer/name" },
    }, context);
  assert.ok(BATCH_SINK in (sink as object));
  await pipeline(
    [{ id: 1, customer: { name: "ada" } }],
    sink as WritableStream,
  );
  const [rows] = await pool.query(`SELECT id, customer FROM \`${table}\``);
  assert.deepEqual((rows as object[]).map((row) => ({ ...row })), [
    { id: 1, customer: "ada" },
  ]);
});

test("mariadbDefinitions() create a store that owns its pool", async () => {
  const pool = await connected;
  const table = uniqueTable("store");
  tables.push(table);
  const store = await (definition("store", "mariadb") as StoreDefinition)
    .create({ url: mariadbUrl, table }, context);
  const { generation } = await store.acquire("orders");
  await store.commit("orders", { offset: 3 }, generation);
  await store.close?.();
  const [rows] = await pool.query(
    `SELECT position FROM \`${table}\` WHERE id = 'orders'`,
  );
  assert.deepEqual(
    (rows as { position: string }[])[0]?.position,
    '{"offset":3}',
  );
});
