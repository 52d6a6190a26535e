// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FencedError } from "../../src/checkpoint/fenced_error.ts";
import { memoryStore } from "../../src/checkpoint/memory_store.ts";
import { observedStore } from "./observed_store.ts";

test("observedStore() tells a commit as it starts, and again once it succeeded", async () => {
  const events: string[] = [];
  const store = observedStore(memoryStore(), (id) => {
    events.push(`start ${id}`);
    return () => events.push(`done ${id}`);
  });
  const older = await store.acquire("orders");
  const newer = await store.acquire("orders");
  await store.commit("orders", 5, newer.generation);
  const fenced = await store.commit("orders", 3, older.generation).then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.ok(fenced instanceof FencedError);
  assert.deepEqual(events, ["start orders", "done orders", "start orders"]);
  assert.equal((await store.get("orders")).position, 5);
  await store.delete("orders");
  assert.equal((await store.get("orders")).position, undefined);
});

test("observedStore() keeps the store's hidden hooks and close", async () => {
  const hook = Symbol("hook");
  let closed = false;
  const inner = Object.defineProperty(
    { ...memoryStore(), close: () => Promise.resolve(void (closed = true)) },
    hook,
    { value: "link" },
  );
  const store = observedStore(inner, () => () => {});
  assert.equal((store as unknown as Record<symbol, unknown>)[hook], "link");
  await store.close?.();
  assert.ok(closed);
});
