// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { batch } from "../processors/batch.ts";
import { filter } from "../processors/filter.ts";
import { flatMap } from "../processors/flat_map.ts";
import { map } from "../processors/map.ts";
import { mapConcurrent } from "../processors/map_concurrent.ts";
import { take } from "../processors/take.ts";
import { unbatch } from "../processors/unbatch.ts";
import { assemble } from "./assemble.ts";
import type { RecordBatch } from "./record_batch.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function batchesOf(
  input: number[],
  processors: TransformStream<never, unknown>[],
  batchSize = 64,
): Promise<RecordBatch<unknown>[]> {
  const { stream } = assemble(
    input,
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

Deno.test("batch ranges tile the source through filter, flatMap, batch, mapConcurrent and a user transform", async () => {
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

Deno.test("a user transform releases its range only when it has drained", async () => {
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

Deno.test("batch() holds back the range of the group it is still filling", async () => {
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

Deno.test("take() covers what it read, then ends", async () => {
  const batches = await batchesOf(range(1000), [take(100)], 64);
  const records = batches.flatMap((b) => b.records);
  assert.deepEqual(records, range(100));
  assertTiles(batches, batches.at(-1)!.to);
});
