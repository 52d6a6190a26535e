// Copyright 2026 the @ca/streams authors. MIT license.
// postgresDefinitionStore() against the server at CA_TEST_POSTGRES_URL
// (default postgres://postgres@127.0.0.1:5432/test): the definition store
// conformance suite (reopen is a store over a second client, as another
// host would open it), then the table, the primary key that refuses the
// loser of a race, a client of its own from a URL, and the registry's
// definition. A missing server fails every test with how to start one.
// Each test makes tables of its own, dropped at the end.

import assert from "node:assert/strict";
import process from "node:process";
import { after, afterEach, describe, test } from "node:test";
import postgres from "postgres";
import type { DefinitionStoreDefinition } from "../../src/config/define_definition_store.ts";
import type { DefinitionEvent } from "../../src/definition_store/definition_event.ts";
import { definitionStoreConformance } from "../../src/testing/definition_store_conformance.ts";
import { uniqueTable } from "./_sql_test_helpers.ts";
import { postgresDefinitionStore } from "./postgres_definition_store.ts";
import { postgresDefinitionStoreDefinitions } from "./postgres_definition_store_definition.ts";
import type { PostgresSql } from "./postgres_store.ts";

const URL_VARIABLE = "CA_TEST_POSTGRES_URL";
const url = process.env[URL_VARIABLE] ??
  "postgres://postgres@127.0.0.1:5432/test";
const HOW_TO_START =
  "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";
const AT = "2026-03-01T12:00:00.000Z";

const sql = postgres(url, { max: 4, connect_timeout: 3, onnotice: () => {} });
const other = postgres(url, { max: 4, connect_timeout: 3, onnotice: () => {} });
const connected = sql`SELECT 1`.then(() => sql, (error) => {
  throw new Error(
    `Cannot reach PostgreSQL at ${url} (${
      error?.message ?? error
    }): start it with \`${HOW_TO_START}\`, or point ${URL_VARIABLE} at one`,
  );
});
connected.catch(() => {}); // every test awaits it and fails with the message

/** Tables made by the test running, dropped after it, passed or failed. */
const tables: string[] = [];
async function drop(names: string[]): Promise<void> {
  if (!await connected.then(() => true, () => false)) return;
  for (const name of names) {
    await sql.unsafe(`DROP TABLE IF EXISTS "${name}"`);
  }
}
afterEach(() => drop(tables.splice(0)));
after(() => Promise.all([sql.end({ timeout: 5 }), other.end({ timeout: 5 })]));

/** A table name of the test's own, dropped after it. */
function table(label: string): string {
  const name = uniqueTable(label);
  tables.push(name);
  return name;
}

definitionStoreConformance({
  name: "postgresDefinitionStore()",
  durable: true,
  async open() {
    const db = await connected;
    const name = uniqueTable("definitions");
    return {
      store: postgresDefinitionStore(db, { table: name }),
      reopen: () =>
        postgresDefinitionStore(other as unknown as PostgresSql, {
          table: name,
        }),
      close: () => drop([name]),
    };
  },
}, { test });

function created(connector: string): DefinitionEvent {
  return {
    type: "created",
    connector,
    at: AT,
    data: { config: { id: connector } },
  };
}
function started(connector: string): DefinitionEvent {
  return { type: "started", connector, at: AT, data: {} };
}

