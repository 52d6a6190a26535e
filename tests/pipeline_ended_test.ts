// Copyright 2026 the @ca/streams authors. MIT license.
// PipelineSummary.ended says how a pipeline ended: "finished" when its
// source ran dry (or a processor such as take() ended the input), "stopped"
// when stop() cut it short. Run by `deno test` against the source and by
// Node (`node --test`) against the built package.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  collect,
  map,
  pipeline,
  type PipelineSummary,
  take,
} from "@ca/streams";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

async function* endless(): AsyncGenerator<number> {
  for (let n = 0;; n++) {
    yield n;
    await sleep(1);
  }
}

describe("PipelineSummary.ended", () => {
  test('a source that runs dry ends "finished"; the summary has every field', async () => {
    const summary: PipelineSummary = await pipeline(range(10), collect());
    assert.deepEqual(Object.keys(summary).sort(), [
      "durationMs",
      "ended",
      "recordsDeadLettered",
      "recordsRead",
      "recordsWritten",
    ]);
    assert.equal(summary.ended, "finished");
    assert.equal(summary.recordsRead, 10);
    assert.equal(summary.recordsWritten, 10);
    assert.equal(summary.recordsDeadLettered, 0);
    assert.ok(!("state" in summary), "the summary has no state");
  });

  test('stop() on a source that never ends: "stopped"', async () => {
    const sink = collect<number>();
    const running = pipeline(endless(), sink);
    while (sink.records.length < 3) await sleep(1);
    const summary = await running.stop();
    assert.equal(summary.ended, "stopped");
    // The live state of the run stays what it was.
    assert.equal(running.state, "stopped");
    assert.equal(summary.recordsWritten, sink.records.length);
  });

  test('stop() before a finite source ran dry: "stopped"', async () => {
    async function* slow(): AsyncGenerator<number> {
      for (const n of range(1000)) {
        yield n;
        await sleep(1);
      }
    }
    const sink = collect<number>();
    const running = pipeline(slow(), sink, { batchSize: 1 });
    while (sink.records.length < 3) await sleep(1);
    const summary = await running.stop();
    assert.equal(summary.ended, "stopped");
    assert.ok(summary.recordsRead < 1000, `read ${summary.recordsRead}`);
  });

  test('take() that ends the input early: "finished", fused or not', async () => {
    const fused = await pipeline(range(100_000), take(5), collect(), {
      batchSize: 64,
    });
    assert.equal(fused.ended, "finished");
    const behindAsync = await pipeline(
      endless(),
      map(async (n: number) => {
        await sleep(0);
        return n;
      }),
      take(5),
      collect(),
    );
    assert.equal(behindAsync.ended, "finished");
    assert.equal(behindAsync.recordsWritten, 5);
  });

  test('stop() once the source ran dry, while the sink still writes: "finished"', async () => {
    let drained = false;
    async function* three(): AsyncGenerator<number> {
      yield* range(3);
      drained = true;
    }
    let written = 0;
    const slowSink = new WritableStream<number>({
      async write() {
        await sleep(30);
        written++;
      },
    });
    const running = pipeline(three(), slowSink, { batchSize: 1 });
    while (!drained) await sleep(1);
    await sleep(5);
    const summary = await running.stop();
    assert.equal(summary.ended, "finished");
    assert.equal(summary.recordsWritten, 3);
    assert.equal(written, 3);
  });

  test("stop() after the end changes nothing", async () => {
    const running = pipeline(range(5), collect());
    const first = await running;
    const again = await running.stop();
    assert.equal(first.ended, "finished");
    assert.equal(again.ended, "finished");
  });
});
