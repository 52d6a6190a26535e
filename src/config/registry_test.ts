// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as z from "zod/mini";
import * as classic from "zod";
import { memoryStore } from "../checkpoint/memory_store.ts";
import { memoryDefinitionStore } from "../definition_store/memory_definition_store.ts";
import { defineDefinitionStore } from "./define_definition_store.ts";
import { defineProcessor } from "./define_processor.ts";
import { defineStore } from "./define_store.ts";
import { defineTransport } from "./define_transport.ts";
import { DEFINITION_KINDS } from "./definition_kinds.ts";
import { Registry } from "./registry.ts";

const source = defineProcessor({
  name: "numbers",
  kind: "source",
  description: "Numbers.",
  args: z.strictObject({ count: z._default(z.int(), 10) }),
  create: () => [1, 2, 3],
});
const sink = defineProcessor({
  name: "acme/out",
  kind: "sink",
  description: "Out.",
  args: classic.object({ path: classic.string() }),
  create: () => new WritableStream(),
});
const store = defineStore({
  name: "numbers",
  description: "A store that shares a name with a source.",
  args: z.strictObject({ url: z.url() }),
  create: () => memoryStore(),
});
const transport = defineTransport({
  name: "pipe",
  description: "A transport.",
  args: z.strictObject({}),
  listen: () => Promise.reject(new Error("not here")),
  connect: () => Promise.reject(new Error("not here")),
});
const definitionStore = defineDefinitionStore({
  name: "numbers",
  description: "A definition store that shares a name with a store.",
  args: z.strictObject({}),
  create: () => memoryDefinitionStore(),
});

test("Registry adds, gets and lists definitions of every kind in order", () => {
  const registry = new Registry([source]);
  assert.equal(registry.add(sink), registry);
  registry.add(store).add(transport).add(definitionStore);
  assert.equal(registry.get("source", "numbers"), source);
  assert.equal(registry.processor("numbers"), source);
  // Sources, processors and sinks share one namespace: a config's `use`.
  assert.equal(registry.get("processor", "acme/out"), sink);
  assert.equal(registry.get("store", "numbers"), store);
  assert.equal(registry.get("transport", "pipe"), transport);
  assert.equal(registry.get("definitionStore", "numbers"), definitionStore);
  assert.equal(registry.get("store", "pipe"), undefined);
  assert.equal(registry.get("definitionStore", "pipe"), undefined);
  assert.equal(registry.processor("nope"), undefined);
  assert.ok(registry.has("sink", "acme/out"));
  assert.ok(!registry.has("transport", "numbers"));
  assert.deepEqual(registry.list().map((d) => `${d.kind}:${d.name}`), [
    "source:numbers",
    "sink:acme/out",
    "store:numbers",
    "transport:pipe",
    "definitionStore:numbers",
  ]);
  assert.deepEqual(registry.list("sink"), [sink]);
  assert.deepEqual(registry.list("definitionStore"), [definitionStore]);
  assert.deepEqual(registry.list("store"), [store]);
  assert.deepEqual(registry.names("sink"), ["numbers", "acme/out"]);
  assert.deepEqual(registry.names("store"), ["numbers"]);
  assert.deepEqual(registry.names("definitionStore"), ["numbers"]);
  assert.equal(registry.origin(store), "code");
});

test("Registry refuses a duplicate name in a namespace and a non-definition", () => {
  const registry = new Registry([source, store]);
  assert.throws(
    () => registry.add(source, "./more.ts"),
    /^TypeError: Cannot add source "numbers" from \.\/more\.ts: a processor of that name was already added from code$/,
  );
  assert.throws(
    () => registry.add({ ...store }, "./more.ts"),
    /^TypeError: Cannot add store "numbers" from \.\/more\.ts: a store of that name was already added from code$/,
  );
  assert.throws(
    () => registry.add({ name: "x" } as never),
    /^TypeError: Cannot add definition "x": kind must be "source", "processor", "sink", "store", "transport", "definitionStore" or "leaseEngine", got undefined$/,
  );
  assert.throws(
    () => registry.add({ ...transport, connect: undefined } as never),
    /^TypeError: Cannot add transport "pipe": connect must be a function, got undefined$/,
  );
});

