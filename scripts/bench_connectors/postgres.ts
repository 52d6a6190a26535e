/**
 * PostgreSQL rows, on postgres.js (`postgres`).
 *
 * - `postgres-sink`: against PostgreSQL at `CA_TEST_POSTGRES_URL` (default
 *   `postgres://postgres@127.0.0.1:5432/test`), into a table of its own,
 *   `(id integer PRIMARY KEY, value text NOT NULL)`, emptied before each
 *   run and dropped after the row. The connector (`postgresSink()` with
 *   `url`, plain `insert`, the records' own fields as the columns) fed from
 *   an array in the pipeline's batches of 1024, against a loop on a client
 *   opened as the sink opens its own (`postgres(url, { max: 2 })`) sending
 *   per chunk of 1024 one multi-row INSERT with postgres.js's helper
 *   (``sql`INSERT INTO t ${sql(chunk, "id", "value")}` ``: a VALUES list
 *   of the same columns and values, prepared once) and awaiting it. Both
 *   time connecting and ending their client. After each run the table must
 *   hold every record: the row count, the sum of the ids, and no value
 *   other than the record's.
 * - `postgres-sink-exactly-once`: the same table and records, read from a
 *   resumable source over the array (batches of 1024, the index as the
 *   position) with a checkpoint in a `postgresStore` of the same database
 *   (a client of its own per run); the connector is `postgresSink()` with
 *   `exactlyOnce: true` (each batch and the position in one transaction),
 *   the baseline the same pipeline with the plain sink (at-least-once, the
 *   pipeline's coalesced commits). Target: >= 0.7x.
 * - `postgres-change-source`: against a private cluster with `wal_level =
 *   logical` (`connectors/postgres/_pg_test_cluster.ts`: PostgreSQL's
 *   binaries in `CA_TEST_PG_BIN`, a spare port, a temporary directory,
 *   stopped after the row), never the shared server. A table like the
 *   sink's, in a publication of its own. Per run: the table is emptied, a
 *   fresh `pgoutput` slot is made, and the records are inserted as a
 *   backlog in transactions of 100 rows (untimed); then the clock runs
 *   until every change was counted. The connector (`postgresChangeSource()`
 *   with its defaults: batches of up to 512, the slot confirmed in each
 *   ack) into the counting sink (which counts `after`), against a
 *   hand-written reader on a postgres.js replication connection opened as
 *   the connector opens its own: START_REPLICATION read by hand, each
 *   message decoded with the connector's own decoder
 *   (`_pgoutput_decoder.ts`: `decodeCopyData`, `decodePgoutput`,
 *   `standbyStatusUpdate`), each insert made the same change object (`{
 *   op, schema, table, key, after, lsn, commitTime }`, values through the
 *   client's type parsers), batches of up to 512 (a smaller one when
 *   nothing more is waiting) counted, then a standby status update
 *   confirming the transactions wholly counted. After each run the slot
 *   must have confirmed the last transaction; it is dropped.
 *
 *   Then, once (`extras`), the lag under a steady load: a writer on a
 *   separate connection of this process inserts 10,000 rows/s in
 *   transactions of 100 (one every 10 ms, on a schedule) for 10 s while
 *   the connector, then the hand-written reader, runs on a fresh slot; the
 *   lag of a change is the time from its transaction's commit (its
 *   `commitTime`) to the sink counting it. The target: a maximum lag of
 *   the connector under 1 s.
 *
 * @module
 */

import process from "node:process";
import { setImmediate } from "node:timers";
import postgres from "postgres";
import { postgresChangeSource } from "../../connectors/postgres/postgres_change_source.ts";
import type { PostgresChange } from "../../connectors/postgres/postgres_change.ts";
import { postgresSink } from "../../connectors/postgres/postgres_sink.ts";
import { postgresStore } from "../../connectors/postgres/postgres_store.ts";
import { resumableSource } from "../../src/sources/resumable_source.ts";
import {
  decodeCopyData,
  decodePgoutput,
  formatLsn,
  standbyStatusUpdate,
} from "../../connectors/postgres/_pgoutput_decoder.ts";
import {
  type TestCluster,
  testCluster,
} from "../../connectors/postgres/_pg_test_cluster.ts";
import { chunks, eventually, pipeSink, pipeSource, sleep } from "./measure.ts";
import { type BenchRecord, makeRecords, Tally, verify } from "./records.ts";
import type { Impl, Row, RowExtras, RowRun, RowSession } from "./types.ts";

