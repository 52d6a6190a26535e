// At-least-once: positions, acknowledgements, checkpoints, resume, fencing.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  batch,
  batchSink,
  type CheckpointStore,
  collect,
  FencedError,
  filter,
  flatMap,
  map,
  mapConcurrent,
  memoryStore,
  oneToOne,
  pipeline,
  type Position,
  resumableSource,
  StageError,
  unbatch,
} from "@ca/streams";

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Records 0..n-1; the position of record i is i; batches of `size`. */
function numbers(
  n: number,
  options: { size?: number; delayMs?: number; acks?: Position[] } = {},
) {
  const { size = 100, delayMs = 0, acks } = options;
  const opened: Array<Position | undefined> = [];
  const source = resumableSource<number>({
    name: "numbers",
    async *open(after) {
      opened.push(after);
      for (let i = after === undefined ? 0 : Number(after) + 1; i < n;) {
        const records: number[] = [];
        while (records.length < size && i < n) records.push(i++);
        if (delayMs > 0) await sleep(delayMs);
        yield { records, position: i - 1 };
      }
    },
    ack: acks && ((position) => void acks.push(position)),
  });
  return { source, opened };
}

/** A store that records every commit and can be slowed down. */
function observed(store: CheckpointStore, delayMs = 0) {
  const commits: Position[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const wrapped: CheckpointStore = {
    get: (id) => store.get(id),
    acquire: (id) => store.acquire(id),
    delete: (id) => store.delete(id),
    async commit(id, position, generation) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        if (delayMs > 0) await sleep(delayMs);
        await store.commit(id, position, generation);
        commits.push(position);
      } finally {
        inFlight--;
      }
    },
  };
  return { store: wrapped, commits, maxInFlight: () => maxInFlight };
}

