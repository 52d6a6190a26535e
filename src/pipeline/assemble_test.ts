// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import { batch } from "../processors/batch.ts";
import { filter } from "../processors/filter.ts";
import { flatMap } from "../processors/flat_map.ts";
import { map } from "../processors/map.ts";
import { mapConcurrent } from "../processors/map_concurrent.ts";
import { oneToOne } from "../processors/one_to_one.ts";
import { take } from "../processors/take.ts";
import { unbatch } from "../processors/unbatch.ts";
import { StageError } from "../errors/stage_error.ts";
import { collect } from "../sinks/collect.ts";
import { assemble } from "./assemble.ts";
import { pipeline } from "./pipeline.ts";
import type { RecordBatch } from "./record_batch.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function batchesOf(
  input: number[],
  processors: TransformStream<never, unknown>[],
  batchSize = 64,
): Promise<RecordBatch<unknown>[]> {
  const { stream } = assemble(
    { source: input },
    processors as TransformStream<unknown, unknown>[],
    batchSize,
    0,
  );
  return await Array.fromAsync(stream);
}

/** Ranges must tile [0, n) in order: each batch starts where the last ended. */
function assertTiles(batches: RecordBatch<unknown>[], n: number): void {
  let next = 0;
  for (const { from, to } of batches) {
    assert.equal(from, next, `batch starts at ${from}, expected ${next}`);
    assert.ok(to >= from, `range [${from}, ${to}) runs backwards`);
    next = to;
  }
  assert.equal(next, n, "the ranges cover every source record");
}

test("batch ranges tile the source through filter, flatMap, batch, mapConcurrent and a user transform", async () => {
  const cases: Array<[string, TransformStream<never, unknown>[]]> = [
    ["fused head", [filter((n: number) => n % 3 === 0), map((n) => n)]],
    ["flatMap", [flatMap((n: number) => n % 2 ? [] : [n, n])]],
    ["batch", [batch(10), unbatch()]],
    [
      "batch, waiting",
      [map((n: number) => n), batch(100, { maxWaitMs: 1 }), unbatch()],
    ],
    [
      "mapConcurrent",
      [mapConcurrent((n: number) => Promise.resolve(n), { concurrency: 5 })],
    ],
    [
      "user transform",
      [
        new TransformStream<number, number>(),
        filter((n: number) => n > 5),
      ],
    ],
  ];
  for (const [name, processors] of cases) {
    const batches = await batchesOf(range(1000), processors);
    try {
      assertTiles(batches, 1000);
    } catch (error) {
      throw new Error(`${name}: ${(error as Error).message}`);
    }
  }
});

test("a user transform releases its range only when it has drained", async () => {
  const batches = await batchesOf(
    range(300),
    [new TransformStream<number, number>()],
  );
  const last = batches.at(-1)!;
  for (const { from, to } of batches.slice(0, -1)) {
    assert.equal(from, to, "no range is released while records are inside");
  }
  assert.deepEqual([last.from, last.to], [0, 300]);
});

test("batch() holds back the range of the group it is still filling", async () => {
  const batches = await batchesOf(range(10), [batch(4)], 3);
  assert.deepEqual(
    batches.map(({ records, from, to }) => [records.length, from, to]),
    // Input batches [0,3) [3,6) [6,9) [9,10). The group 0-3 closes inside
    // [3,6) while 4-5 stay open: its range stops at 3. Then 4-7 closes while
    // 8 is open: stop at 6. The last group (8, 9) is released by the flush.
    [[1, 0, 3], [1, 3, 6], [1, 6, 10]],
  );
  assertTiles(batches, 10);
});

test("take() covers what it read, then ends", async () => {
  const batches = await batchesOf(range(1000), [take(100)], 64);
  const records = batches.flatMap((b) => b.records);
  assert.deepEqual(records, range(100));
  assertTiles(batches, batches.at(-1)!.to);
});

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

type FailureMode = "none" | "throw" | "reject" | "flush" | "error()";

/**
 * A user's class `Stage<k>` that passes records on (twice when `k` is odd)
 * and fails in the given way at its 700th record.
 */
function userStage(k: number, mode: FailureMode): TransformStream<number> {
  let seen = 0;
  const Stage = class extends TransformStream<number, number> {
    constructor() {
      super({
        async transform(n, controller) {
          if (++seen === 700) {
            if (mode === "throw") throw new Error(`broken ${k}`);
            if (mode === "reject") {
              await sleep(2);
              throw new Error(`broken ${k}`);
            }
            if (mode === "error()") {
              controller.error(new Error(`broken ${k}`));
              return;
            }
          }
          controller.enqueue(n);
          if (k % 2 === 1) controller.enqueue(n);
        },
        flush() {
          if (mode === "flush") throw new Error(`broken ${k}`);
        },
      });
    }
  };
  Object.defineProperty(Stage, "name", { value: `Stage${k}` });
  return new Stage();
}

