// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as z from "zod/mini";
import * as classic from "zod";
import { defineProcessor } from "./define_processor.ts";
import { ProcessorRegistry } from "./processor_registry.ts";

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

test("ProcessorRegistry adds, gets and lists definitions in order", () => {
  const registry = new ProcessorRegistry([source]);
  assert.equal(registry.add(sink), registry);
  assert.equal(registry.get("numbers"), source);
  assert.equal(registry.get("nope"), undefined);
  assert.ok(registry.has("acme/out"));
  assert.deepEqual(registry.list().map((d) => d.name), ["numbers", "acme/out"]);
});

test("ProcessorRegistry refuses a duplicate name and a non-definition", () => {
  const registry = new ProcessorRegistry([source]);
  assert.throws(
    () => registry.add(source, "./more.ts"),
    /^TypeError: Cannot add processor "numbers" from \.\/more\.ts: a processor of that name was already added from code$/,
  );
  assert.throws(
    () => registry.add({ name: "x" } as never),
    /^TypeError: Cannot add processor "x": kind must be/,
  );
});

test("ProcessorRegistry.jsonSchema() describes zod args (mini and classic)", () => {
  const registry = new ProcessorRegistry([source, sink]);
  assert.deepEqual(registry.jsonSchema("numbers")?.properties, {
    count: {
      type: "integer",
      default: 10,
      minimum: -9007199254740991,
      maximum: 9007199254740991,
    },
  });
  assert.deepEqual(registry.jsonSchema("acme/out")?.required, ["path"]);
  assert.equal(registry.jsonSchema("nope"), undefined);
  registry.add(defineProcessor({
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
  }));
  assert.equal(registry.jsonSchema("other"), undefined);
});

test("registerModule() registers definitions and arrays of them", () => {
  const registry = new ProcessorRegistry();
  const found = registry.registerModule(
    { default: [source, sink], numbers: source, helper: () => 1, VERSION: 2 },
    "file:///m.ts",
  );
  assert.deepEqual(found, [source, sink]);
  assert.deepEqual(registry.list(), [source, sink]);
});

test("registerModule() names the module that exports no definition", () => {
  const registry = new ProcessorRegistry();
  assert.throws(
    () => registry.registerModule({ helper: () => 1 }, "file:///empty.ts"),
    /^TypeError: Cannot register module file:\/\/\/empty\.ts: it exports no processor definition/,
  );
});

test("registerModule() names a broken export and registers nothing", () => {
  const registry = new ProcessorRegistry();
  assert.throws(
    () =>
      registry.registerModule(
        { good: source, bad: { ...sink, kind: "drain" } },
        "file:///m.ts",
      ),
    /^TypeError: Cannot register export "bad" of file:\/\/\/m\.ts "acme\/out": kind must be/,
  );
  assert.deepEqual(registry.list(), []);
  registry.add(source);
  assert.throws(
    () => registry.registerModule({ sink, source }, "file:///m.ts"),
    /a processor named "numbers" was already added from code/,
  );
  assert.deepEqual(registry.list(), [source]);
});
