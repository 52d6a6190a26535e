// Copyright 2026 the @ca/streams authors. MIT license.
// The postgres-change-source definition's remove(), as a connector host calls
// it when the connector is deleted: it drops the slot the source made, so the
// server keeps no WAL for it, and is fine with a slot that is gone already.
// Against a private PostgreSQL cluster with wal_level = logical (see
// _pg_test_cluster.ts). On Deno and Node.

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { memoryStore } from "../../src/checkpoint/memory_store.ts";
import type {
  ProcessorContext,
  ProcessorDefinition,
} from "../../src/config/define_processor.ts";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { collect } from "../../src/sinks/collect.ts";
import { dropPostgresChangeSlot } from "./drop_postgres_change_slot.ts";
import { postgresChangeSlotStatus } from "./postgres_change_slot_status.ts";
import { postgresDefinitions } from "./postgres_definitions.ts";
import { testCluster, uniqueName, until } from "./_pg_test_cluster.ts";

after(async () => {
  await (await testCluster()).stop();
});

function changeSource(): ProcessorDefinition {
  const found = postgresDefinitions().find((definition) =>
    definition.name === "postgres-change-source"
  ) as ProcessorDefinition | undefined;
  assert.ok(found, "postgres-change-source");
  assert.equal(typeof found.remove, "function", "it has remove()");
  return found;
}

/** The args as a config gives them, validated as a runner does. */
async function validated(args: Record<string, unknown>): Promise<unknown> {
  const result = await changeSource().args["~standard"].validate(args);
  assert.ok(!result.issues, JSON.stringify(result.issues));
  return result.value;
}

function context(): ProcessorContext {
  return {
    name: "changes",
    pipelineId: "orders-cdc",
    baseUrl: "file:///srv/connectors/",
    signal: new AbortController().signal,
  };
}

test(
  "postgres-change-source remove() drops the slot its source made, and is fine once it is gone",
  { timeout: 60_000 },
  async () => {
    const cluster = await testCluster();
    const table = uniqueName("orders");
    const slot = uniqueName("slot");
    await cluster.sql.unsafe(`CREATE TABLE ${table} (id int PRIMARY KEY)`);
    try {
      const definition = changeSource();
      const args = await validated({
        url: cluster.url,
        slot,
        tables: [table],
      });
      // The connector ran: its source made the slot and read a change.
      const sink = collect();
      const run = pipeline(
        await definition.create(args, context()) as never,
        sink,
        { id: "orders-cdc", checkpoint: { store: memoryStore() } },
      );
      await until(
        async () =>
          (await postgresChangeSlotStatus({ url: cluster.url, slot }))
            ?.active === true,
        "the slot to be read",
      );
      await cluster.sql.unsafe(`INSERT INTO ${table} (id) VALUES (1)`);
      await until(() => sink.records.length === 1, "the change");
      await run.stop();
      assert.notEqual(
        await postgresChangeSlotStatus({ url: cluster.url, slot }),
        undefined,
        "the stopped connector's slot stays (it keeps WAL)",
      );

      await definition.remove!(args, context());
      const left = await cluster.sql.unsafe(
        "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE $1",
        [`${slot}%`],
      );
      assert.deepEqual([...left], [], "no slot is left");

      // Deleted again (a retried delete): nothing to drop, no error.
      await definition.remove!(args, context());
    } finally {
      await dropPostgresChangeSlot({
        url: cluster.url,
        slot,
        dropPublication: true,
      }).catch(() => {});
      await cluster.sql.unsafe(`DROP TABLE IF EXISTS ${table}`);
    }
  },
);