test("a failing user transform in a run of consecutive ones is named, wherever it stands", async () => {
  const modes: FailureMode[] = ["throw", "reject", "flush", "error()"];
  for (const mode of modes) {
    for (let failing = 0; failing < 4; failing++) {
      // map() at index 0, the four user transforms at 1-4, one at 5 after
      // a filter() that splits the runs.
      const processors = [
        map((n: number) => n),
        ...[0, 1, 2, 3].map((k) => userStage(k, k === failing ? mode : "none")),
        filter(() => true),
        userStage(9, "none"),
      ];
      const what = `${mode} in Stage${failing}`;
      await assert.rejects(
        Promise.resolve(
          pipeline(range(3000), ...processors as [TransformStream], collect(), {
            batchSize: 64,
          }),
        ),
        (error: unknown) => {
          assert.ok(error instanceof StageError, what);
          assert.equal(error.stageIndex, failing + 1, what);
          assert.equal(error.stageName, `Stage${failing}`, what);
          assert.equal(error.recordIndex, undefined, what);
          assert.equal((error.cause as Error).message, `broken ${failing}`);
          return true;
        },
      );
    }
  }
});

test("a user transform failing while the sink holds everything back is named", async () => {
  const sink = new WritableStream<number>({
    async write(n) {
      if (n % 10 === 0) await sleep(1);
    },
  });
  await assert.rejects(
    Promise.resolve(pipeline(
      range(5000),
      userStage(0, "none"),
      userStage(1, "reject"),
      userStage(2, "none"),
      sink,
      { batchSize: 16 },
    )),
    (error: unknown) =>
      error instanceof StageError && error.stageIndex === 1 &&
      error.stageName === "Stage1",
  );
});

test("around a run of user transforms, the failing processor or sink is named, not the run", async () => {
  await assert.rejects(
    Promise.resolve(pipeline(
      range(3000),
      userStage(0, "none"),
      map((n: number) => {
        if (n === 2000) throw new Error("bad record");
        return n;
      }),
      userStage(1, "none"),
      userStage(2, "none"),
      collect(),
      { batchSize: 64 },
    )),
    (error: unknown) =>
      error instanceof StageError && error.stageIndex === 1 &&
      error.stageName === "map",
  );
  let written = 0;
  await assert.rejects(
    Promise.resolve(pipeline(
      range(3000),
      userStage(0, "none"),
      userStage(1, "none"),
      new WritableStream<number>({
        write() {
          if (++written === 1500) throw new Error("disk full");
        },
      }),
      { batchSize: 64 },
    )),
    (error: unknown) =>
      error instanceof StageError && error.stageIndex === 2 &&
      (error.cause as Error).message === "disk full",
  );
});

test("consecutive user transforms give the hand-piped output, and the ranges tile", async () => {
  const input = range(2000);
  const stages = () => [
    userStage(0, "none"),
    userStage(1, "none"), // doubles each record
    new TransformStream<number, number>({
      transform(n, controller) {
        if (n % 3 !== 0) controller.enqueue(n * 10);
      },
      flush(controller) {
        controller.enqueue(-1);
      },
    }),
    userStage(3, "none"),
  ];
  let expected: ReadableStream<number> = ReadableStream.from(input);
  for (const stage of stages()) expected = expected.pipeThrough(stage);
  const want = await Array.fromAsync(expected);
  for (const batchSize of [1, 7, 64, 5000]) {
    const batches = await batchesOf(
      input,
      stages() as TransformStream<never>[],
      batchSize,
    );
    assert.deepEqual(batches.flatMap((b) => b.records), want, `${batchSize}`);
    assertTiles(batches, input.length);
    assert.ok(
      batches.every((b) => b.records.length <= batchSize),
      `${batchSize}: no batch is larger than batchSize`,
    );
  }
});

test("a run of user transforms all declared oneToOne() releases ranges as outputs come", async () => {
  const identity = () =>
    new TransformStream<number, number>({
      transform(n, controller) {
        controller.enqueue(n);
      },
    });
  const declared = await batchesOf(
    range(1000),
    [oneToOne(identity()), oneToOne(identity()), oneToOne(identity())],
    50,
  );
  assert.deepEqual(declared.flatMap((b) => b.records), range(1000));
  assertTiles(declared, 1000);
  assert.ok(
    declared.filter((b) => b.to > b.from).length >= 10,
    "ranges are released batch by batch",
  );
  // One undeclared stream makes the whole run a black box.
  const mixed = await batchesOf(
    range(1000),
    [oneToOne(identity()), identity(), oneToOne(identity())],
    50,
  );
  assertTiles(mixed, 1000);
  assert.deepEqual(
    mixed.filter((b) => b.to > b.from).map((b) => [b.from, b.to]),
    [[0, 1000]],
  );
});

test("a user transform that terminates ends the run, and the pipeline, gracefully", async () => {
  const firstFive = () => {
    let seen = 0;
    return new TransformStream<number, number>({
      transform(n, controller) {
        controller.enqueue(n);
        if (++seen === 5) controller.terminate();
      },
    });
  };
  for (const at of [0, 1, 2]) {
    const processors: TransformStream<number, number>[] = [
      userStage(0, "none"),
      userStage(2, "none"),
      userStage(4, "none"),
    ];
    processors[at] = firstFive();
    const sink = collect<number>();
    const summary = await pipeline(
      range(100_000),
      ...processors as [TransformStream<number, number>],
      sink,
      { batchSize: 64 },
    );
    assert.deepEqual(sink.records, range(5), `terminating at ${at}`);
    assert.equal(summary.ended, "finished");
    assert.ok(summary.recordsRead < 100_000, "the source was cancelled");
  }
});
