// Copyright 2026 the @ca/streams authors. MIT license.
// postgresSink({ exactlyOnce: true }) against the server at
// CA_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test):
// each batch and the pipeline's position in one transaction, so that a
// rerun after an abort repeats no row, even with plain inserts; fencing;
// dead letters; and every setup it refuses, with its reason. Each test
// makes tables of its own, dropped at the end.

import assert from "node:assert/strict";
import process from "node:process";
import { after, afterEach, test } from "node:test";
import postgres from "postgres";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import type { Position } from "../../src/checkpoint/position.ts";
import { memoryStore } from "../../src/checkpoint/memory_store.ts";
import { FencedError } from "../../src/checkpoint/fenced_error.ts";
import type { DeadLetter } from "../../src/failures/dead_letter.ts";
import { fanOut } from "../../src/graph/fan_out.ts";
import { collect } from "../../src/sinks/collect.ts";
import { resumableSource } from "../../src/sources/resumable_source.ts";
import { uniqueTable } from "./_sql_test_helpers.ts";
import { ExactlyOnceError } from "./exactly_once_error.ts";
import { postgresSink } from "./postgres_sink.ts";
import type { PostgresSinkSql } from "./postgres_sink.ts";
import { postgresStore } from "./postgres_store.ts";

const url = process.env.CA_TEST_POSTGRES_URL ??
  "postgres://postgres@127.0.0.1:5432/test";
const sql = postgres(url, { max: 4, connect_timeout: 3, onnotice: () => {} });
const client = sql as unknown as PostgresSinkSql;
after(() => sql.end({ timeout: 5 }));

const tables: string[] = [];
afterEach(async () => {
  for (const name of tables.splice(0)) {
    await sql.unsafe(`DROP TABLE IF EXISTS "${name}"`);
  }
});

/** A table of rows (n int, label text) with no key, and a checkpoint table. */
async function setup(label: string) {
  const rows = uniqueTable(label);
  const checkpoints = uniqueTable(`${label}_cp`);
  tables.push(rows, checkpoints);
  await sql.unsafe(`CREATE TABLE "${rows}" (n int NOT NULL, label text)`);
  return {
    rows,
    checkpoints,
    store: postgresStore(sql, { table: checkpoints }),
  };
}

