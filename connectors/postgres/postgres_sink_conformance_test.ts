// Copyright 2026 the @ca/streams authors. MIT license.
// The sink conformance kit on postgresSink(), in insert and in upsert mode,
// against the server at CA_TEST_POSTGRES_URL (default
// postgres://postgres@127.0.0.1:5432/test). Each case gets a table of its
// own (dropped after it) and a TCP proxy, whose open connections are what
// the sink still holds.

import process from "node:process";
import { after, test } from "node:test";
import postgres from "postgres";
import { sinkConformance } from "../../src/testing/sink_conformance.ts";
import { TcpProxy, uniqueTable } from "./_sql_test_helpers.ts";
import { postgresSink } from "./postgres_sink.ts";

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

interface Row {
  id: number;
  text: string;
  /** Only the bad record has one: not an integer, as the column wants. */
  amount?: string;
}

const row = (id: number): Row => ({ id, text: `record ${id} ✓ "q" \\ {a,b}` });

for (const mode of ["insert", "upsert"] as const) {
  sinkConformance<Row>({
    name: `postgresSink (${mode})`,
    record: row,
    badRecord: (id) => ({ id, text: "not stored", amount: "lots" }),
    key: (record) => String(record.id),
    async open() {
      const db = await connected;
      const table = uniqueTable(`conformance_${mode}`);
      await db.unsafe(
        `CREATE TABLE "${table}" (seq bigserial, id int${
          mode === "upsert" ? " PRIMARY KEY" : ""
        }, text text NOT NULL, amount int)`,
      );
      const proxy = await TcpProxy.start(url);
      return {
        sink: () =>
          postgresSink<Row>({
            url: proxy.url,
            table,
            mode,
            ...(mode === "upsert" ? { key: "id" } : {}),
          }),
        async read() {
          // In insertion order: seq comes from a sequence as rows go in.
          const rows = await db.unsafe(
            `SELECT id, text FROM "${table}" ORDER BY seq`,
          );
          return rows.map(({ id, text }) => ({ id, text }) as Row);
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
  }, { test, timeoutMs: 15_000 });
}