describe("checkpoints", () => {
  test("a second run resumes after the committed position", async () => {
    const store = memoryStore();
    const first = collect<number>();
    const { source } = numbers(1000);
    const summary = await pipeline(source, first, {
      id: "resume",
      checkpoint: { store, everyRecords: 100 },
    });
    assert.equal(first.records.length, 1000);
    assert.equal(summary.position, 999);
    assert.ok(summary.commits! >= 1);
    assert.equal((await store.get("resume")).position, 999);

    const again = numbers(1500);
    const second = collect<number>();
    await pipeline(again.source, second, {
      id: "resume",
      checkpoint: { store },
    });
    assert.deepEqual(again.opened, [999]);
    assert.deepEqual(
      second.records,
      Array.from({ length: 500 }, (_, i) => i + 1000),
    );
  });

  test("a failing sink never lets the checkpoint pass the failed record", async () => {
    const { store, commits } = observed(memoryStore());
    const { source } = numbers(10_000, { size: 50 });
    const running = pipeline(
      source,
      map((n: number) => n),
      new WritableStream<number>({
        write(n) {
          if (n === 4321) throw new Error("disk full");
        },
      }),
      { id: "failing", checkpoint: { store, everyRecords: 100 } },
    );
    await assert.rejects(Promise.resolve(running), StageError);
    assert.equal(running.state, "degraded");
    const stored = (await store.get("failing")).position as number;
    assert.ok(stored < 4321, `checkpoint ${stored} passed the failed record`);
    assert.ok(commits.every((p) => (p as number) < 4321));
    // The records before the failure are done: the final commit says so.
    assert.equal(stored, 4299);
  });

  test("resume after a failure delivers every record, duplicates only after the restart", async () => {
    const store = memoryStore();
    const delivered: number[] = [];
    let fail = true;
    const sink = () =>
      new WritableStream<number>({
        write(n) {
          if (fail && n === 777) throw new Error("crash");
          delivered.push(n);
        },
      });
    await assert.rejects(
      Promise.resolve(
        pipeline(numbers(2000, { size: 64 }).source, sink(), {
          id: "crash",
          checkpoint: { store, everyRecords: 10 },
        }),
      ),
    );
    const restartAt = delivered.length;
    fail = false;
    await pipeline(numbers(2000, { size: 64 }).source, sink(), {
      id: "crash",
      checkpoint: { store, everyRecords: 10 },
    });
    const unique = new Set(delivered);
    assert.equal(unique.size, 2000, "no record lost");
    assert.deepEqual(delivered.slice(0, restartAt), [
      ...Array(restartAt).keys(),
    ]);
    const replayed = delivered.slice(restartAt);
    assert.equal(replayed.at(-1), 1999);
    assert.ok(replayed[0]! <= 777, "resumed at or before the failed record");
  });

  test("filter, flatMap, batch, mapConcurrent and a user transform neither stall nor skip the checkpoint", async () => {
    const cases: Array<[string, TransformStream<number, unknown>[]]> = [
      ["filter", [filter((n: number) => n % 7 === 0)]],
      ["filter dropping everything", [filter(() => false)]],
      ["flatMap", [flatMap((n: number) => n % 2 ? [] : [n, n, n])]],
      ["batch", [batch<number>(33), unbatch<number>()]],
      [
        "mapConcurrent",
        [mapConcurrent(async (n: number) => {
          await sleep(n % 3);
          return n;
        }, { concurrency: 8 })],
      ],
      [
        "user transform",
        [new TransformStream<number, number>()],
      ],
    ];
    for (const [name, processors] of cases) {
      const { store, commits } = observed(memoryStore());
      // Paced at 1 ms a batch, so that commits have room during the run.
      const { source } = numbers(3000, { size: 50, delayMs: 1 });
      const summary = await (pipeline as (
        ...args: unknown[]
      ) => PromiseLike<{ position?: Position; commits?: number }>)(
        source,
        ...processors,
        new WritableStream(),
        { id: name, checkpoint: { store, everyRecords: 200 } },
      );
      assert.equal(summary.position, 2999, `${name}: final position`);
      const positions = commits as number[];
      assert.deepEqual(positions, [...positions].sort((a, b) => a - b), name);
      if (name !== "user transform") {
        assert.ok(
          positions.length >= 5,
          `${name}: ${positions.length} commits`,
        );
      }
    }
  });

  test("a user transform declared oneToOne() lets the checkpoint advance before it drains", async () => {
    const identity = () =>
      new TransformStream<number, number>({
        transform(n, controller) {
          controller.enqueue(n);
        },
      });
    const declared = observed(memoryStore());
    await pipeline(
      numbers(3000, { size: 50 }).source,
      oneToOne(identity()),
      new WritableStream(),
      {
        id: "declared",
        batchSize: 50,
        checkpoint: { store: declared.store, everyRecords: 200 },
      },
    );
    assert.ok(
      declared.commits.length >= 5,
      `${declared.commits.length} commits`,
    );
    assert.equal(declared.commits.at(-1), 2999);
    const blackBox = observed(memoryStore());
    await pipeline(
      numbers(3000, { size: 50 }).source,
      identity(),
      new WritableStream(),
      {
        id: "black-box",
        batchSize: 50,
        checkpoint: { store: blackBox.store, everyRecords: 200 },
      },
    );
    // Undeclared: nothing is released before the stream has drained.
    assert.deepEqual(blackBox.commits, [2999]);
  });

  test("commits are coalesced: never two in flight, far fewer than batches", async () => {
    const { store, commits, maxInFlight } = observed(memoryStore(), 20);
    const { source } = numbers(200_000, { size: 100 });
    const summary = await pipeline(
      source,
      map((n: number) => n),
      new WritableStream(),
      {
        id: "coalesced",
        checkpoint: { store, everyRecords: 100 },
      },
    );
    assert.equal(maxInFlight(), 1);
    assert.ok(
      commits.length < 2000 / 4,
      `${commits.length} commits for 2000 batches`,
    );
    assert.equal(summary.position, 199_999);
  });

  test("everyMs commits a slow pipeline on time", async () => {
    const { store, commits } = observed(memoryStore());
    const { source } = numbers(30, { size: 1, delayMs: 10 });
    await pipeline(source, new WritableStream(), {
      id: "timed",
      checkpoint: { store, everyRecords: 1000, everyMs: 50 },
    });
    assert.ok(commits.length >= 3, `${commits.length} commits in ~300 ms`);
  });

  test("the source's ack hook sees done positions in order", async () => {
    const acks: Position[] = [];
    const { source } = numbers(1000, { size: 100, acks });
    await pipeline(
      source,
      filter((n: number) => n > 500),
      new WritableStream(),
      {
        id: "acks",
        checkpoint: { store: memoryStore() },
      },
    );
    assert.deepEqual(acks, [99, 199, 299, 399, 499, 599, 699, 799, 899, 999]);
  });

  test("reset reads from the start, or after a given position", async () => {
    const store = memoryStore();
    const { generation } = await store.acquire("reset");
    await store.commit("reset", 500, generation);
    const fromStart = numbers(1000);
    await pipeline(fromStart.source, new WritableStream(), {
      id: "reset",
      checkpoint: { store, reset: "start" },
    });
    assert.deepEqual(fromStart.opened, [undefined]);
    const fromTen = numbers(1000);
    const sink = collect<number>();
    await pipeline(fromTen.source, sink, {
      id: "reset",
      checkpoint: { store, reset: { position: 10 } },
    });
    assert.deepEqual(fromTen.opened, [10]);
    assert.equal(sink.records[0], 11);
  });

  test("two instances with one id: the newer commits, the older stops fenced", async () => {
    const store = memoryStore();
    const older = pipeline(
      numbers(1_000_000, { size: 10, delayMs: 1 }).source,
      new WritableStream(),
      { id: "twice", checkpoint: { store, everyRecords: 10 } },
    );
    await sleep(50);
    // The newer instance resumes where the older one had committed.
    const newer = pipeline(
      numbers(5000, { size: 10 }).source,
      new WritableStream(),
      { id: "twice", checkpoint: { store, everyRecords: 10 } },
    );
    await assert.rejects(
      Promise.resolve(older),
      (error: unknown) =>
        error instanceof FencedError && error.code === "CA_ERR_FENCED",
    );
    assert.equal(older.state, "degraded");
    const summary = await newer;
    assert.equal(summary.position, 4999);
    assert.equal((await store.get("twice")).position, 4999);
  });

  test("checkpoint options are checked, naming the field", () => {
    const store = memoryStore();
    assert.throws(
      () =>
        pipeline(numbers(1).source, new WritableStream(), {
          checkpoint: { store },
        }),
      /options\.id is required with options\.checkpoint/,
    );
    assert.throws(
      () =>
        pipeline([1, 2], new WritableStream(), {
          id: "x",
          checkpoint: { store },
        }),
      /options\.checkpoint needs a resumable source/,
    );
    assert.throws(
      () =>
        pipeline(numbers(1).source, new WritableStream(), {
          id: "x",
          checkpoint: { store, everyRecords: 0 },
        }),
      /options\.checkpoint\.everyRecords must be a positive integer, got 0/,
    );
    assert.throws(
      () =>
        pipeline(numbers(1).source, new WritableStream(), {
          id: "x",
          checkpoint: { store: {} as CheckpointStore },
        }),
      /options\.checkpoint\.store\.get must be a function, got undefined/,
    );
  });
});