const POSTGRES_URL = process.env.CA_TEST_POSTGRES_URL ??
  "postgres://postgres@127.0.0.1:5432/test";
/** The pipeline's default batch size: what the sink gets per write. */
const SINK_BATCH = 1024;
/** The change source's default batch size. */
const SOURCE_BATCH = 512;
/** Rows per transaction, for the backlog and the steady writer. */
const TXN_ROWS = 100;
/** The steady writer of the lag measurement: changes/s, for how long. */
const LAG_RATE = 10_000;
const LAG_SECONDS = 10;
const LAG_TARGET_MS = 1000;

type Sql = postgres.Sql;

/** A name for this run's tables, slots and publications. */
function uniqueName(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
}

async function serverOf(sql: Sql, where: string): Promise<string> {
  const [row] = await sql.unsafe("SHOW server_version");
  const version = String(row?.server_version ?? "?").split(" ")[0];
  return `PostgreSQL ${version} (${where})`;
}

/** `(id integer PRIMARY KEY, value text NOT NULL)`, autovacuum off (no run pays for another's). */
async function createTable(sql: Sql, table: string): Promise<void> {
  await sql.unsafe(
    `CREATE TABLE ${table} (id integer PRIMARY KEY, value text NOT NULL) WITH (autovacuum_enabled = false)`,
  );
}

/** Throws unless `table` holds records 0 .. n - 1 exactly. */
async function checkTable(
  sql: Sql,
  table: string,
  n: number,
  what: string,
): Promise<void> {
  const [row] = await sql.unsafe(
    `SELECT count(*)::int AS count, coalesce(sum(id), 0)::text AS sum,
       count(*) FILTER (WHERE value IS DISTINCT FROM 'v' || lpad(to_hex(id), 15, '0'))::int AS wrong
     FROM ${table}`,
  );
  const want = (n * (n - 1)) / 2;
  if (
    row?.count !== n || row?.sum !== String(want) || row?.wrong !== 0
  ) {
    throw new Error(
      `Cannot trust ${what}: the table holds ${row?.count} rows (sum of ids ${row?.sum}, ${row?.wrong} wrong values); expected ${n} rows, sum ${want}`,
    );
  }
}

/** The PostgreSQL sink row. */
export const postgresSinkRow: Row = {
  name: "postgres-sink",
  records: 204_800,
  multipleOf: SINK_BATCH,
  workload:
    "records from an array, plain insert in batches of 1024 into (id int PRIMARY KEY, value text)",
  baseline:
    "postgres(url, { max: 2 }), per chunk of 1024: one INSERT ... ${sql(chunk, 'id', 'value')} (multi-row VALUES)",
  clients: ["postgres"],
  async open(records: number): Promise<RowSession> {
    const admin = postgres(POSTGRES_URL, { max: 1, onnotice: () => {} });
    const table = uniqueName("ca_bench_sink");
    const input = makeRecords(records);
    try {
      await createTable(admin, table);
    } catch (error) {
      await admin.end({ timeout: 1 });
      throw new Error(
        `Cannot open postgres-sink: PostgreSQL at ${POSTGRES_URL} (CA_TEST_POSTGRES_URL): ${error}`,
      );
    }
    return {
      server: await serverOf(admin, new URL(POSTGRES_URL).host),
      async run(impl: Impl): Promise<RowRun> {
        await admin.unsafe(`TRUNCATE ${table}`);
        let elapsedMs: number;
        if (impl === "connector") {
          elapsedMs = await pipeSink(
            input,
            postgresSink<BenchRecord>({ url: POSTGRES_URL, table }),
          );
        } else {
          const start = performance.now();
          const sql = postgres(POSTGRES_URL, { max: 2, onnotice: () => {} });
          for (const chunk of chunks(input, SINK_BATCH)) {
            await sql`INSERT INTO ${sql(table)} ${sql(chunk, "id", "value")}`;
          }
          await sql.end({ timeout: 1 });
          elapsedMs = performance.now() - start;
        }
        await checkTable(admin, table, records, `postgres-sink ${impl}`);
        return { elapsedMs, records };
      },
      async close() {
        await admin.unsafe(`DROP TABLE IF EXISTS ${table}`);
        await admin.end({ timeout: 1 });
      },
    };
  },
};

