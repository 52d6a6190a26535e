// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import { memoryStore } from "../../checkpoint/memory_store.ts";
import { pipeline } from "../../pipeline/pipeline.ts";
import { collect } from "../../sinks/collect.ts";
import type { ProcessorContext } from "../define_processor.ts";
import { validateArgs } from "../validate_args.ts";
import type { ResumableSource } from "../../sources/resumable_source.ts";
import { generateDefinition, type GeneratedRecord } from "./generate.ts";

function context(signal = new AbortController().signal): ProcessorContext {
  return { name: "paced", pipelineId: "gen", baseUrl: "file:///tmp/", signal };
}

async function paced(args: unknown, signal?: AbortSignal) {
  const result = await validateArgs(generateDefinition, args, { path: "" });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return generateDefinition.create(
    result.value,
    context(signal),
  ) as ResumableSource<GeneratedRecord>;
}

test("generate with ratePerSecond spreads the records over time, in order, and resumes after a checkpoint", async () => {
  const store = memoryStore();
  const options = { id: "gen", checkpoint: { store, everyRecords: 1 } };
  const started = performance.now();
  const first = collect<GeneratedRecord>();
  // 12 records at 200/s: record k is due at k * 5 ms, the last at 55 ms.
  await pipeline(
    await paced({ count: 12, ratePerSecond: 200 }),
    first,
    options,
  );
  const ms = performance.now() - started;
  assert.deepEqual(first.records.map((r) => r.id), [...Array(12).keys()]);
  assert.ok(ms >= 50, `12 records at 200/s took ${ms} ms, under 55 ms`);
  const again = collect<GeneratedRecord>();
  await pipeline(
    await paced({ count: 15, ratePerSecond: 200 }),
    again,
    options,
  );
  assert.deepEqual(again.records.map((r) => r.id), [12, 13, 14]);
});

test("generate with ratePerSecond stops waiting as soon as the pipeline stops, or its signal aborts", async () => {
  // One record every 1000 s: only a stop that ends the wait lets this end.
  const stopped = collect<GeneratedRecord>();
  const running = pipeline(
    await paced({ count: 10, ratePerSecond: 0.001 }),
    stopped,
  );
  while (stopped.records.length === 0) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const summary = await running.stop();
  assert.equal(summary.ended, "stopped");
  assert.deepEqual(stopped.records.map((r) => r.id), [0]);

  const controller = new AbortController();
  const source = await paced(
    { count: 10, ratePerSecond: 0.001 },
    controller.signal,
  );
  const iterator = source[Symbol.asyncIterator]();
  assert.equal((await iterator.next()).value?.id, 0);
  const next = iterator.next();
  controller.abort();
  assert.equal((await next).done, true);
});

test("generate rejects a ratePerSecond that is not a positive number", async () => {
  for (const ratePerSecond of [0, -1, "fast"]) {
    const result = await validateArgs(
      generateDefinition,
      { count: 1, ratePerSecond },
      { path: "/args" },
    );
    assert.equal(result.ok, false, String(ratePerSecond));
    if (!result.ok) assert.equal(result.issues[0]!.path, "/args/ratePerSecond");
  }
});
