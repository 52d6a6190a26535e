// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import { pipeline } from "../../pipeline/pipeline.ts";
import type { BatchSink } from "../../sinks/batch_sink.ts";
import { validateArgs } from "../validate_args.ts";
import { consoleSinkDefinition } from "./console_sink.ts";

async function print(records: unknown[], args: unknown): Promise<string[]> {
  const writes: string[] = [];
  const definition = consoleSinkDefinition({ write: (t) => writes.push(t) });
  const result = await validateArgs(definition, args, { path: "/args" });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  const sink = await definition.create(result.value, {
    name: "print",
    pipelineId: "console",
    baseUrl: "file:///tmp/",
    signal: new AbortController().signal,
  });
  await pipeline(records, sink as BatchSink<unknown>, { batchSize: 2 });
  return writes;
}

test("console-sink prints JSON lines by default, one write per batch", async () => {
  const writes = await print([{ id: 1 }, { id: 2, tags: ["a"] }, "three"], {});
  assert.deepEqual(writes, ['{"id":1}\n{"id":2,"tags":["a"]}', '"three"']);
});

test("console-sink format: pretty prints one readable line per record", async () => {
  const writes = await print([
    {
      id: 1,
      name: "a b",
      "odd key": null,
      nested: { list: [1, "x"], empty: [] },
    },
    42,
  ], { format: "pretty" });
  assert.deepEqual(writes.join("\n").split("\n"), [
    '{ id: 1, name: "a b", "odd key": null, nested: { list: [ 1, "x" ], empty: [] } }',
    "42",
  ]);
});

test("console-sink rejects an unknown format, with its path", async () => {
  const result = await validateArgs(consoleSinkDefinition(), {
    format: "fancy",
  }, { path: "/args" });
  assert.equal(result.ok, false);
  if (!result.ok) assert.equal(result.issues[0]!.path, "/args/format");
});
