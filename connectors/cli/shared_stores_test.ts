// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as z from "zod/mini";
import type { CheckpointStore } from "../../src/checkpoint/checkpoint_store.ts";
import { FencedError } from "../../src/checkpoint/fenced_error.ts";
import { memoryStore } from "../../src/checkpoint/memory_store.ts";
import { defineStore } from "../../src/config/define_store.ts";
import { Registry } from "../../src/config/registry.ts";
import { builtinDefinitions } from "../../src/config/builtins/builtin_definitions.ts";
import { SharedStores } from "./shared_stores.ts";

const HOOK = Symbol("a store's hidden hook");

/** A registry with a store "counted" that counts what it opens and closes. */
function counting() {
  const counts = { created: 0, closed: 0, failures: 0 };
  const definition = defineStore({
    name: "counted",
    description: "A memory store whose opens and closes are counted.",
    args: z.strictObject({ name: z.string(), fail: z.optional(z.boolean()) }),
    create({ fail }): CheckpointStore {
      if (fail) {
        counts.failures++;
        throw new Error("Cannot open the counted store: refused");
      }
      counts.created++;
      const store = memoryStore();
      return Object.assign(
        {
          ...store,
          close: () => (counts.closed++, Promise.resolve()),
        },
        { [HOOK]: "hook" },
      );
    },
  });
  const registry = new Registry([definition]);
  const options = (pipelineId: string) => ({
    registry,
    pipelineId,
    baseUrl: "file:///srv/connectors/",
  });
  return { counts, options };
}

test("SharedStores opens one store per identical config, whatever the order of its keys, and closes it when its last user closes", async () => {
  const { counts, options } = counting();
  const stores = new SharedStores();
  const a = await stores.open({ type: "counted", name: "x" }, options("a"));
  const b = await stores.open(
    { name: "x", type: "counted" } as never,
    options("b"),
  );
  const other = await stores.open(
    { type: "counted", name: "y" },
    options("c"),
  );
  assert.equal(counts.created, 2, "one store for a and b, one for the other");
  assert.equal(stores.opened, 2);
  assert.equal(
    (a as unknown as Record<symbol, unknown>)[HOOK],
    "hook",
    "hidden hooks come along",
  );

  // Each connector still fences its own ids.
  const first = await a.acquire("a/read");
  await b.acquire("a/read");
  await assert.rejects(a.commit("a/read", 1, first.generation), FencedError);

  await a.close?.();
  await a.close?.(); // counts once
  assert.equal(counts.closed, 0, "b still uses it");
  await b.close?.();
  assert.equal(counts.closed, 1, "closed with its last user");
  await other.close?.();
  assert.equal(counts.closed, 2);
  assert.equal(stores.opened, 0);

  // Used again after it closed: opened again.
  const again = await stores.open({ type: "counted", name: "x" }, options("a"));
  assert.equal(counts.created, 3);
  await again.close?.();
});

test("SharedStores keeps a store with nothing to release (a memory store) once opened, checkpoints and all", async () => {
  const stores = new SharedStores();
  const options = {
    registry: new Registry(builtinDefinitions()),
    pipelineId: "a",
    baseUrl: "file:///srv/connectors/",
  };
  const first = await stores.open({ type: "memory" }, options);
  const { generation } = await first.acquire("a/read");
  await first.commit("a/read", 42, generation);
  await first.close?.();
  const later = await stores.open({ type: "memory" }, options);
  assert.equal((await later.get("a/read")).position, 42);
  assert.equal(stores.opened, 1);
  await later.close?.();
});

test("SharedStores keeps no store that could not be opened: the next user tries again", async () => {
  const { counts, options } = counting();
  const stores = new SharedStores();
  const config = { type: "counted", name: "x", fail: true };
  await assert.rejects(stores.open(config, options("a")), /refused/);
  await assert.rejects(stores.open(config, options("b")), /refused/);
  assert.equal(counts.failures, 2);
  assert.equal(stores.opened, 0);
});