test("defineStore(), defineTransport() and defineDefinitionStore() set the kind and check the rest", () => {
  assert.equal(store.kind, "store");
  assert.equal(transport.kind, "transport");
  assert.equal(definitionStore.kind, "definitionStore");
  assert.throws(
    () => defineDefinitionStore({ ...definitionStore, kind: "store" } as never),
    /^TypeError: Cannot define definitionStore "numbers": kind must be "definitionStore", got "store"$/,
  );
  assert.throws(
    () =>
      defineDefinitionStore({ ...definitionStore, create: undefined } as never),
    /^TypeError: Cannot define definitionStore "numbers": create must be a function, got undefined$/,
  );
  assert.throws(
    () =>
      defineStore({
        name: "Bad Name",
        description: "",
        args: z.strictObject({}),
        create: () => memoryStore(),
      }),
    /^TypeError: Cannot define store: name must be kebab-case/,
  );
  assert.throws(
    () => defineStore({ ...store, kind: "sink" } as never),
    /^TypeError: Cannot define store "numbers": kind must be "store", got "sink"$/,
  );
  assert.throws(
    () => defineTransport({ ...transport, args: {} } as never),
    /^TypeError: Cannot define transport "pipe": args must be a Standard Schema/,
  );
  assert.throws(
    () => defineTransport({ ...transport, delivery: "maybe" } as never),
    /^TypeError: Cannot define transport "pipe": delivery must be "exactly-once", .* got "maybe"$/,
  );
});

test("Registry.jsonSchema() describes zod args (mini and classic) of any kind", () => {
  const registry = new Registry([source, sink, store]);
  assert.deepEqual(registry.jsonSchema(source)?.properties, {
    count: {
      type: "integer",
      default: 10,
      minimum: -9007199254740991,
      maximum: 9007199254740991,
    },
  });
  assert.deepEqual(registry.jsonSchema(sink)?.required, ["path"]);
  assert.deepEqual(registry.jsonSchema(store)?.required, ["url"]);
  const other = defineProcessor({
    name: "other",
    kind: "processor",
    description: "Another library's schema.",
    args: {
      "~standard": {
        version: 1,
        vendor: "other",
        validate: (value) => ({ value }),
      },
    },
    create: () => new TransformStream(),
  });
  assert.equal(registry.jsonSchema(other), undefined);
});

test("registerModule() registers definitions of every kind and arrays of them", () => {
  const registry = new Registry();
  const found = registry.registerModule(
    {
      default: [source, sink],
      numbers: source,
      checkpoints: store,
      pipe: transport,
      definitions: definitionStore,
      helper: () => 1,
      VERSION: 2,
    },
    "file:///m.ts",
  );
  assert.deepEqual(found, [source, sink, store, transport, definitionStore]);
  assert.deepEqual(registry.list(), [
    source,
    sink,
    store,
    transport,
    definitionStore,
  ]);
  assert.equal(registry.origin(transport), "file:///m.ts");
  for (
    const kind of [
      "source",
      "sink",
      "store",
      "transport",
      "definitionStore",
    ] as const
  ) {
    assert.equal(registry.list(kind).length, 1, kind);
  }
});

test("registerModule() names the module that exports no definition", () => {
  const registry = new Registry();
  assert.throws(
    () => registry.registerModule({ helper: () => 1 }, "file:///empty.ts"),
    /^TypeError: Cannot register module file:\/\/\/empty\.ts: it exports no definition \(export one made with defineProcessor\(\), defineStore\(\), defineTransport\(\), defineDefinitionStore\(\) or defineLeaseEngine\(\)/,
  );
});

test("registerModule() names a broken export and registers nothing", () => {
  const registry = new Registry();
  assert.throws(
    () =>
      registry.registerModule(
        { good: source, bad: { ...sink, kind: "drain" } },
        "file:///m.ts",
      ),
    /^TypeError: Cannot register export "bad" of file:\/\/\/m\.ts "acme\/out": kind must be/,
  );
  assert.deepEqual(registry.list(), []);
  registry.add(transport);
  assert.throws(
    () => registry.registerModule({ sink, store, transport }, "file:///m.ts"),
    /a transport named "pipe" was already added from code/,
  );
  assert.deepEqual(registry.list(), [transport]);
  assert.throws(
    () =>
      registry.registerModule(
        { store, again: { ...store } },
        "file:///twice.ts",
      ),
    /a store named "numbers" was already added from file:\/\/\/twice\.ts/,
  );
  assert.deepEqual(registry.list(), [transport]);
});

test("DEFINITION_KINDS lists every kind with its namespace", () => {
  assert.deepEqual(Object.keys(DEFINITION_KINDS), [
    "source",
    "processor",
    "sink",
    "store",
    "transport",
    "definitionStore",
    "leaseEngine",
  ]);
  assert.deepEqual(
    Object.values(DEFINITION_KINDS).map((info) => info.namespace),
    [
      "processor",
      "processor",
      "processor",
      "store",
      "transport",
      "definitionStore",
      "leaseEngine",
    ],
  );
  assert.equal(
    DEFINITION_KINDS.definitionStore.namedBy,
    "ca serve --definitions",
  );
});
