// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import { openTapStream, type Tappable } from "./_tap_stream.ts";
import type { TapMessage } from "./tap_message.ts";

/** A connector with one stage whose batches the test pushes. */
function fakeStage(): Tappable & {
  push(records: readonly unknown[]): void;
  end(): void;
  listeners: number;
} {
  const listeners = new Set<(records: readonly unknown[]) => void>();
  let end!: () => void;
  const ended = new Promise<void>((resolve) => end = resolve);
  return {
    tap(stage, listener) {
      assert.equal(stage, "mark");
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ended,
    push(records) {
      for (const listener of listeners) listener(records);
    },
    end,
    get listeners() {
      return listeners.size;
    },
  };
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({ id: from + i }));

/** Reads every message until the stream ends. */
async function readAll(
  stream: ReadableStream<TapMessage>,
): Promise<TapMessage[]> {
  return await Array.fromAsync(stream);
}

test("openTapStream() with every: N takes every Nth record across batches", async () => {
  const stage = fakeStage();
  const stream = openTapStream(stage, "mark", { every: 3 }, "tap");
  stage.push(range(0, 5));
  stage.push(range(5, 7));
  stage.push(range(7, 13));
  stage.end();
  const messages = await readAll(stream);
  const ids = messages.flatMap((m) =>
    m.records.map((r) => (r as { id: number }).id)
  );
  assert.deepEqual(ids, [0, 3, 6, 9, 12]);
  assert.equal(messages.at(-1)!.dropped, 0);
  assert.equal(stage.listeners, 0, "unsubscribed once the connector ended");
});

test("openTapStream() with perSecond takes at most a second's worth, spread over the batch, then what the clock refills", async () => {
  let now = 0;
  const stage = fakeStage();
  const stream = openTapStream(
    stage,
    "mark",
    { perSecond: 4 },
    "tap",
    () => now,
  );
  const reader = stream.getReader();
  stage.push(range(0, 100)); // a full bucket: 4, spread
  let step = await reader.read();
  assert.deepEqual(step.value!.records, [{ id: 0 }, { id: 25 }, { id: 50 }, {
    id: 75,
  }]);
  stage.push(range(100, 200)); // nothing left, no time passed
  now += 500; // half a second: 2 more
  stage.push(range(200, 210));
  step = await reader.read();
  assert.deepEqual(step.value!.records, [{ id: 200 }, { id: 205 }]);
  now += 60_000; // a long pause refills one second's worth, not more
  stage.push(range(300, 400));
  step = await reader.read();
  assert.equal(step.value!.records.length, 4);
  assert.equal(step.value!.dropped, 0);
  await reader.cancel();
  assert.equal(stage.listeners, 0, "cancelling unsubscribes");
});

test("openTapStream() defaults to at most 100 records a second", async () => {
  const stage = fakeStage();
  const stream = openTapStream(stage, "mark", {}, "tap", () => 0);
  stage.push(range(0, 10_000));
  stage.end();
  const messages = await readAll(stream);
  assert.equal(messages.flatMap((m) => m.records).length, 100);
});

test("openTapStream(): a reader that does not read makes the queue drop and count; the pushes never wait", async () => {
  const stage = fakeStage();
  const stream = openTapStream(
    stage,
    "mark",
    { every: 1, maxQueued: 50 },
    "tap",
  );
  // 10,000 records pushed synchronously while nobody reads.
  for (let i = 0; i < 100; i++) stage.push(range(i * 100, i * 100 + 100));
  stage.end();
  const messages = await readAll(stream);
  const records = messages.flatMap((m) => m.records);
  assert.deepEqual(
    records,
    range(0, 50),
    "the oldest kept, the newest dropped",
  );
  assert.equal(messages.at(-1)!.dropped, 10_000 - 50);
});

test("openTapStream(): a reader that resumes gets what is queued, then new records, with the dropped count so far", async () => {
  const stage = fakeStage();
  const stream = openTapStream(
    stage,
    "mark",
    { every: 1, maxQueued: 3 },
    "tap",
  );
  const reader = stream.getReader();
  stage.push(range(0, 5));
  let step = await reader.read();
  assert.deepEqual(step.value, { records: range(0, 3), dropped: 2 });
  stage.push(range(5, 6));
  step = await reader.read();
  assert.deepEqual(step.value, { records: range(5, 6), dropped: 2 });
  stage.end();
  step = await reader.read();
  assert.equal(step.done, true);
});

test("openTapStream(): records are copies taken when sampled; one that cannot be copied is kept as is", async () => {
  const stage = fakeStage();
  const stream = openTapStream(stage, "mark", { every: 1 }, "tap");
  const record = { id: 1, tags: ["a"] };
  const odd = { id: 2, f: () => 1 };
  stage.push([record, odd, 3n]);
  record.tags.push("changed later");
  stage.end();
  const [message] = await readAll(stream);
  assert.deepEqual(message!.records[0], { id: 1, tags: ["a"] });
  assert.equal(message!.records[1], odd);
  assert.equal(message!.records[2], 3n);
});

test("openTapStream(): the stream ends at once when its signal aborts, and the options are checked", async () => {
  const stage = fakeStage();
  const controller = new AbortController();
  const stream = openTapStream(stage, "mark", {
    every: 1,
    signal: controller.signal,
  }, "tap");
  stage.push(range(0, 3));
  controller.abort();
  assert.deepEqual(await readAll(stream), []);
  assert.equal(stage.listeners, 0);
  assert.throws(
    () => openTapStream(stage, "mark", { every: 0 }, "tap x"),
    (error) =>
      error instanceof RangeError &&
      error.message ===
        "Cannot tap x: every must be an integer of at least 1, got 0",
  );
  assert.throws(
    () => openTapStream(stage, "mark", { every: 2, perSecond: 2 }, "tap x"),
    TypeError,
  );
  assert.throws(
    () => openTapStream(stage, "mark", { maxQueued: 1e9 }, "tap x"),
    RangeError,
  );
  assert.throws(
    () => openTapStream(stage, "mark", { perSecond: "9" as never }, "tap x"),
    /perSecond must be a number, got "9"/,
  );
});