describe("postgresDefinitionStore() in PostgreSQL", () => {
  test("creates its table with the documented columns and primary key, one row per event", async () => {
    const db = await connected;
    const name = table("columns");
    const store = postgresDefinitionStore(db, { table: name });
    await store.append("orders", [created("orders"), started("orders")], 0);
    const columns = await db`
      SELECT column_name, data_type, is_nullable
      FROM information_schema.columns
      WHERE table_name = ${name} ORDER BY ordinal_position`;
    assert.deepEqual(columns.map((c) => ({ ...c })), [
      { column_name: "connector", data_type: "text", is_nullable: "NO" },
      { column_name: "version", data_type: "integer", is_nullable: "NO" },
      { column_name: "type", data_type: "text", is_nullable: "NO" },
      {
        column_name: "at",
        data_type: "timestamp with time zone",
        is_nullable: "NO",
      },
      { column_name: "data", data_type: "jsonb", is_nullable: "NO" },
    ]);
    const key = await db`
      SELECT a.attname FROM pg_index i
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = ${name}::regclass AND i.indisprimary
      ORDER BY array_position(i.indkey, a.attnum)`;
    assert.deepEqual(key.map((row) => row.attname), ["connector", "version"]);
    const rows = await db.unsafe(
      `SELECT connector, version, type, at = $1::timestamptz AS same_at, data
       FROM "${name}" ORDER BY version`,
      [AT],
    );
    assert.deepEqual(rows.map((row) => ({ ...row })), [
      {
        connector: "orders",
        version: 1,
        type: "created",
        same_at: true,
        data: { config: { id: "orders" } },
      },
      {
        connector: "orders",
        version: 2,
        type: "started",
        same_at: true,
        data: {},
      },
    ]);
    await store.close();
  });

  test("an append that reaches the primary key after a concurrent one committed gets WrongExpectedVersionError", async () => {
    const db = await connected;
    const name = table("race");
    const store = postgresDefinitionStore(db, { table: name });
    await store.append("orders", [created("orders")], 0);
    let appending: Promise<number> | undefined;
    await other.begin(async (tx) => {
      // Another host's append at version 1, not yet committed.
      await tx.unsafe(
        `INSERT INTO "${name}" (connector, version, type, at, data)
         VALUES ('orders', 2, 'started', now(), '{}')`,
      );
      appending = store.append("orders", [started("orders")], 1);
      appending.catch(() => {});
      // Commit only once the append waits on the row's primary key.
      for (const deadline = Date.now() + 10_000;;) {
        if (Date.now() > deadline) {
          throw new Error("the append never waited on the primary key");
        }
        const [waiting] = await db`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO%'
            AND query LIKE ${`%${name}%`}`;
        if (waiting!.n > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    });
    await assert.rejects(appending!, {
      name: "WrongExpectedVersionError",
      code: "CA_ERR_WRONG_EXPECTED_VERSION",
      expectedVersion: 1,
      actualVersion: 2,
      message:
        'Cannot append to connector "orders": expected version 1, the stream is at 2',
    });
    assert.deepEqual((await store.read("orders")).map((e) => e.version), [
      1,
      2,
    ]);
    await store.close();
  });

  test("stores racing to create the table all succeed", async () => {
    const db = await connected;
    const name = table("create_race");
    const stores = Array.from(
      { length: 5 },
      (_, i) =>
        postgresDefinitionStore(i % 2 ? db : other as unknown as PostgresSql, {
          table: name,
        }),
    );
    const versions = await Promise.all(
      stores.map((store, i) => store.append(`c${i}`, [created(`c${i}`)], 0)),
    );
    assert.deepEqual(versions, [1, 1, 1, 1, 1]);
    assert.equal((await stores[0]!.list()).length, 5);
    await Promise.all(stores.map((store) => store.close()));
  });

  test("a store given a URL opens its own client and ends it in close()", async () => {
    await connected;
    const name = table("own_client");
    const store = postgresDefinitionStore(url, { table: name });
    assert.equal(await store.append("orders", [created("orders")], 0), 1);
    const [{ n: before }] = await sql`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()`;
    await store.close();
    const [{ n: afterClose }] = await sql`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()`;
    assert.ok(afterClose < before, `${afterClose} < ${before} connections`);
    await assert.rejects(
      store.list(),
      /Cannot list connectors: the store is closed/,
    );
    const again = postgresDefinitionStore(sql, { table: name });
    assert.deepEqual(await again.list(), [
      { connector: "orders", version: 1, deleted: false },
    ]);
    await again.close();
  });

  test("with createTable false a missing table is the server's error", async () => {
    const db = await connected;
    const store = postgresDefinitionStore(db, {
      table: uniqueTable("missing"),
      createTable: false,
    });
    await assert.rejects(store.list(), { code: "42P01" });
    await store.close();
  });
});

describe("postgresDefinitionStore() without a server", () => {
  test("refuses a client that is neither a postgres instance nor a postgres URL, and a bad table", () => {
    assert.throws(
      () => postgresDefinitionStore("http://db/x"),
      /^TypeError: Cannot create PostgreSQL definition store: the url must be a postgres:\/\/ or postgresql:\/\/ URL$/,
    );
    assert.throws(
      () => postgresDefinitionStore({} as never),
      /give a postgres instance \(postgres\(url\)\) or a postgres:\/\/ URL, got an object/,
    );
    assert.throws(
      () => postgresDefinitionStore(url, { table: "a..b" }),
      /table must be a name such as "definitions"/,
    );
  });

  test("a call given up by its signal cancels its query", async () => {
    let cancelled = false;
    const sent = Promise.withResolvers<void>();
    const stuck: PostgresSql = {
      unsafe() {
        sent.resolve();
        return Object.assign(new Promise<readonly object[]>(() => {}), {
          cancel() {
            cancelled = true;
          },
        });
      },
    };
    const store = postgresDefinitionStore(stuck, { createTable: false });
    const controller = new AbortController();
    const reading = store.read("orders", { signal: controller.signal });
    await sent.promise;
    const reason = new Error("too slow");
    controller.abort(reason);
    await assert.rejects(reading, (error) => error === reason);
    assert.ok(cancelled);
  });

  test("the postgres definition store definition checks its url and table", async () => {
    const [definition] = postgresDefinitionStoreDefinitions() as [
      DefinitionStoreDefinition,
    ];
    assert.equal(definition.kind, "definitionStore");
    assert.equal(definition.name, "postgres");
    const validate = definition.args["~standard"].validate;
    assert.ok(!(await validate({ url, table: "t" })).issues);
    assert.match(
      JSON.stringify((await validate({ url: "mysql://db/x" })).issues),
      /expected a postgres:\/\/ or postgresql:\/\/ URL/,
    );
    assert.ok((await validate({ url, dir: "x" })).issues?.length);
  });
});

describe("the postgres definition store definition in PostgreSQL", () => {
  test("opens a store over its own client", async () => {
    await connected;
    const [definition] = postgresDefinitionStoreDefinitions() as [
      DefinitionStoreDefinition,
    ];
    const name = table("definition");
    const store = await definition.create({ url, table: name }, {
      baseUrl: "file:///srv/",
      signal: new AbortController().signal,
    });
    assert.equal(await store.append("orders", [created("orders")], 0), 1);
    await store.close();
    const [{ n }] = await sql.unsafe(
      `SELECT count(*)::int AS n FROM "${name}"`,
    );
    assert.equal(n, 1);
  });
});
