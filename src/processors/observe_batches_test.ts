// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import { StageError } from "../errors/stage_error.ts";
import { pipeline } from "../pipeline/pipeline.ts";
import { collect } from "../sinks/collect.ts";
import { filter } from "./filter.ts";
import { map } from "./map.ts";
import { observeBatches } from "./observe_batches.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test("observeBatches() sees every record once, in order, a batch per call", async () => {
  const seen: number[][] = [];
  const sink = collect<number>();
  await pipeline(
    range(5000),
    map((n: number) => n + 1),
    observeBatches((records: readonly number[]) =>
      void seen.push([...records])
    ),
    map((n: number) => n * 10),
    sink,
    { batchSize: 512 },
  );
  assert.deepEqual(seen.flat(), range(5000).map((n) => n + 1));
  assert.deepEqual(sink.records, range(5000).map((n) => (n + 1) * 10));
  // Whole batches, not records: far fewer calls than records.
  assert.ok(seen.length <= Math.ceil(5000 / 512) + 1, `${seen.length} calls`);
  assert.ok(seen.every((batch) => batch.length <= 512));
});

test("observeBatches() passes the batch on unchanged, and skips batches emptied upstream", async () => {
  const sizes: number[] = [];
  const sink = collect<number>();
  await pipeline(
    range(3000),
    filter((n: number) => n >= 2048),
    observeBatches((records: readonly number[]) =>
      void sizes.push(records.length)
    ),
    sink,
    { batchSize: 1024 },
  );
  assert.deepEqual(sink.records, range(3000).slice(2048));
  assert.ok(sizes.every((size) => size > 0), `sizes ${sizes}`);
  assert.equal(sizes.reduce((a, b) => a + b, 0), 952);
});

test("observeBatches() awaits an async function before the batch moves on", async () => {
  const observed = new Set<number>();
  const early: number[] = [];
  const sink = collect<number>();
  await pipeline(
    range(300),
    observeBatches(async (records: readonly number[]) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      for (const n of records) observed.add(n);
    }),
    map((n: number) => {
      if (!observed.has(n)) early.push(n);
      return n;
    }),
    sink,
    { batchSize: 100 },
  );
  assert.deepEqual(early, []);
  assert.equal(sink.records.length, 300);
});

test("observeBatches() that throws fails the pipeline with a StageError naming it", async () => {
  const running = pipeline(
    range(10),
    map((n: number) => n),
    observeBatches(function meter(): void {
      throw new Error("meter broke");
    }),
    collect<number>(),
  );
  const error = await running.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof StageError, `got ${error}`);
  assert.equal(error.stageIndex, 1);
  assert.equal(error.stageName, "meter");
  assert.match(String((error.cause as Error).message), /meter broke/);
  assert.equal(running.state, "degraded");
});

test("observeBatches() used alone sees each chunk as a batch of one", async () => {
  const sizes: number[] = [];
  const out = await Array.fromAsync(
    ReadableStream.from(["a", "b", "c"]).pipeThrough(
      observeBatches((records: readonly string[]) =>
        void sizes.push(records.length)
      ),
    ),
  );
  assert.deepEqual(out, ["a", "b", "c"]);
  assert.deepEqual(sizes, [1, 1, 1]);
});

test("observeBatches() rejects a function that is not one", () => {
  assert.throws(
    () => observeBatches(42 as never),
    {
      name: "TypeError",
      message:
        "Cannot create observeBatches(): fn must be a function, got number",
    },
  );
});
