// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import { StageError } from "../../src/errors/stage_error.ts";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { batchSink } from "../../src/sinks/batch_sink.ts";
import { timedSink } from "./timed_sink.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test("timedSink() times each batch write, and the sink still gets every batch whole", async () => {
  const sizes: number[] = [];
  const durations: number[] = [];
  const sink = timedSink(
    batchSink<number>({
      async write(records) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        sizes.push(records.length);
      },
    }),
    (seconds) => durations.push(seconds),
  );
  const summary = await pipeline(range(3000), sink, { batchSize: 1000 });
  assert.equal(summary.recordsWritten, 3000);
  assert.deepEqual(sizes, [1000, 1000, 1000]);
  assert.equal(durations.length, 3);
  assert.ok(durations.every((seconds) => seconds > 0 && seconds < 60));
});

test("timedSink() keeps the sink's retry policy, close, abort and health", async () => {
  let attempts = 0;
  let closed = false;
  const durations: number[] = [];
  const sink = timedSink(
    batchSink<number>({
      write() {
        if (++attempts === 1) throw new Error("connection reset");
      },
      close() {
        closed = true;
      },
      health: () => ({ state: "connected", since: "2026-01-01T00:00:00Z" }),
    }, { retry: { maxAttempts: 3, initialDelayMs: 1 } }),
    (seconds) => durations.push(seconds),
  );
  const running = pipeline([1, 2, 3], sink);
  assert.equal(running.health.sinks.sink?.state, "connected");
  const summary = await running;
  assert.equal(summary.recordsWritten, 3);
  assert.equal(attempts, 2);
  assert.ok(closed);
  // The failed attempt is not a write that took time to store.
  assert.equal(durations.length, 1);

  let aborted: unknown;
  const failing = timedSink(
    batchSink<number>({
      write() {
        throw new Error("disk full");
      },
      abort(reason) {
        aborted = reason;
      },
    }),
    () => {},
  );
  const error = await pipeline([1], failing).then(() => undefined, (e) => e);
  assert.ok(error instanceof StageError);
  assert.match(String(aborted), /disk full/);
});