/** The exactly-once PostgreSQL sink row, against the plain sink. */
export const postgresSinkExactlyOnceRow: Row = {
  name: "postgres-sink-exactly-once",
  records: 204_800,
  multipleOf: SINK_BATCH,
  target: 0.7,
  workload:
    "a resumable source over an array (batches of 1024), checkpoint in a postgresStore of the same database, plain insert into (id int PRIMARY KEY, value text)",
  baseline:
    "the same pipeline into postgresSink() without exactlyOnce (at-least-once, the pipeline's own coalesced commits)",
  clients: ["postgres"],
  async open(records: number): Promise<RowSession> {
    const admin = postgres(POSTGRES_URL, { max: 1, onnotice: () => {} });
    const table = uniqueName("ca_bench_eo");
    const checkpoints = uniqueName("ca_bench_eo_cp");
    const input = makeRecords(records);
    let runs = 0;
    try {
      await createTable(admin, table);
    } catch (error) {
      await admin.end({ timeout: 1 });
      throw new Error(
        `Cannot open postgres-sink-exactly-once: PostgreSQL at ${POSTGRES_URL} (CA_TEST_POSTGRES_URL): ${error}`,
      );
    }
    const source = resumableSource<BenchRecord>({
      async *open(after) {
        const from = after === undefined ? 0 : (after as number) + 1;
        for (let i = from; i < input.length; i += SINK_BATCH) {
          const batch = input.slice(i, i + SINK_BATCH);
          yield { records: batch, position: i + batch.length - 1 };
        }
      },
    });
    return {
      server: await serverOf(admin, new URL(POSTGRES_URL).host),
      async run(impl: Impl): Promise<RowRun> {
        await admin.unsafe(`TRUNCATE ${table}`);
        const start = performance.now();
        const sql = postgres(POSTGRES_URL, { max: 2, onnotice: () => {} });
        const store = postgresStore(sql, { table: checkpoints });
        await pipeSink(
          input,
          postgresSink<BenchRecord>({
            url: POSTGRES_URL,
            table,
            exactlyOnce: impl === "connector",
          }),
          { id: `run-${++runs}`, checkpoint: { store } },
          source,
        );
        await sql.end({ timeout: 1 });
        const elapsedMs = performance.now() - start;
        await checkTable(
          admin,
          table,
          records,
          `postgres-sink-exactly-once ${impl}`,
        );
        const [stored] = await admin.unsafe(
          `SELECT position::text AS position FROM ${checkpoints} WHERE id = $1`,
          [`run-${runs}`],
        );
        if (stored?.position !== String(records - 1)) {
          throw new Error(
            `Cannot trust postgres-sink-exactly-once ${impl}: the checkpoint is at ${stored?.position}, expected ${
              records - 1
            }`,
          );
        }
        return { elapsedMs, records };
      },
      async close() {
        await admin.unsafe(`DROP TABLE IF EXISTS ${table}`);
        await admin.unsafe(`DROP TABLE IF EXISTS ${checkpoints}`);
        await admin.end({ timeout: 1 });
      },
    };
  },
};

// ---------------------------------------------------------------------------
// Change data capture

/** What a reader of changes did. */
interface ChangeRun {
  elapsedMs: number;
  tally: Tally;
}

/** Takes the record out of a change the sink counts; sees every change. */
type ChangeCounter = (change: PostgresChange) => BenchRecord;

/** A relation of the stream, as the hand-written reader keeps it. */
interface Relation {
  schema: string;
  table: string;
  names: string[];
  parsers: Array<((text: string) => unknown) | undefined>;
  key: number[];
}

/** Opens a replication connection as postgresChangeSource opens its own. */
function replicationClient(url: string): Sql {
  return postgres(url, {
    max: 1,
    fetch_types: false,
    idle_timeout: null,
    max_lifetime: null,
    onnotice: () => {},
    connection: { replication: "database" },
  } as unknown as postgres.Options<Record<string, never>>);
}

