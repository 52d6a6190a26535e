// Copyright 2026 the @ca/streams authors. MIT license.
// postgresChangeSource against a private PostgreSQL cluster with wal_level =
// logical (see _pg_test_cluster.ts), and against the machine's shared server
// (CA_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test),
// which runs with wal_level = replica, for the error. On Deno and Node.

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { memoryStore } from "../../src/checkpoint/memory_store.ts";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { batchSink } from "../../src/sinks/batch_sink.ts";
import { collect } from "../../src/sinks/collect.ts";
import {
  RESUMABLE_SOURCE,
  type SourceBatch,
} from "../../src/sources/resumable_source.ts";
import { dropPostgresChangeSlot } from "./drop_postgres_change_slot.ts";
import type { PostgresChange } from "./postgres_change.ts";
import { PostgresChangeError } from "./postgres_change_error.ts";
import { postgresChangeSlotStatus } from "./postgres_change_slot_status.ts";
import {
  postgresChangeSource,
  type PostgresChangeSourceOptions,
} from "./postgres_change_source.ts";
import {
  type TestCluster,
  testCluster,
  uniqueName,
  until,
} from "./_pg_test_cluster.ts";

const SHARED_URL = process.env.CA_TEST_POSTGRES_URL ??
  "postgres://postgres@127.0.0.1:5432/test";

after(async () => {
  await (await testCluster()).stop();
});

type Row = { id: number; name: string | null; doc?: unknown; at?: unknown };
type Change = PostgresChange<Row>;

interface Setup {
  cluster: TestCluster;
  table: string;
  slot: string;
  options: PostgresChangeSourceOptions;
}

