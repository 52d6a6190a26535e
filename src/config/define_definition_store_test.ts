// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as z from "zod/mini";
import { memoryDefinitionStore } from "../definition_store/memory_definition_store.ts";
import { memoryDefinitionStoreDefinition } from "./builtins/memory_definition_store.ts";
import { defineDefinitionStore } from "./define_definition_store.ts";
import { Registry } from "./registry.ts";

const AT = "2026-03-01T12:00:00.000Z";

test("defineDefinitionStore() makes a definition a registry finds by kind and name, apart from checkpoint stores", async () => {
  const seen: unknown[] = [];
  const definition = defineDefinitionStore({
    name: "acme/kept",
    description: "Kept in memory.",
    args: z.strictObject({ prefix: z.string() }),
    create(args, context) {
      seen.push(args.prefix, context.baseUrl);
      return memoryDefinitionStore();
    },
  });
  assert.equal(definition.kind, "definitionStore");
  const registry = new Registry([definition]);
  assert.equal(registry.get("definitionStore", "acme/kept"), definition);
  assert.equal(registry.get("store", "acme/kept"), undefined);
  const found = registry.get("definitionStore", "acme/kept")!;
  const controller = new AbortController();
  const store = await found.create({ prefix: "p" }, {
    baseUrl: "file:///srv/host/",
    signal: controller.signal,
  });
  assert.deepEqual(seen, ["p", "file:///srv/host/"]);
  assert.equal(
    await store.append("a", [{
      type: "created",
      connector: "a",
      at: AT,
      data: { config: { id: "a" } },
    }], 0),
    1,
  );
  await store.close();
});

test("registerModule() registers an exported definition store", () => {
  const registry = new Registry();
  const found = registry.registerModule(
    { memoryDefinitions: memoryDefinitionStoreDefinition },
    "file:///host_stores.ts",
  );
  assert.deepEqual(found, [memoryDefinitionStoreDefinition]);
  assert.deepEqual(registry.names("definitionStore"), ["memory"]);
  assert.equal(
    registry.origin(memoryDefinitionStoreDefinition),
    "file:///host_stores.ts",
  );
});

test("the memory definition store takes no args and opens an empty store", async () => {
  const result = await memoryDefinitionStoreDefinition.args["~standard"]
    .validate({ path: "x" });
  assert.ok("issues" in result && result.issues !== undefined);
  const store = await memoryDefinitionStoreDefinition.create({}, {
    baseUrl: "file:///srv/",
    signal: new AbortController().signal,
  });
  assert.deepEqual(await store.list(), []);
  await store.close();
});