describe("deferred acknowledgement", () => {
  test("a sink that acknowledges later holds the checkpoint back until it does", async () => {
    const { store, commits } = observed(memoryStore());
    const pending: Array<() => void> = [];
    const sink = batchSink<number>({
      write(_records, context) {
        pending.push(context.defer());
      },
    });
    const running = pipeline(numbers(1000, { size: 100 }).source, sink, {
      id: "deferred",
      batchSize: 100,
      checkpoint: { store, everyRecords: 100, everyMs: 10 },
    });
    while (pending.length < 5) await sleep(5);
    await sleep(30);
    assert.deepEqual(commits, [], "nothing is committed before an ack");
    assert.equal(running.recordsWritten, 0);
    pending.shift()!();
    pending.shift()!();
    await sleep(40);
    assert.equal(commits.at(-1), 199, "two batches acknowledged");
    // The rest, acknowledged as they come; close waits for them.
    const drain = setInterval(() => pending.shift()?.(), 1);
    const summary = await running;
    clearInterval(drain);
    assert.equal(summary.recordsWritten, 1000);
    assert.equal(summary.position, 999);
  });

  test("out-of-order acknowledgements advance only over a contiguous run", async () => {
    const { store, commits } = observed(memoryStore());
    const acks: Array<() => void> = [];
    const sink = batchSink<number>({
      write(_records, context) {
        acks.push(context.defer());
      },
    });
    const running = pipeline(numbers(300, { size: 100 }).source, sink, {
      id: "unordered",
      batchSize: 100,
      checkpoint: { store, everyRecords: 1, everyMs: 5 },
    });
    while (acks.length < 3) await sleep(5);
    acks[2]!();
    acks[1]!();
    await sleep(30);
    assert.deepEqual(commits, [], "batch 0 is still in flight");
    acks[0]!();
    await running;
    assert.equal(commits.at(-1), 299);
  });

  test("a failed acknowledgement fails the pipeline without checkpointing the batch", async () => {
    const store = memoryStore();
    let fail!: (error?: unknown) => void;
    const sink = batchSink<number>({
      write(records, context) {
        const ack = context.defer();
        if (records[0] === 500) fail = ack;
        else ack();
      },
    });
    const running = pipeline(
      numbers(100_000, { size: 100, delayMs: 1 }).source,
      sink,
      {
        id: "nack",
        batchSize: 100,
        checkpoint: { store, everyRecords: 100 },
      },
    );
    while (fail === undefined) await sleep(2);
    fail(new Error("remote refused the batch"));
    await assert.rejects(
      Promise.resolve(running),
      (error: unknown) =>
        error instanceof StageError && error.stageIndex === 0 &&
        /remote refused/.test(error.message),
    );
    assert.ok(((await store.get("nack")).position as number) < 500);
  });
});
