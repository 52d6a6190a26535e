// Retry policies and the dead-letter sink.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  batchSink,
  collect,
  type DeadLetter,
  filter,
  flatMap,
  map,
  mapConcurrent,
  memoryStore,
  pipeline,
  RecordError,
  resumableSource,
  StageError,
  tap,
} from "@ca/streams";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const fast = { initialDelayMs: 1, maxDelayMs: 2 };

/** Fails the first `times` calls for each value in `bad`, then succeeds. */
function flaky(bad: Set<number>, times: number) {
  const calls = new Map<number, number>();
  return (n: number) => {
    const seen = (calls.get(n) ?? 0) + 1;
    calls.set(n, seen);
    if (bad.has(n) && seen <= times) throw new Error(`flaky ${n}`);
    return n;
  };
}

describe("retry", () => {
  test("a failing call is retried and the record goes on", async () => {
    for (
      const make of [
        (f: (n: number) => number) => map(f, { retry: fast }),
        (f: (n: number) => number) =>
          filter((n: number) => f(n) >= 0, { retry: fast }),
        (f: (n: number) => number) => tap(f, { retry: fast }),
        (f: (n: number) => number) =>
          flatMap((n: number) => [f(n)], { retry: fast }),
        (f: (n: number) => number) =>
          mapConcurrent(f, { concurrency: 4, retry: fast }),
      ]
    ) {
      const sink = collect<number>();
      await pipeline(range(500), make(flaky(new Set([7, 300]), 2)), sink);
      assert.deepEqual(sink.records, range(500));
    }
  });

  test("after maxAttempts the pipeline fails naming the attempts", async () => {
    function lookup(n: number) {
      if (n === 42) throw new Error("still down");
      return n;
    }
    await assert.rejects(
      Promise.resolve(
        pipeline(
          range(100),
          map(lookup, { retry: { ...fast, maxAttempts: 4 } }),
          new WritableStream(),
        ),
      ),
      (error: unknown) =>
        error instanceof StageError && error.recordIndex === 42 &&
        error.attempts === 4 &&
        /after 4 attempts: still down/.test(error.message),
    );
  });

  test("retryable() decides which errors are worth another attempt", async () => {
    let calls = 0;
    await assert.rejects(
      Array.fromAsync(
        ReadableStream.from([1]).pipeThrough(
          map(() => {
            calls++;
            throw new TypeError("bad input, retrying will not help");
          }, {
            retry: { ...fast, retryable: (e) => !(e instanceof TypeError) },
          }),
        ),
      ),
      (error: unknown) => error instanceof RecordError && error.attempts === 1,
    );
    assert.equal(calls, 1);
  });

  test("a batchSink write is retried", async () => {
    let failures = 2;
    const stored: number[] = [];
    await pipeline(
      range(3000),
      batchSink<number>({
        write(records) {
          if (failures-- > 0) throw new Error("connection reset");
          stored.push(...records);
        },
      }, { retry: fast }),
    );
    assert.deepEqual(stored, range(3000));
  });

  test("retry options are checked, naming the field", () => {
    assert.throws(
      () => map((n: number) => n, { retry: { maxAttempts: 0 } }),
      /Cannot create map\(\): options\.retry\.maxAttempts must be an integer of at least 1, got 0/,
    );
  });
});

describe("dead-letter sink", () => {
  test("records that keep failing go to the dead-letter sink and the pipeline goes on", async () => {
    const deadLetter = collect<DeadLetter>();
    const sink = collect<number>();
    function parse(n: number) {
      if (n % 100 === 13) throw new Error(`bad ${n}`);
      return n;
    }
    const summary = await pipeline(
      range(1000),
      filter((n: number) => n >= 0),
      map(parse, { retry: { ...fast, maxAttempts: 2 } }),
      sink,
      { deadLetter },
    );
    const bad = range(1000).filter((n) => n % 100 === 13);
    assert.deepEqual(sink.records, range(1000).filter((n) => n % 100 !== 13));
    assert.equal(summary.recordsDeadLettered, bad.length);
    assert.deepEqual(deadLetter.records.map((d) => d.record), bad);
    const first = deadLetter.records[0]!;
    assert.equal(first.stageIndex, 1);
    assert.equal(first.stageName, "parse");
    assert.equal(first.attempts, 2);
    assert.equal((first.error as Error).message, "bad 13");
  });

  test("mapConcurrent and flatMap divert and keep order", async () => {
    const deadLetter = collect<DeadLetter>();
    const sink = collect<number>();
    await pipeline(
      range(200),
      mapConcurrent(async (n: number) => {
        await new Promise((r) => setTimeout(r, n % 3));
        if (n % 50 === 0) throw new Error("lookup failed");
        return n;
      }, { concurrency: 5 }),
      flatMap((n: number) => {
        if (n === 77) throw new Error("cannot split");
        return [n];
      }),
      sink,
      { deadLetter },
    );
    assert.deepEqual(
      sink.records,
      range(200).filter((n) => n % 50 !== 0 && n !== 77),
    );
    // Stages run concurrently: dead letters are in order within a stage.
    const ofStage = (stage: number) =>
      deadLetter.records.filter((d) => d.stageIndex === stage).map((d) =>
        d.record
      );
    assert.deepEqual(ofStage(0), [0, 50, 100, 150]);
    assert.deepEqual(ofStage(1), [77]);
  });

  test("a sink batch that keeps failing is split, and only the bad records are dead letters", async () => {
    const deadLetter = collect<DeadLetter>();
    const stored: number[] = [];
    await pipeline(
      range(2000),
      batchSink<number>({
        write(records) {
          if (records.includes(1234)) throw new Error("constraint violated");
          stored.push(...records);
        },
      }, { retry: fast }),
      { deadLetter },
    );
    assert.deepEqual(stored, range(2000).filter((n) => n !== 1234));
    assert.equal(deadLetter.records.length, 1);
    assert.equal(deadLetter.records[0]!.record, 1234);
    assert.equal(deadLetter.records[0]!.stageIndex, 0);
  });

  test("a dead letter counts as done: the checkpoint moves past it", async () => {
    const store = memoryStore();
    const source = resumableSource<number>({
      async *open() {
        for (let i = 0; i < 1000; i += 100) {
          yield { records: range(100).map((n) => n + i), position: i + 99 };
        }
      },
    });
    const deadLetter = collect<DeadLetter>();
    const summary = await pipeline(
      source,
      map((n: number) => {
        if (n === 500) throw new Error("poison");
        return n;
      }),
      new WritableStream(),
      { id: "poison", checkpoint: { store }, deadLetter },
    );
    assert.equal(summary.position, 999);
    assert.equal(deadLetter.records.length, 1);
  });
});
