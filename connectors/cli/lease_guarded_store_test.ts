// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FencedError } from "../../src/checkpoint/fenced_error.ts";
import { memoryStore } from "../../src/checkpoint/memory_store.ts";
import {
  SQL_CHECKPOINT,
  type SqlCheckpointHook,
  sqlCheckpointHook,
} from "../postgres/_sql_checkpoint_hook.ts";
import { leaseGuardedStore } from "./lease_guarded_store.ts";

test("leaseGuardedStore() refuses acquire and commit once the lease is gone, and reads still work", async () => {
  let held = true;
  const inner = memoryStore();
  const store = leaseGuardedStore(inner, () => held);
  const { generation } = await store.acquire("orders");
  await store.commit("orders", 5, generation);
  held = false;
  await assert.rejects(store.commit("orders", 6, generation), FencedError);
  await assert.rejects(store.acquire("orders"), FencedError);
  assert.equal((await store.get("orders")).position, 5);
  assert.equal((await inner.get("orders")).position, 5);
});

test("leaseGuardedStore() guards an exactly-once sink's commit inside its transaction", async () => {
  const commits: unknown[] = [];
  const inner = memoryStore();
  const client = {};
  const hook: SqlCheckpointHook = {
    dialect: "postgres",
    client,
    commitIn(_query, id, position, generation) {
      commits.push([id, position, generation]);
      return Promise.resolve();
    },
  };
  Object.defineProperty(inner, SQL_CHECKPOINT, { value: hook });
  let held = true;
  const store = leaseGuardedStore(inner, () => held);
  const guarded = sqlCheckpointHook(store, "postgres");
  assert.ok(guarded !== undefined, "the hook comes along");
  assert.equal(guarded.client, client, "with the same client");
  const query = () => Promise.resolve([]);
  await guarded.commitIn(query, "orders", 1, 1);
  held = false;
  await assert.rejects(guarded.commitIn(query, "orders", 2, 1), FencedError);
  assert.deepEqual(commits, [["orders", 1, 1]]);
});