/** Records 0..total-1 in batches of `size`; position = the last n. */
function numbers(total: number, size = 100, onBatch?: (last: number) => void) {
  return resumableSource<{ n: number; label: string }>({
    async *open(after?: Position) {
      for (
        let i = (after as number | undefined ?? -1) + 1;
        i < total;
        i += size
      ) {
        const records = [];
        for (let n = i; n < Math.min(i + size, total); n++) {
          records.push({ n, label: n % 7 === 3 ? "bad" : `r${n}` });
        }
        const last = records.at(-1)!.n;
        onBatch?.(last);
        yield { records, position: last };
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    },
  });
}

/** A TransformStream that passes each record on when the next one comes. */
function holdOneBack<T>(): TransformStream<T, T> {
  let held: { record: T } | undefined;
  return new TransformStream<T, T>({
    transform(record, controller) {
      if (held) controller.enqueue(held.record);
      held = { record };
    },
    flush(controller) {
      if (held) controller.enqueue(held.record);
    },
  });
}

async function counts(table: string) {
  const [row] = await sql.unsafe(
    `SELECT count(*)::int AS rows, count(DISTINCT n)::int AS distinct_n, coalesce(max(n), -1)::int AS max FROM "${table}"`,
  );
  return row as unknown as { rows: number; distinct_n: number; max: number };
}

async function failureOf(run: PromiseLike<unknown>): Promise<Error> {
  try {
    await run;
  } catch (error) {
    return ((error as Error).cause ?? error) as Error;
  }
  throw new Error("expected the pipeline to fail");
}

test("rows and the position land together: a rerun after an abort repeats no row", async () => {
  const { rows, store } = await setup("eo_abort");
  const sink = () =>
    postgresSink({ sql: client, table: rows, exactlyOnce: true });
  // Abort the first run in the middle, with batches in flight.
  const controller = new AbortController();
  const first = pipeline(
    numbers(5000, 100, (last) => last >= 2499 && controller.abort()),
    sink(),
    {
      id: rows,
      checkpoint: { store, everyMs: 60_000 },
      signal: controller.signal,
    },
  );
  await first.catch(() => {});
  const half = await counts(rows);
  assert.ok(
    half.rows > 0 && half.rows < 5000,
    `${half.rows} rows after the abort`,
  );
  assert.equal(half.rows, half.distinct_n);
  // The stored position is exactly where the rows end.
  const stored = await store.get(rows);
  assert.equal(stored.position, half.max);

  const summary = await pipeline(numbers(5000), sink(), {
    id: rows,
    checkpoint: { store, everyMs: 60_000 },
  });
  const all = await counts(rows);
  assert.deepEqual(all, { rows: 5000, distinct_n: 5000, max: 4999 });
  assert.equal(summary.position, 4999);
  assert.equal((await store.get(rows)).position, 4999);
});

test("an older instance is fenced: its next batch fails and is not stored", async () => {
  const { rows, store } = await setup("eo_fenced");
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const source = resumableSource<{ n: number }>({
    async *open() {
      yield { records: [{ n: 0 }], position: 0 };
      await gate;
      yield { records: [{ n: 1 }], position: 1 };
    },
  });
  const run = pipeline(
    source,
    postgresSink({ sql: client, table: rows, exactlyOnce: true }),
    { id: rows, checkpoint: { store } },
  );
  // Wait for the first row, then another instance takes the checkpoint over.
  while ((await counts(rows)).rows === 0) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await store.acquire(rows);
  release();
  const error = await failureOf(run);
  assert.ok(error instanceof FencedError, String(error));
  assert.deepEqual(await counts(rows), { rows: 1, distinct_n: 1, max: 0 });
  assert.equal((await store.get(rows)).position, 0);
});

test("records that do not fit go to the dead letter; the rest and the position commit once", async () => {
  const { rows, store } = await setup("eo_dead");
  await sql.unsafe(
    `ALTER TABLE "${rows}" ADD CONSTRAINT no_bad CHECK (label <> 'bad')`,
  );
  const letters = collect<DeadLetter>();
  const summary = await pipeline(
    numbers(700),
    postgresSink({ sql: client, table: rows, exactlyOnce: true }),
    { id: rows, checkpoint: { store }, deadLetter: letters },
  );
  const bad = Array.from({ length: 700 }, (_, n) => n).filter((n) =>
    n % 7 === 3
  );
  assert.deepEqual(
    letters.records.map((letter) => (letter.record as { n: number }).n),
    bad,
  );
  assert.deepEqual(await counts(rows), {
    rows: 700 - bad.length,
    distinct_n: 700 - bad.length,
    max: 699,
  });
  assert.equal(summary.position, 699);
  assert.equal((await store.get(rows)).position, 699);
});

test("with a url, the sink writes through the checkpoint store's client of the same database", async () => {
  const { rows, store } = await setup("eo_url");
  await pipeline(
    numbers(300),
    postgresSink({ url, table: rows, exactlyOnce: true }),
    {
      id: rows,
      checkpoint: { store },
    },
  );
  assert.deepEqual(await counts(rows), {
    rows: 300,
    distinct_n: 300,
    max: 299,
  });
  assert.equal((await store.get(rows)).position, 299);
});

test("refused setups: each fails at the first batch with ExactlyOnceError, nothing stored", async (t) => {
  const { rows, store } = await setup("eo_refused");
  const cases: [string, () => PromiseLike<unknown>, RegExp][] = [
    [
      "no checkpoint store",
      () =>
        pipeline(
          numbers(10),
          postgresSink({ sql: client, table: rows, exactlyOnce: true }),
        ),
      /gives the sink no checkpoint/,
    ],
    [
      "a store of another kind",
      () =>
        pipeline(
          numbers(10),
          postgresSink({ sql: client, table: rows, exactlyOnce: true }),
          {
            id: "x",
            checkpoint: { store: memoryStore() },
          },
        ),
      /checkpoint store is not a PostgreSQL store/,
    ],
    [
      "a store on another client",
      () => {
        const other = postgres(url, { max: 1, onnotice: () => {} });
        t.after(() => other.end({ timeout: 5 }));
        return pipeline(
          numbers(10),
          postgresSink({ sql: client, table: rows, exactlyOnce: true }),
          {
            id: "y",
            checkpoint: {
              store: postgresStore(other, { table: uniqueTable("eo_other") }),
            },
          },
        );
      },
      /another postgres client/,
    ],
    [
      "a url of another database",
      () =>
        pipeline(
          numbers(10),
          postgresSink({
            url: url.replace(/\/[^/]*$/, "/postgres"),
            table: rows,
            exactlyOnce: true,
          }),
          { id: "z", checkpoint: { store } },
        ),
      /another database than the sink's url/,
    ],
    [
      "a processor that holds records back",
      () =>
        pipeline(
          numbers(10, 3),
          holdOneBack(),
          postgresSink({ sql: client, table: rows, exactlyOnce: true }),
          { id: "w", checkpoint: { store } },
        ),
      /does not end where a batch of the source ended/,
    ],
    [
      "inside fanOut()",
      () =>
        pipeline(
          numbers(10),
          fanOut({
            db: postgresSink({ sql: client, table: rows, exactlyOnce: true }),
            copy: collect(),
          }),
          { id: "v", checkpoint: { store } },
        ),
      /no checkpoint.*cannot sit inside fanOut\(\)/,
    ],
  ];
  for (const [what, run, message] of cases) {
    const error = await failureOf(run()).catch((error) => {
      throw new Error(`${what}: ${error.message}`);
    });
    assert.ok(error instanceof ExactlyOnceError, `${what}: ${error}`);
    assert.equal(error.code, "CA_ERR_EXACTLY_ONCE");
    assert.match(error.message, /^Cannot write exactly once to table "/);
    assert.match(error.message, message, what);
  }
  assert.equal((await counts(rows)).rows, 0);
});

test("exactlyOnce must be a boolean", () => {
  assert.throws(
    () =>
      postgresSink({ sql: client, table: "t", exactlyOnce: "yes" as never }),
    /Cannot create postgresSink\(\): exactlyOnce must be true or false, got "yes"/,
  );
});
