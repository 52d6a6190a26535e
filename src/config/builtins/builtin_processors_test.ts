// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import { memoryStore } from "../../checkpoint/memory_store.ts";
import { pipeline } from "../../pipeline/pipeline.ts";
import { collect } from "../../sinks/collect.ts";
import type { ProcessorContext } from "../define_processor.ts";
import { Registry } from "../registry.ts";
import { validateArgs } from "../validate_args.ts";
import { builtinProcessors } from "./builtin_processors.ts";

const registry = new Registry(builtinProcessors());
const context: ProcessorContext = {
  name: "test",
  pipelineId: "builtins",
  baseUrl: "file:///tmp/",
  signal: new AbortController().signal,
};

/** Validates args as a runner does, then creates the processor. */
async function create<T>(name: string, args: unknown): Promise<T> {
  const definition = registry.processor(name)!;
  const result = await validateArgs(definition, args, { path: "/args" });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return await definition.create(result.value, context) as T;
}

test("the builtins are generate, take, select, where, set, to-cloud-event, route, cloudevents-http-writer and console-sink", () => {
  assert.deepEqual(
    registry.list().map((d) => `${d.name}:${d.kind}`),
    [
      "generate:source",
      "take:processor",
      "select:processor",
      "where:processor",
      "set:processor",
      "to-cloud-event:processor",
      "route:processor",
      "cloudevents-http-writer:sink",
      "console-sink:sink",
    ],
  );
  for (const definition of registry.list()) {
    assert.equal(registry.jsonSchema(definition)?.type, "object");
  }
});

test("builtins run together in one pipeline", async () => {
  const sink = collect<unknown>();
  await pipeline(
    await create<AsyncIterable<unknown>>("generate", {
      count: 3000,
      template: { group: { a: 1 } },
    }),
    await create<TransformStream>("where", { field: "value", equals: 2999 }),
    await create<TransformStream>("set", { field: "tags", value: ["x"] }),
    await create<TransformStream>("select", {
      fields: ["id", "tags", "group"],
    }),
    await create<TransformStream>("take", { count: 1 }),
    sink,
  );
  assert.deepEqual(sink.records, [{ id: 2999, tags: ["x"], group: { a: 1 } }]);
});

test("generate resumes after the checkpoint's position", async () => {
  const store = memoryStore();
  const { generation } = await store.acquire("gen");
  await store.commit("gen", 1500, generation);
  const sink = collect<{ id: number }>();
  await pipeline(
    await create<AsyncIterable<{ id: number }>>("generate", { count: 2000 }),
    sink,
    { id: "gen", checkpoint: { store } },
  );
  assert.equal(sink.records.length, 499);
  assert.equal(sink.records[0]!.id, 1501);
  assert.equal((await store.acquire("gen")).position, 1999);
});

test("generate with count 0 yields nothing", async () => {
  const source = await create<AsyncIterable<unknown>>("generate", { count: 0 });
  assert.deepEqual(await Array.fromAsync(source), []);
});

test("select and set refuse a record that is not an object", async () => {
  for (
    const [name, args] of [
      ["select", { fields: ["a"] }],
      ["set", { field: "a", value: 1 }],
    ] as const
  ) {
    const stream = await create<TransformStream>(name, args);
    await assert.rejects(
      Array.fromAsync(ReadableStream.from([7]).pipeThrough(stream)),
      (error: unknown) =>
        error instanceof Error &&
        /Cannot apply (select|set): expected a record that is an object, got number/
          .test(String((error as { cause?: unknown }).cause ?? error)),
    );
  }
});

test("builtin args are checked", async () => {
  const cases: [string, unknown, string][] = [
    ["generate", { count: -1 }, "/args/count"],
    ["take", {}, "/args/count"],
    ["select", { fields: [] }, "/args/fields"],
    ["where", { field: "a" }, "/args/equals"],
    ["set", { field: "", value: 1 }, "/args/field"],
  ];
  for (const [name, args, path] of cases) {
    const result = await validateArgs(registry.processor(name)!, args, {
      path: "/args",
    });
    assert.ok(!result.ok, name);
    assert.equal(result.issues[0]!.path, path, name);
  }
});
