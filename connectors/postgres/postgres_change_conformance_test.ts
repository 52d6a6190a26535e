// Copyright 2026 the @ca/streams authors. MIT license.
// The source conformance kit on postgresChangeSource, against a private
// PostgreSQL cluster with wal_level = logical (see _pg_test_cluster.ts).
// write() inserts the records' rows in one transaction per write; the slot
// acknowledges on the server ("server"), and leaks() counts the source's
// connections through a TCP proxy of the test's own.

import { after, test } from "node:test";
import { sourceConformance } from "../../src/testing/source_conformance.ts";
import type { PostgresChange } from "./postgres_change.ts";
import { postgresChangeSource } from "./postgres_change_source.ts";
import { dropPostgresChangeSlot } from "./drop_postgres_change_slot.ts";
import { parseLsn } from "./_pgoutput_decoder.ts";
import {
  sleep,
  tcpProxy,
  testCluster,
  uniqueName,
} from "./_pg_test_cluster.ts";

type Row = { id: number; name: string };

after(async () => {
  await (await testCluster()).stop();
});

sourceConformance<PostgresChange<Row>>({
  name: "postgresChangeSource",
  record: (index) => ({
    op: "insert",
    schema: "public",
    table: "rows",
    key: { id: index },
    after: { id: index, name: `row ${index} ✓ "q" \\` },
    lsn: "",
    commitTime: "",
  }),
  key: (change) => String(change.after?.id),
  same: (read, written) =>
    read.op === written.op &&
    JSON.stringify(read.after) === JSON.stringify(written.after) &&
    JSON.stringify(read.key) === JSON.stringify(written.key),
  acknowledges: "server",
  async open() {
    const cluster = await testCluster();
    const sql = cluster.sql;
    const table = uniqueName("rows");
    const slot = uniqueName("kit");
    await sql.unsafe(`CREATE TABLE ${table} (id int PRIMARY KEY, name text)`);
    // The slot exists before the first write: what is written is kept.
    await sql.unsafe(`CREATE PUBLICATION ${slot} FOR TABLE ${table}`);
    await sql.unsafe(
      "SELECT pg_create_logical_replication_slot($1, 'pgoutput')",
      [slot],
    );
    const proxy = await tcpProxy(cluster.url);
    /** Where the last write's changes were, before its commit. */
    let written = 0n;
    return {
      source: () =>
        postgresChangeSource<Row>({
          url: proxy.url,
          slot,
          tables: [table],
          batchSize: 5,
        }),
      async write(records) {
        const rows = records.map((record) => record.after!);
        await sql.begin(async (tx) => {
          await tx.unsafe(
            `INSERT INTO ${table} (id, name) SELECT * FROM json_to_recordset($1::text::json) AS r(id int, name text)`,
            [JSON.stringify(rows)],
          );
          const [{ lsn }] = await tx.unsafe(
            "SELECT pg_current_wal_insert_lsn()::text AS lsn",
          );
          written = parseLsn(lsn)!;
        });
      },
      async acknowledged() {
        // The slot confirms a transaction once all its changes are stored.
        for (;;) {
          const [row] = await sql.unsafe(
            "SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1",
            [slot],
          );
          if ((parseLsn(row?.lsn) ?? 0n) > written) return;
          await sleep(20);
        }
      },
      leaks: () =>
        proxy.open > 0 ? [`${proxy.open} connection(s) to PostgreSQL`] : [],
      async close() {
        await proxy.close();
        await dropPostgresChangeSlot({
          url: cluster.url,
          slot,
          dropPublication: true,
        }).catch(() => {});
        await sql.unsafe(`DROP TABLE IF EXISTS ${table}`);
      },
    };
  },
}, { test, records: 40, timeoutMs: 15_000 });
