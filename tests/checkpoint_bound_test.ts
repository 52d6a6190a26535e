// checkpoint.maxUncommittedRecords: reading waits while that many records
// are read but not committed, without ever stalling the pipeline for good.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  batch,
  batchSink,
  type CheckpointStore,
  collect,
  map,
  mapConcurrent,
  memoryStore,
  oneToOne,
  pipeline,
  type PipelineSummary,
  type Position,
  resumableSource,
  unbatch,
} from "@ca/streams";

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A store whose commits take `delayMs` (a remote store), and that tells
 * how many records the last commit that landed covers: positions are the
 * last record's number, so `committed()` is that plus one.
 */
function slowStore(delayMs: number) {
  const inner = memoryStore();
  let committed = 0;
  let commits = 0;
  const store: CheckpointStore = {
    get: (id) => inner.get(id),
    acquire: (id) => inner.acquire(id),
    delete: (id) => inner.delete(id),
    async commit(id, position, generation) {
      await sleep(delayMs);
      await inner.commit(id, position, generation);
      committed = (position as number) + 1;
      commits++;
    },
  };
  return { store, committed: () => committed, commits: () => commits };
}

/**
 * Records 0..n-1 in batches of `size`, as fast as they are pulled. It notes
 * the most records ever read but not committed, right after each batch.
 */
function numbers(n: number, size: number, committed: () => number) {
  let maxAhead = 0;
  const source = resumableSource<number>({
    name: "numbers",
    async *open(after) {
      for (let i = after === undefined ? 0 : Number(after) + 1; i < n;) {
        const records: number[] = [];
        while (records.length < size && i < n) records.push(i++);
        maxAhead = Math.max(maxAhead, i - committed());
        yield { records, position: i - 1 };
      }
    },
  });
  return { source, maxAhead: () => maxAhead };
}

/** Fails the test instead of hanging it when the pipeline stalls. */
async function within<T>(ms: number, run: PromiseLike<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the pipeline stalled for ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([Promise.resolve(run), stalled]);
  } finally {
    clearTimeout(timer);
  }
}