/** A fresh table and slot name in the private cluster; the slot is dropped after. */
async function withTable(
  body: (setup: Setup) => Promise<void>,
  { full = true, extra = {} as Partial<PostgresChangeSourceOptions> } = {},
): Promise<void> {
  const cluster = await testCluster();
  const table = uniqueName("orders");
  const slot = uniqueName("slot");
  await cluster.sql.unsafe(
    `CREATE TABLE ${table} (id int PRIMARY KEY, name text, doc jsonb, at timestamptz)`,
  );
  if (full) {
    await cluster.sql.unsafe(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
  }
  try {
    await body({
      cluster,
      table,
      slot,
      options: { url: cluster.url, slot, tables: [table], ...extra },
    });
  } finally {
    await dropPostgresChangeSlot({
      url: cluster.url,
      slot,
      dropPublication: true,
    }).catch(() => {});
  }
}

async function inserts(
  cluster: TestCluster,
  table: string,
  from: number,
  to: number,
): Promise<void> {
  await cluster.sql.unsafe(
    `INSERT INTO ${table} (id, name) SELECT n, 'row ' || n FROM generate_series($1::int, $2::int) n`,
    [from, to - 1],
  );
}

function ids(records: readonly Change[]): number[] {
  return records.map((record) => (record.after ?? record.before)!.id as number);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** The slot's confirmed position as a number, for comparisons. */
async function confirmed(url: string, slot: string): Promise<bigint> {
  const status = await postgresChangeSlotStatus({ url, slot });
  return lsn(status!.confirmedLsn!);
}

function lsn(text: string): bigint {
  const [high, low] = text.split("/");
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

/** Checks that the records of each transaction are contiguous and the transactions in commit order. */
function assertWholeInOrder(records: readonly Change[]): void {
  const seen = new Set<string>();
  let current = "";
  for (const record of records) {
    if (record.lsn === current) continue;
    assert.ok(!seen.has(record.lsn), `transaction ${record.lsn} is split`);
    if (current !== "") {
      assert.ok(lsn(record.lsn) > lsn(current), "commit order");
    }
    seen.add(record.lsn);
    current = record.lsn;
  }
}

/** The first error in `error`'s cause chain that is a PostgresChangeError. */
function changeError(error: unknown): PostgresChangeError {
  for (let at = error; at instanceof Error; at = at.cause) {
    if (at instanceof PostgresChangeError) return at;
  }
  assert.fail(`expected a PostgresChangeError, got ${error}`);
}

/** Runs the source until it reads the slot (made then, with the publication), then stops it. */
async function createSlot(options: PostgresChangeSourceOptions): Promise<void> {
  const run = pipeline(postgresChangeSource(options), collect());
  await until(
    async () =>
      (await postgresChangeSlotStatus({ url: options.url, slot: options.slot }))
        ?.active === true,
    "the slot to be read",
  );
  await run.stop();
  await inactive(options);
}

/** Waits until no reader holds the slot (a stopped source lets go of it in the background). */
async function inactive(options: PostgresChangeSourceOptions): Promise<void> {
  await until(
    async () =>
      (await postgresChangeSlotStatus({ url: options.url, slot: options.slot }))
        ?.active === false,
    "the slot to be let go",
  );
}

/** The error the source's first read fails with. */
async function firstError(
  options: PostgresChangeSourceOptions,
): Promise<PostgresChangeError> {
  const source = postgresChangeSource(options);
  const error = await (async () => {
    for await (const _ of source) return undefined;
  })().then(() => undefined, (e: unknown) => e);
  return changeError(error);
}

test(
  "postgresChangeSource() delivers inserts, updates and deletes as whole transactions in commit order",
  { timeout: 30_000 },
  async () => {
    await withTable(async ({ cluster, table, options }) => {
      const sink = collect<Change>();
      const run = pipeline(
        postgresChangeSource<Row>(options),
        sink,
        { id: "fields", checkpoint: { store: memoryStore() } },
      );
      // The slot is made on the first read: wait for it, then write.
      await until(
        async () =>
          (await postgresChangeSlotStatus({
            url: cluster.url,
            slot: options.slot,
          }))?.active === true,
        "the slot to be read",
      );
      const sql = cluster.sql;
      const before = Date.now();
      await sql.begin(async (tx) => {
        await tx.unsafe(
          `INSERT INTO ${table} (id, name, doc, at) VALUES (1, 'one', '{"a":[1,2]}', '2026-05-01T10:00:00Z'), (2, 'two', NULL, NULL)`,
        );
      });
      await sql.begin(async (tx) => {
        await tx.unsafe(`UPDATE ${table} SET name = 'uno' WHERE id = 1`);
        await tx.unsafe(`DELETE FROM ${table} WHERE id = 2`);
        await tx.unsafe(`INSERT INTO ${table} (id, name) VALUES (3, 'three')`);
      });
      await sql.unsafe(`UPDATE ${table} SET id = 4 WHERE id = 3`);
      await until(() => sink.records.length === 6, "6 changes");
      await run.stop();
      const records = sink.records;
      assert.deepEqual(
        records.map((r) => r.op),
        ["insert", "insert", "update", "delete", "insert", "update"],
      );
      assertWholeInOrder(records);
      const lsns = [...new Set(records.map((r) => r.lsn))];
      assert.equal(lsns.length, 3, "three transactions");
      for (const record of records) {
        assert.equal(record.schema, "public");
        assert.equal(record.table, table);
        const time = Date.parse(record.commitTime);
        assert.ok(time >= before - 2000 && time <= Date.now() + 2000);
      }
      const [insert, , update, remove, , rekey] = records;
      assert.deepEqual(insert!.key, { id: 1 });
      assert.equal(insert!.before, undefined);
      assert.equal(insert!.after!.name, "one");
      assert.deepEqual(insert!.after!.doc, { a: [1, 2] });
      assert.ok(insert!.after!.at instanceof Date);
      assert.equal(
        (insert!.after!.at as Date).toISOString(),
        "2026-05-01T10:00:00.000Z",
      );
      assert.deepEqual(update!.key, { id: 1 });
      assert.equal(update!.before!.name, "one", "REPLICA IDENTITY FULL");
      assert.equal(update!.after!.name, "uno");
      assert.deepEqual(remove!.key, { id: 2 });
      assert.equal(remove!.after, undefined);
      assert.equal(remove!.before!.name, "two");
      assert.deepEqual(rekey!.key, { id: 4 });
      assert.equal(rekey!.before!.id, 3);
    });
  },
);

test(
  "postgresChangeSource() without REPLICA IDENTITY FULL sends the old key only for deletes and key updates",
  { timeout: 30_000 },
  async () => {
    await withTable(async ({ cluster, table, options }) => {
      await cluster.sql.unsafe(
        `INSERT INTO ${table} VALUES (1, 'a'), (2, 'b')`,
      );
      const sink = collect<Change>();
      const run = pipeline(
        postgresChangeSource<Row>({ ...options, reset: "latest" }),
        sink,
      );
      await until(
        async () =>
          (await postgresChangeSlotStatus({
            url: cluster.url,
            slot: options.slot,
          }))?.active === true,
        "the slot to be read",
      );
      await cluster.sql.unsafe(`UPDATE ${table} SET name = 'c' WHERE id = 1`);
      await cluster.sql.unsafe(`UPDATE ${table} SET id = 3 WHERE id = 2`);
      await cluster.sql.unsafe(`DELETE FROM ${table} WHERE id = 1`);
      await cluster.sql.unsafe(`TRUNCATE ${table}`);
      await until(() => sink.records.length === 4, "4 changes");
      await run.stop();
      const [update, rekey, remove, truncate] = sink.records;
      assert.equal(update!.before, undefined);
      assert.deepEqual(update!.after, {
        id: 1,
        name: "c",
        doc: null,
        at: null,
      });
      assert.deepEqual(rekey!.before, { id: 2 });
      assert.deepEqual(rekey!.key, { id: 3 });
      assert.deepEqual(remove!.before, { id: 1 });
      assert.deepEqual(remove!.key, { id: 1 });
      assert.equal(truncate!.op, "truncate");
      assert.deepEqual(truncate!.key, {});
    }, { full: false });
  },
);

test(
  "postgresChangeSource() puts small transactions in one batch and spreads a big one over batches",
  { timeout: 30_000 },
  async () => {
    await withTable(async ({ cluster, table, options }) => {
      const source = postgresChangeSource<Row>({ ...options, batchSize: 100 });
      const init = source[RESUMABLE_SOURCE];
      const abort = new AbortController();
      const batches: SourceBatch<Change>[] = [];
      const reading = (async () => {
        const opened = init.open(undefined, {
          signal: abort.signal,
        }) as AsyncIterable<SourceBatch<Change>>;
        for await (const batch of opened) {
          batches.push(batch);
          if (batches.flatMap((b) => b.records).length >= 260) return;
        }
      })();
      await until(
        async () =>
          (await postgresChangeSlotStatus({
            url: cluster.url,
            slot: options.slot,
          }))?.active === true,
        "the slot to be read",
      );
      // Ten transactions of 2 rows, committed before the source reads them,
      // then one of 240 rows.
      await cluster.sql.unsafe(
        `DO $$ BEGIN FOR i IN 0..9 LOOP
           INSERT INTO ${table} (id) VALUES (2 * i), (2 * i + 1); COMMIT;
         END LOOP; END $$`,
      );
      await inserts(cluster, table, 20, 260);
      await reading;
      abort.abort();
      const records = batches.flatMap((batch) => batch.records);
      assert.deepEqual(ids(records), range(0, 260));
      assertWholeInOrder(records);
      assert.ok(batches.every((batch) => batch.records.length <= 100));
      const big = records.at(-1)!.lsn;
      const spanning = batches.filter((batch) =>
        batch.records.some((record) => record.lsn === big)
      );
      assert.ok(spanning.length >= 3, "240 changes in batches of 100");
      for (const batch of batches) {
        const last = batch.records.at(-1)!;
        const position = batch.position as { lsn: string; index: number };
        assert.equal(position.lsn, last.lsn);
        if (last.lsn === big) {
          assert.equal(position.index, (last.after!.id as number) - 20);
        }
      }
    });
  },
);

test(
  "postgresChangeSource() resumes after the last acknowledged position, inside a transaction too",
  { timeout: 60_000 },
  async () => {
    await withTable(async ({ cluster, table, options }) => {
      const store = memoryStore();
      const source = () =>
        postgresChangeSource<Row>({ ...options, batchSize: 4 });
      // One transaction of 10 rows: the sink stores the first batch (4
      // rows), then holds back the next until the run is aborted.
      await createSlot(options);
      await inserts(cluster, table, 0, 10);
      await inserts(cluster, table, 10, 13);
      const stored: number[] = [];
      const first = pipeline(
        source(),
        batchSink<Change>({
          async write(records, { signal }) {
            if (stored.length >= 4) {
              await new Promise((_, reject) =>
                signal.addEventListener("abort", () => reject(signal.reason))
              );
            }
            stored.push(...ids(records));
          },
        }),
        { id: "resume", checkpoint: { store, everyRecords: 1 }, batchSize: 4 },
      );
      // Batches of at most 4: the sink stores 4 or more, fewer than 10.
      await until(async () => {
        const { position } = await store.get("resume");
        return stored.length >= 4 &&
          (position as { index?: number } | undefined)?.index ===
            stored.length - 1;
      }, "the checkpoint inside the transaction");
      await first.abort(new Error("test abort"));
      await first.then(() => {}, () => {});
      const part = stored.length;
      assert.ok(part < 10, "the first transaction is stored in part");
      assert.deepEqual(stored, range(0, part));
      const checkpoint = (await store.get("resume")).position as {
        lsn: string;
        index: number;
      };
      // The slot did not confirm the transaction: only part of it is stored.
      assert.ok(
        (await confirmed(cluster.url, options.slot)) <= lsn(checkpoint.lsn),
        "the slot stays before the transaction",
      );

      await inactive(options); // as a process restarted after this one exits
      const second = collect<Change>();
      const rerun = pipeline(source(), second, {
        id: "resume",
        checkpoint: { store, everyRecords: 1 },
      });
      await until(
        () => second.records.length >= 13 - part,
        "the changes not stored",
      );
      await rerun.stop();
      assert.deepEqual(ids(second.records), range(part, 13));
      // Everything is stored: the slot confirmed past both transactions.
      const last = lsn(second.records.at(-1)!.lsn);
      await until(
        async () => (await confirmed(cluster.url, options.slot)) > last,
        "the slot to confirm the last transaction",
      );

      // A third run after a stop: only what was written since.
      await inserts(cluster, table, 13, 15);
      await inactive(options); // as a process restarted after this one exits
      const third = collect<Change>();
      const again = pipeline(source(), third, {
        id: "resume",
        checkpoint: { store },
      });
      await until(() => third.records.length >= 2, "the 2 new changes");
      await again.stop();
      assert.deepEqual(ids(third.records), [13, 14]);
    });
  },
);

test(
  "postgresChangeSource() never confirms a transaction not stored: aborted between read and store, the rerun delivers it again",
  { timeout: 60_000 },
  async () => {
    await withTable(async ({ cluster, table, options }) => {
      await createSlot(options);
      for (let i = 0; i < 6; i++) {
        await inserts(cluster, table, i * 5, i * 5 + 5);
      }
      // No checkpoint store: the slot alone keeps the position.
      const stored: Change[] = [];
      let stall!: () => void;
      const stalled = new Promise<void>((resolve) => stall = resolve);
      const first = pipeline(
        postgresChangeSource<Row>({ ...options, batchSize: 5 }),
        batchSink<Change>({
          async write(records, { signal }) {
            if (stored.length >= 10) {
              stall();
              await new Promise((_, reject) =>
                signal.addEventListener("abort", () => reject(signal.reason))
              );
            }
            stored.push(...records);
          },
        }),
        { batchSize: 5 },
      );
      await stalled;
      // Transactions of 5 rows: those stored whole are confirmed, the
      // one stored in part (if any) and the rest are not.
      const whole = Math.floor(stored.length / 5);
      const lastWhole = lsn(stored[whole * 5 - 1]!.lsn);
      await until(
        async () => (await confirmed(cluster.url, options.slot)) > lastWhole,
        "the slot to confirm the transactions stored whole",
      );
      await first.abort(new Error("test abort"));
      await first.then(() => {}, () => {});
      assert.deepEqual(ids(stored), range(0, stored.length));
      await inactive(options);
      const slotAt = await confirmed(cluster.url, options.slot);
      const again = collect<Change>();
      const rerun = pipeline(postgresChangeSource<Row>(options), again);
      await until(
        () => again.records.length >= 30 - whole * 5,
        "the transactions not stored whole",
      );
      await rerun.stop();
      // Whole transactions again, from the first one not wholly stored.
      assert.deepEqual(ids(again.records), range(whole * 5, 30));
      // The slot stayed before it.
      assert.ok(slotAt <= lsn(again.records[0]!.lsn));
      assertWholeInOrder(again.records);
    });
  },
);

test(
  "postgresChangeSource() with snapshot: true reads the rows first, then the changes after the snapshot",
  { timeout: 60_000 },
  async () => {
    await withTable(async ({ cluster, table, options }) => {
      await inserts(cluster, table, 0, 25);
      const sink = collect<Change>();
      const store = memoryStore();
      const run = pipeline(
        postgresChangeSource<Row>({
          ...options,
          snapshot: true,
          batchSize: 10,
        }),
        sink,
        { id: "snap", checkpoint: { store } },
      );
      await until(() => sink.records.length >= 25, "the 25 rows");
      await cluster.sql.unsafe(`UPDATE ${table} SET name = 'x' WHERE id = 3`);
      await inserts(cluster, table, 25, 27);
      await until(() => sink.records.length >= 28, "3 changes");
      await run.stop();
      const reads = sink.records.slice(0, 25);
      assert.ok(reads.every((r) => r.op === "read" && r.before === undefined));
      assert.deepEqual(ids(reads).sort((a, b) => a - b), range(0, 25));
      assert.deepEqual(reads[0]!.key, { id: reads[0]!.after!.id });
      assert.deepEqual(
        sink.records.slice(25).map((r) => `${r.op} ${r.after!.id}`),
        ["update 3", "insert 25", "insert 26"],
      );
      const status = await postgresChangeSlotStatus({
        url: cluster.url,
        slot: options.slot,
      });
      assert.equal(status?.snapshotPending, false);

      // Rerun: no snapshot again.
      await inserts(cluster, table, 27, 28);
      await inactive(options); // as a process restarted after this one exits
      const again = collect<Change>();
      const rerun = pipeline(
        postgresChangeSource<Row>({ ...options, snapshot: true }),
        again,
        { id: "snap", checkpoint: { store } },
      );
      await until(() => again.records.length >= 1, "the new change");
      await rerun.stop();
      assert.deepEqual(again.records.map((r) => r.op), ["insert"]);
    });
  },
);

test(
  "postgresChangeSource() takes an unfinished snapshot again on the next run",
  { timeout: 60_000 },
  async () => {
    await withTable(async ({ cluster, table, options }) => {
      await inserts(cluster, table, 0, 30);
      const snapshot = { ...options, snapshot: true, batchSize: 10 };
      const stored: Change[] = [];
      let stall!: () => void;
      const stalled = new Promise<void>((resolve) => stall = resolve);
      const first = pipeline(
        postgresChangeSource<Row>(snapshot),
        batchSink<Change>({
          async write(records, { signal }) {
            if (stored.length >= 10) {
              stall();
              await new Promise((_, reject) =>
                signal.addEventListener("abort", () => reject(signal.reason))
              );
            }
            stored.push(...records);
          },
        }),
        { batchSize: 10 },
      );
      await stalled;
      await first.abort(new Error("test abort"));
      await first.then(() => {}, () => {});
      assert.equal(
        (await postgresChangeSlotStatus({
          url: cluster.url,
          slot: options.slot,
        }))?.snapshotPending,
        true,
      );
      // Changed meanwhile: the new snapshot sees it.
      await cluster.sql.unsafe(`DELETE FROM ${table} WHERE id = 29`);
      await inactive(options); // as a process restarted after this one exits
      const again = collect<Change>();
      const rerun = pipeline(postgresChangeSource<Row>(snapshot), again);
      await until(() => again.records.length >= 29, "the snapshot again");
      await cluster.sql.unsafe(`DELETE FROM ${table} WHERE id = 28`);
      await until(() => again.records.length >= 30, "the delete after it");
      await rerun.stop();
      assert.deepEqual(
        ids(again.records.slice(0, 29)).sort((a, b) => a - b),
        range(0, 29),
      );
      assert.equal(again.records[29]!.op, "delete");
      assert.equal(again.records.length, 30);
    });
  },
);

test(
  "dropPostgresChangeSlot() drops the slot, and refuses while a source reads it",
  { timeout: 30_000 },
  async () => {
    await withTable(async ({ cluster, options }) => {
      const sink = collect<Change>();
      const run = pipeline(postgresChangeSource<Row>(options), sink);
      const slot = { url: cluster.url, slot: options.slot };
      await until(
        async () => (await postgresChangeSlotStatus(slot))?.active === true,
        "the slot to be read",
      );
      const busy = await dropPostgresChangeSlot(slot).catch((e) => e);
      assert.equal(changeError(busy).reason, "slot-active");
      await run.stop();
      assert.equal(await dropPostgresChangeSlot(slot), true);
      assert.equal(await postgresChangeSlotStatus(slot), undefined);
      assert.equal(await dropPostgresChangeSlot(slot), false);
    });
  },
);

test(
  "postgresChangeSource() confirms WAL written for other tables while nothing is pending",
  { timeout: 30_000 },
  async () => {
    await withTable(async ({ cluster, options }) => {
      const other = uniqueName("other");
      await cluster.sql.unsafe(`CREATE TABLE ${other} (id int PRIMARY KEY)`);
      const run = pipeline(postgresChangeSource<Row>(options), collect());
      const slot = { url: cluster.url, slot: options.slot };
      await until(
        async () => (await postgresChangeSlotStatus(slot))?.active === true,
        "the slot to be read",
      );
      await cluster.sql.unsafe(
        `INSERT INTO ${other} SELECT generate_series(1, 1000)`,
      );
      const [{ lsn: written }] = await cluster.sql.unsafe(
        "SELECT pg_current_wal_lsn()::text AS lsn",
      );
      await until(
        async () =>
          (await confirmed(cluster.url, options.slot)) >= lsn(written),
        "the slot to confirm past the other table's transaction",
      );
      await run.stop();
    });
  },
);

test(
  "postgresChangeSlotStatus() reports the WAL the slot retains",
  { timeout: 30_000 },
  async () => {
    await withTable(async ({ cluster, table, options }) => {
      await createSlot(options);
      const slot = { url: cluster.url, slot: options.slot };
      const before = (await postgresChangeSlotStatus(slot))!;
      assert.equal(before.active, false);
      await inserts(cluster, table, 0, 2000);
      const after = (await postgresChangeSlotStatus(slot))!;
      assert.ok(
        after.retainedWalBytes > before.retainedWalBytes + 50_000,
        `${after.retainedWalBytes} > ${before.retainedWalBytes}`,
      );
      assert.equal(after.confirmedLsn, before.confirmedLsn);
    });
  },
);

test(
  "postgresChangeSource() reset: forward skips changes, backward is an error",
  { timeout: 30_000 },
  async () => {
    await withTable(async ({ cluster, table, options }) => {
      await createSlot(options);
      const slot = { url: cluster.url, slot: options.slot };
      const start = (await postgresChangeSlotStatus(slot))!.confirmedLsn!;
      await inserts(cluster, table, 0, 5);
      const [{ lsn: now }] = await cluster.sql.unsafe(
        "SELECT pg_current_wal_insert_lsn()::text AS lsn",
      );
      await inserts(cluster, table, 5, 7);
      const sink = collect<Change>();
      const run = pipeline(
        postgresChangeSource<Row>({ ...options, reset: { lsn: now } }),
        sink,
      );
      await until(
        () => sink.records.length >= 2,
        "the changes after the reset",
      );
      await run.stop();
      assert.deepEqual(ids(sink.records), [5, 6]);
      const error = await firstError({ ...options, reset: { lsn: start } });
      assert.equal(error.reason, "reset-before-slot");
      assert.match(error.message, /slot "slot_.*" has confirmed/);
    });
  },
);

test(
  "postgresChangeSource() fails clearly on a server with wal_level = replica",
  { timeout: 30_000 },
  async () => {
    const error = await firstError({
      url: SHARED_URL,
      slot: "never_created",
      tables: ["public.orders"],
    });
    assert.equal(error.code, "CA_ERR_POSTGRES_CHANGE");
    assert.equal(error.reason, "wal-level");
    assert.match(
      error.message,
      /^Cannot start postgres-change-source on 127\.0\.0\.1:5432\/test \(slot "never_created"\): wal_level is "replica", and logical replication needs "logical": set it/,
    );
  },
);

test(
  "postgresChangeSource() fails clearly on a slot in use, a missing slot, a missing table and a user without replication rights",
  { timeout: 60_000 },
  async () => {
    await withTable(async ({ cluster, table, options }) => {
      const run = pipeline(postgresChangeSource<Row>(options), collect());
      const slot = { url: cluster.url, slot: options.slot };
      await until(
        async () => (await postgresChangeSlotStatus(slot))?.active === true,
        "the slot to be read",
      );
      const active = await firstError(options);
      await run.stop();
      assert.equal(active.reason, "slot-active");
      assert.match(
        active.message,
        /replication slot "slot_\w+" is in use by another process \(pid \d+\): stop the other reader/,
      );

      const missing = await firstError({
        ...options,
        slot: "no_such_slot",
        createSlot: false,
      });
      assert.equal(missing.reason, "slot-missing");
      assert.match(
        missing.message,
        /replication slot "no_such_slot" does not exist/,
      );

      const noTable = await firstError({
        ...options,
        tables: [table, "public.no_such_table"],
      });
      assert.equal(noTable.reason, "table-missing");
      assert.match(
        noTable.message,
        /table "public\.no_such_table" does not exist: create it first/,
      );

      const user = uniqueName("reader");
      await cluster.sql.unsafe(`CREATE ROLE ${user} LOGIN`);
      try {
        const url = new URL(cluster.url);
        url.username = user;
        const rights = await firstError({ ...options, url: url.href });
        assert.equal(rights.reason, "no-replication-rights");
        assert.match(
          rights.message,
          new RegExp(`user "${user}" may not use replication: grant it`),
        );
      } finally {
        await cluster.sql.unsafe(`DROP ROLE ${user}`);
      }
    });
  },
);

test("postgresChangeSource() checks its options when made", () => {
  const base = { url: "postgres://127.0.0.1/shop", slot: "s", tables: ["t"] };
  assert.throws(
    () => postgresChangeSource({ ...base, url: "http://x" }),
    TypeError,
  );
  assert.throws(
    () => postgresChangeSource({ ...base, slot: "Has-Caps" }),
    /slot must be 1 to 58 lower-case letters/,
  );
  assert.throws(() => postgresChangeSource({ ...base, tables: [] }), TypeError);
  assert.throws(
    () => postgresChangeSource({ ...base, tables: ["a.b.c"] }),
    /"public.orders"/,
  );
  assert.throws(
    () => postgresChangeSource({ ...base, reset: { lsn: "nope" } }),
    /reset must be "latest" or \{ lsn/,
  );
  assert.throws(
    () => postgresChangeSource({ ...base, batchSize: 0 }),
    RangeError,
  );
});
