// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import { memoryStore } from "../../src/checkpoint/memory_store.ts";
import { merge } from "../../src/graph/merge.ts";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { collect } from "../../src/sinks/collect.ts";
import {
  RESUMABLE_SOURCE,
  resumableSource,
} from "../../src/sources/resumable_source.ts";
import { stoppableSource } from "./stoppable_source.ts";

/** Endless numbers, a batch of 10 every ms, resumable after a position. */
function numbers() {
  return resumableSource<number>({
    name: "numbers",
    async *open(after) {
      for (let n = after === undefined ? 0 : Number(after) + 1;; n += 10) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        yield {
          records: Array.from({ length: 10 }, (_, i) => n + i),
          position: n + 9,
        };
      }
    },
  });
}

test("stoppableSource(): a merge origin ends when stopped while the other goes on; it stays resumable", async () => {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => stop = resolve);
  const source = stoppableSource(numbers(), stopped) as ReturnType<
    typeof numbers
  >;
  assert.equal(source[RESUMABLE_SOURCE].name, "numbers");
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => finish = resolve);
  const other = resumableSource<number>({
    async *open() {
      await finished;
      yield { records: [-1], position: 0 };
    },
  });
  const store = memoryStore();
  const sink = collect<number>();
  const running = pipeline(merge({ numbers: source, other }), sink, {
    id: "s",
    checkpoint: { store },
  });
  while (sink.records.length < 50) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  stop();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(running.state, "running", "the other origin goes on");
  finish();
  const summary = await running;
  const read = sink.records.filter((n) => n >= 0);
  assert.deepEqual(read, Array.from({ length: read.length }, (_, i) => i));
  assert.deepEqual(summary.position, { numbers: read.length - 1, other: 0 });

  // Resumed after its position.
  const again = collect<number>();
  const resumed = pipeline(
    merge({
      numbers: stoppableSource(numbers(), Promise.resolve()) as ReturnType<
        typeof numbers
      >,
      other: resumableSource<number>({ async *open() {} }),
    }),
    again,
    { id: "s", checkpoint: { store } },
  );
  await resumed;
  assert.ok(again.records.every((n) => n >= read.length), `${again.records}`);
});

test("stoppableSource(): a plain iterable ends when stopped", async () => {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => stop = resolve);
  async function* endless() {
    for (let n = 0;; n++) {
      if (n === 5) stop();
      yield n;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
  const all = await Array.fromAsync(
    stoppableSource(endless(), stopped) as AsyncIterable<number>,
  );
  assert.ok(all.length >= 5 && all.length < 10, `${all}`);
  assert.deepEqual(all, Array.from({ length: all.length }, (_, i) => i));
});
