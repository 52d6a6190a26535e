// Copyright 2026 the @ca/streams authors. MIT license.
// The source conformance kit on postgresTableSource(), against the server at
// CA_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).
// Each case gets a table of its own (dropped after it); write() inserts the
// records' rows in one transaction per write; the source keeps its place
// in the pipeline's checkpoint only ("checkpoint"), and leaks() counts its
// connections through a TCP proxy of the case's own.

import process from "node:process";
import { after, test } from "node:test";
import postgres from "postgres";
import { sourceConformance } from "../../src/testing/source_conformance.ts";
import { TcpProxy, uniqueTable } from "./_sql_test_helpers.ts";
import { postgresTableSource } from "./postgres_table_source.ts";

const URL_VARIABLE = "CA_TEST_POSTGRES_URL";
const url = process.env[URL_VARIABLE] ??
  "postgres://postgres@127.0.0.1:5432/test";
const HOW_TO_START =
  "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";

const sql = postgres(url, { max: 2, connect_timeout: 3, onnotice: () => {} });
const connected = sql`SELECT 1`.then(() => sql, (error) => {
  throw new Error(
    `Cannot reach PostgreSQL at ${url} (${
      error?.message ?? error
    }): start it with \`${HOW_TO_START}\`, or point ${URL_VARIABLE} at one`,
  );
});
connected.catch(() => {}); // each case awaits it and fails with the message
after(() => sql.end({ timeout: 5 }));

type Row = { id: number; name: string };

sourceConformance<Row>({
  name: "postgresTableSource",
  record: (index) => ({ id: index, name: `row ${index} ✓ "q" \\ {a,b}` }),
  key: (row) => String(row.id),
  async open() {
    const db = await connected;
    const table = uniqueTable("table_source_kit");
    await db.unsafe(
      `CREATE TABLE "${table}" (id int PRIMARY KEY, name text NOT NULL)`,
    );
    const proxy = await TcpProxy.start(url);
    return {
      source: () =>
        postgresTableSource<Row>({
          url: proxy.url,
          table,
          key: "id",
          batchSize: 5,
          pollIntervalMs: 10,
        }),
      async write(rows) {
        await db.unsafe(
          `INSERT INTO "${table}" (id, name) SELECT * FROM json_to_recordset($1::text::json) AS r(id int, name text)`,
          [JSON.stringify(rows)],
        );
      },
      leaks: () =>
        proxy.connections > 0
          ? [`${proxy.connections} connection(s) to PostgreSQL`]
          : [],
      async close() {
        await proxy.close();
        await db.unsafe(`DROP TABLE IF EXISTS "${table}"`);
      },
    };
  },
}, { test, records: 40, timeoutMs: 15_000 });