const ordered = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("checkpoint.maxUncommittedRecords", () => {
  test("records read but not committed never exceed the bound plus one batch", async () => {
    const slow = slowStore(10);
    const { source, maxAhead } = numbers(20_000, 100, slow.committed);
    const sink = collect<number>();
    const summary = await within(
      60_000,
      pipeline(source, map((n: number) => n), sink, {
        id: "bound",
        checkpoint: {
          store: slow.store,
          everyRecords: 200,
          maxUncommittedRecords: 1000,
        },
      }),
    );
    assert.ok(maxAhead() <= 1000 + 100, `${maxAhead()} records ahead`);
    assert.deepEqual(sink.records, ordered(20_000));
    assert.equal(summary.position, 19_999);
  });

  test("without the bound, the same run reads far ahead of its commits", async () => {
    // What makes the test above mean something: the same slow store and
    // fast source, with nothing holding the source back.
    const slow = slowStore(10);
    const { source, maxAhead } = numbers(20_000, 100, slow.committed);
    await pipeline(source, map((n: number) => n), new WritableStream(), {
      id: "unbounded",
      checkpoint: { store: slow.store, everyRecords: 200 },
    });
    assert.ok(maxAhead() > 1000 + 100, `only ${maxAhead()} records ahead`);
  });

  test("a bound below everyRecords commits on its own, without waiting for everyMs", async () => {
    const slow = slowStore(2);
    const { source, maxAhead } = numbers(10_000, 50, slow.committed);
    const summary = await within(
      20_000,
      pipeline(source, new WritableStream(), {
        id: "below-every-records",
        checkpoint: {
          store: slow.store,
          everyRecords: 1_000_000,
          everyMs: 3_600_000,
          maxUncommittedRecords: 300,
        },
      }),
    );
    assert.equal(summary.position, 9_999);
    assert.ok(slow.commits() >= 10_000 / 350, `${slow.commits()} commits`);
    assert.ok(maxAhead() <= 300 + 50, `${maxAhead()} records ahead`);
  });

  test("a bound of one record still runs to the end", async () => {
    const slow = slowStore(1);
    const { source, maxAhead } = numbers(500, 10, slow.committed);
    const sink = collect<number>();
    const summary = await within(
      20_000,
      pipeline(source, sink, {
        id: "tiny",
        checkpoint: {
          store: slow.store,
          everyMs: 3_600_000,
          maxUncommittedRecords: 1,
        },
      }),
    );
    assert.deepEqual(sink.records, ordered(500));
    assert.equal(summary.position, 499);
    assert.ok(maxAhead() <= 1 + 10, `${maxAhead()} records ahead`);
  });

  test("a slow sink and a concurrent stage neither stall nor break the bound", async () => {
    const slow = slowStore(3);
    const { source, maxAhead } = numbers(6_000, 100, slow.committed);
    const written: number[] = [];
    const summary = await within(
      30_000,
      pipeline(
        source,
        mapConcurrent(async (n: number) => {
          if (n % 50 === 0) await sleep(1);
          return n;
        }, { concurrency: 4 }),
        batch<number>(64, { maxWaitMs: 5 }),
        unbatch<number>(),
        oneToOne(
          new TransformStream<number, number>({
            transform: (n, controller) => controller.enqueue(n),
          }),
        ),
        batchSink<number>({
          async write(records) {
            await sleep(5);
            written.push(...records);
          },
        }),
        {
          id: "slow-sink",
          batchSize: 100,
          checkpoint: {
            store: slow.store,
            everyRecords: 10_000,
            everyMs: 3_600_000,
            maxUncommittedRecords: 300,
          },
        },
      ),
    );
    assert.deepEqual(written, ordered(6_000));
    assert.equal(summary.position, 5_999);
    assert.ok(maxAhead() <= 300 + 100, `${maxAhead()} records ahead`);
  });

  test("stop() while reading waits for a commit ends the run", async () => {
    const slow = slowStore(200);
    const { source } = numbers(1_000_000, 100, slow.committed);
    const running = pipeline(source, new WritableStream(), {
      id: "stop-while-waiting",
      checkpoint: { store: slow.store, maxUncommittedRecords: 100 },
    });
    await sleep(50);
    const summary: PipelineSummary = await within(5_000, running.stop());
    assert.equal(summary.recordsRead, summary.recordsWritten);
    assert.ok(summary.recordsRead < 1_000_000);
    assert.equal(summary.position, summary.recordsRead - 1);
  });

  test("invalid values and undeclared user transforms are refused by name", () => {
    const { source } = numbers(10, 10, () => 0);
    const store = memoryStore();
    const build = (max: unknown, ...processors: TransformStream[]) => () =>
      (pipeline as (...args: unknown[]) => unknown)(
        source,
        ...processors,
        new WritableStream(),
        {
          id: "invalid",
          checkpoint: { store, maxUncommittedRecords: max },
        },
      );
    for (const max of [0, -5, 1.5, Number.NaN, Infinity]) {
      assert.throws(build(max), (error: unknown) => {
        assert.ok(error instanceof RangeError);
        assert.match(
          error.message,
          /^Cannot build pipeline: options\.checkpoint\.maxUncommittedRecords must be a positive integer, got /,
        );
        return true;
      });
    }
    assert.throws(build("100"), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.match(
        error.message,
        /options\.checkpoint\.maxUncommittedRecords must be a number, got string/,
      );
      return true;
    });
    assert.throws(build(100, new TransformStream()), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.match(
        error.message,
        /maxUncommittedRecords .*processor 0 \(argument 2\) is your own TransformStream.*oneToOne\(\)/,
      );
      return true;
    });
  });

  test("positions need not be numbers: the bound counts records", async () => {
    const slow = slowStore(0);
    const positions: Position[] = [];
    const source = resumableSource<number>({
      async *open() {
        for (let i = 0; i < 2_000; i += 100) {
          yield {
            records: ordered(100).map((k) => i + k),
            position: { offset: `${i + 99}` },
          };
        }
      },
    });
    const store: CheckpointStore = {
      ...slow.store,
      async commit(id, position, generation) {
        positions.push(position);
        await slow.store.commit(id, 0, generation);
      },
    };
    const summary = await within(
      20_000,
      pipeline(source, new WritableStream(), {
        id: "object-positions",
        checkpoint: { store, everyMs: 3_600_000, maxUncommittedRecords: 250 },
      }),
    );
    assert.deepEqual(summary.position, { offset: "1999" });
    assert.ok(positions.length >= 2_000 / 350, `${positions.length} commits`);
  });
});
