// Copyright 2026 the @ca/streams authors. MIT license.
// The sink conformance kit on mariadbSink(), in insert and in upsert mode,
// against the server at CA_TEST_MARIADB_URL (default
// mysql://root@127.0.0.1:3306/test; the database is created when missing).
// Each case gets a table of its own (dropped after it) and a TCP proxy,
// whose open connections are what the sink still holds.

import { after, test } from "node:test";
import { sinkConformance } from "../../src/testing/sink_conformance.ts";
import { TcpProxy, uniqueTable } from "../postgres/_sql_test_helpers.ts";
import { mariadbUrl, testPool } from "./_mariadb_test_server.ts";
import { mariadbSink } from "./mariadb_sink.ts";

const connected = testPool(2);
connected.catch(() => {}); // each case awaits it and fails with the message
after(async () => await (await connected.catch(() => undefined))?.end());

interface Row {
  id: number;
  text: string;
  /** Only the bad record has one: not an integer, as the column wants. */
  amount?: string;
}

const row = (id: number): Row => ({ id, text: `record ${id} ✓ 'q' "q" \\` });

for (const mode of ["insert", "upsert"] as const) {
  sinkConformance<Row>({
    name: `mariadbSink (${mode})`,
    record: row,
    badRecord: (id) => ({ id, text: "not stored", amount: "lots" }),
    key: (record) => String(record.id),
    async open() {
      const pool = await connected;
      const table = uniqueTable(`conformance_${mode}`);
      await pool.query(
        `CREATE TABLE \`${table}\` (seq BIGINT AUTO_INCREMENT PRIMARY KEY,
           id INT${mode === "upsert" ? " UNIQUE" : ""}, text TEXT NOT NULL,
           amount INT) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      );
      const proxy = await TcpProxy.start(mariadbUrl);
      return {
        sink: () =>
          mariadbSink<Row>({
            url: proxy.url,
            table,
            mode,
            ...(mode === "upsert" ? { key: "id" } : {}),
          }),
        async read() {
          // In insertion order: seq comes from AUTO_INCREMENT as rows go in.
          const [rows] = await pool.query(
            `SELECT id, text FROM \`${table}\` ORDER BY seq`,
          );
          return (rows as Row[]).map(({ id, text }) => ({ id, text }));
        },
        leaks: () =>
          proxy.connections > 0
            ? [`${proxy.connections} connection(s) to MariaDB`]
            : [],
        async close() {
          await proxy.close();
          await pool.query(`DROP TABLE IF EXISTS \`${table}\``);
        },
      };
    },
  }, { test, timeoutMs: 15_000 });
}