/**
 * The hand-written reader: START_REPLICATION on a replication connection,
 * each CopyData message decoded with the connector's decoder, a change
 * object per insert, batches of up to 512 (or what there is once nothing
 * more is waiting) counted, then the transactions wholly counted confirmed
 * in a standby status update. The clock stops at the last record counted.
 */
async function readByHand(
  url: string,
  slot: string,
  publication: string,
  records: number,
  count: ChangeCounter,
): Promise<ChangeRun> {
  const tally = new Tally();
  const start = performance.now();
  let elapsedMs = 0;
  const rep = replicationClient(url);
  const parsers = (rep.options as unknown as {
    parsers: Record<number, ((text: string) => unknown) | undefined>;
  }).parsers;
  const stream = await rep.unsafe(
    `START_REPLICATION SLOT ${slot} LOGICAL 0/0 (proto_version '1', publication_names '"${publication}"')`,
  ).writable();
  const relations = new Map<number, Relation>();
  let lsn = "";
  let commitTime = "";
  let received = 0n;
  let committed = 0n;
  let confirmed = 0n;
  let batch: PostgresChange[] = [];
  let scheduled = false;
  let finished!: () => void;
  let failed!: (error: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  const sendStatus = () => {
    if (confirmed === 0n || stream.destroyed) return;
    stream.write(
      standbyStatusUpdate(
        received > confirmed ? received : confirmed,
        confirmed,
      ),
    );
  };
  const deliver = () => {
    if (batch.length === 0) return;
    const counted = batch;
    batch = [];
    for (let i = 0; i < counted.length; i++) tally.add(count(counted[i]!));
    if (tally.count >= records && elapsedMs === 0) {
      elapsedMs = performance.now() - start;
      finished();
    }
    if (committed > confirmed) {
      confirmed = committed;
      sendStatus();
    }
  };
  const later = () => {
    scheduled = false;
    deliver();
  };
  stream.on("data", (chunk: Uint8Array) => {
    const message = decodeCopyData(chunk);
    if (message === undefined) return;
    if (message.type === "keepalive") {
      if (message.walEnd > received) received = message.walEnd;
      if (message.replyRequested) sendStatus();
      return;
    }
    if (message.walStart > received) received = message.walStart;
    const decoded = decodePgoutput(message.data);
    switch (decoded.type) {
      case "begin":
        lsn = formatLsn(decoded.finalLsn);
        commitTime = decoded.commitTime;
        return;
      case "commit":
        committed = decoded.endLsn;
        return;
      case "relation": {
        const { relation } = decoded;
        relations.set(relation.id, {
          schema: relation.schema,
          table: relation.table,
          names: relation.columns.map((column) => column.name),
          parsers: relation.columns.map((column) => parsers[column.type]),
          key: relation.columns.flatMap((column, i) => column.key ? [i] : []),
        });
        return;
      }
      case "insert": {
        const relation = relations.get(decoded.relationId)!;
        const after: Record<string, unknown> = {};
        const tuple = decoded.after;
        for (let i = 0; i < tuple.length; i++) {
          const text = tuple[i];
          if (text === undefined) continue;
          const parse = relation.parsers[i];
          after[relation.names[i]!] = text === null
            ? null
            : parse === undefined
            ? text
            : parse(text);
        }
        const key: Record<string, unknown> = {};
        for (const i of relation.key) {
          key[relation.names[i]!] = after[relation.names[i]!];
        }
        batch.push({
          op: "insert",
          schema: relation.schema,
          table: relation.table,
          key,
          after,
          lsn,
          commitTime,
        });
        if (batch.length >= SOURCE_BATCH) deliver();
        else if (!scheduled) {
          scheduled = true;
          setImmediate(later);
        }
        return;
      }
      default:
        return;
    }
  });
  stream.on("error", (error: unknown) => failed(error));
  try {
    await done;
  } finally {
    sendStatus();
    await Promise.race([
      new Promise<void>((resolve) => {
        stream.once("close", () => resolve());
        stream.end();
      }),
      sleep(2000),
    ]);
    await rep.end({ timeout: 1 });
  }
  return { elapsedMs, tally };
}

/** Inserts rows `from .. from + n - 1` in transactions of 100, one after the other. */
const INSERT_RANGE = (table: string) =>
  `INSERT INTO ${table} (id, value)
   SELECT g, 'v' || lpad(to_hex(g), 15, '0') FROM generate_series($1::int, $2::int) AS g`;

async function writeBacklog(
  sql: Sql,
  table: string,
  records: number,
): Promise<void> {
  const insert = INSERT_RANGE(table);
  for (let from = 0; from < records; from += TXN_ROWS) {
    await sql.unsafe(insert, [from, from + TXN_ROWS - 1]);
  }
}

/**
 * Inserts `records` rows in transactions of 100 at `rate` rows/s: the k-th
 * transaction starts at k * 100 / rate s (at once when behind). Returns the
 * rate it held.
 */
async function writeSteadily(
  url: string,
  table: string,
  records: number,
  rate: number,
): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const insert = INSERT_RANGE(table);
  const intervalMs = TXN_ROWS / rate * 1000;
  try {
    await sql.unsafe("SELECT 1");
    const start = performance.now();
    for (let k = 0; k * TXN_ROWS < records; k++) {
      const wait = start + k * intervalMs - performance.now();
      if (wait >= 1) await sleep(wait);
      await sql.unsafe(insert, [k * TXN_ROWS, (k + 1) * TXN_ROWS - 1]);
    }
    return records / ((performance.now() - start) / 1000);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** The slot's state: whether a reader holds it, and whether it confirmed past `lsn`. */
async function slotState(
  sql: Sql,
  slot: string,
  lsn: string,
): Promise<{ active: boolean; past: boolean }> {
  const [row] = await sql.unsafe(
    `SELECT active, coalesce(confirmed_flush_lsn > $2::pg_lsn, false) AS past
     FROM pg_replication_slots WHERE slot_name = $1`,
    [slot, lsn],
  );
  return { active: row?.active === true, past: row?.past === true };
}

/** The value at quantile `q` of sorted `values` (nearest rank). */
function quantile(values: Float64Array, q: number): number {
  return values[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)]!;
}

/** The change source row. */
export const postgresChangeSourceRow: Row = {
  name: "postgres-change-source",
  records: 500_000,
  multipleOf: TXN_ROWS,
  workload:
    "a backlog of inserts in transactions of 100 on a fresh pgoutput slot, read to the end, slot confirmed after each batch",
  baseline:
    "replication connection, START_REPLICATION read by hand with the connector's own decoder (_pgoutput_decoder.ts), a change object per insert, count batches of 512, standby status update after each",
  clients: ["postgres"],
  async open(records: number): Promise<RowSession> {
    let cluster: TestCluster;
    try {
      cluster = await testCluster();
    } catch (error) {
      throw new Error(
        `Cannot open postgres-change-source: the private cluster did not start: ${error}`,
      );
    }
    const admin = cluster.sql;
    const table = uniqueName("ca_bench_cdc");
    const publication = uniqueName("ca_bench_pub");
    /** Slots made and not dropped yet. */
    const slots = new Set<string>();
    await createTable(admin, table);
    await admin.unsafe(`CREATE PUBLICATION ${publication} FOR TABLE ${table}`);

    /** Empties the table and makes a slot that sees what comes next. */
    async function freshSlot(): Promise<string> {
      await admin.unsafe(`TRUNCATE ${table}`);
      const slot = uniqueName("ca_bench_slot");
      await admin.unsafe(
        "SELECT pg_create_logical_replication_slot($1, 'pgoutput')",
        [slot],
      );
      slots.add(slot);
      return slot;
    }

    /** Checks the slot confirmed the last change counted, then drops it. */
    async function finish(slot: string, lastLsn: string, what: string) {
      await eventually(async () => {
        const state = await slotState(admin, slot, lastLsn);
        if (!state.past) {
          return `Cannot trust ${what}: slot ${slot} has not confirmed the last transaction (${lastLsn})`;
        }
        return state.active
          ? `Cannot drop slot ${slot}: its reader still holds it`
          : undefined;
      });
      await admin.unsafe("SELECT pg_drop_replication_slot($1)", [slot]);
      slots.delete(slot);
    }

    /** Reads `n` changes from `slot` with `impl`. */
    function read(
      impl: Impl,
      slot: string,
      n: number,
      count: ChangeCounter,
    ): Promise<ChangeRun> {
      if (impl === "connector") {
        return pipeSource<PostgresChange>(
          postgresChangeSource({
            url: cluster.url,
            slot,
            tables: [table],
            publication,
          }),
          n,
          {},
          count,
        );
      }
      return readByHand(cluster.url, slot, publication, n, count);
    }

    /** Reads under the steady writer; the lags of every change, sorted. */
    async function lagRun(impl: Impl) {
      const n = LAG_RATE * LAG_SECONDS;
      const slot = await freshSlot();
      const lags = new Float64Array(n);
      let seen = 0;
      let lastLsn = "0/0";
      let lastTime = "";
      let lastMs = 0;
      const reading = read(impl, slot, n, (change) => {
        if (change.commitTime !== lastTime) {
          lastTime = change.commitTime;
          lastMs = Date.parse(lastTime);
        }
        if (seen < n) lags[seen++] = Date.now() - lastMs;
        lastLsn = change.lsn;
        return change.after as unknown as BenchRecord;
      });
      reading.catch(() => {});
      // The reader is streaming once it holds the slot.
      await eventually(
        async () =>
          (await slotState(admin, slot, "0/0")).active
            ? undefined
            : `Cannot measure the lag: the ${impl} did not start reading slot ${slot}`,
        20_000,
      );
      await sleep(200);
      const rate = await writeSteadily(cluster.url, table, n, LAG_RATE);
      const run = await reading;
      verify(run.tally, n, `postgres-change-source lag ${impl}`);
      await finish(slot, lastLsn, `postgres-change-source lag ${impl}`);
      lags.sort();
      return {
        rate,
        p50: quantile(lags, 0.5),
        p99: quantile(lags, 0.99),
        max: lags[n - 1]!,
      };
    }

    return {
      server: await serverOf(
        admin,
        "a private cluster on 127.0.0.1, wal_level logical, fsync off",
      ),
      async run(impl: Impl): Promise<RowRun> {
        const slot = await freshSlot();
        await writeBacklog(admin, table, records);
        let lastLsn = "0/0";
        const run = await read(impl, slot, records, (change) => {
          lastLsn = change.lsn;
          return change.after as unknown as BenchRecord;
        });
        verify(run.tally, records, `postgres-change-source ${impl}`);
        await finish(slot, lastLsn, `postgres-change-source ${impl}`);
        return { elapsedMs: run.elapsedMs, records };
      },
      async extras(): Promise<RowExtras> {
        const connector = await lagRun("connector");
        const baseline = await lagRun("baseline");
        const ms = (value: number) => `${Math.round(value)} ms`;
        const figures = (lag: typeof connector) =>
          `p50 ${ms(lag.p50)}, p99 ${ms(lag.p99)}, max ${ms(lag.max)}`;
        return {
          notes: [
            `lag (commit to sink, to the ms of commitTime) under a steady ${
              LAG_RATE.toLocaleString("en-US")
            } inserts/s in transactions of ${TXN_ROWS} for ${LAG_SECONDS} s (a writer on another connection of this process, which held ${
              Math.round(connector.rate).toLocaleString("en-US")
            }/s and ${
              Math.round(baseline.rate).toLocaleString("en-US")
            }/s): connector ${figures(connector)}; hand-written reader ${
              figures(baseline)
            }`,
          ],
          targets: [{
            label: `CDC lag under 1 s (max ${ms(connector.max)})`,
            met: connector.max < LAG_TARGET_MS,
          }],
        };
      },
      async close() {
        try {
          for (const slot of slots) {
            await admin.unsafe(
              "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active",
              [slot],
            ).catch(() => {});
          }
          await admin.unsafe(`DROP PUBLICATION IF EXISTS ${publication}`);
          await admin.unsafe(`DROP TABLE IF EXISTS ${table}`);
        } finally {
          await cluster.stop();
        }
      },
    };
  },
};
