// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as z from "zod/mini";
import { builtinProcessors } from "./builtins/builtin_processors.ts";
import { ConfigError } from "./config_error.ts";
import { defineProcessor } from "./define_processor.ts";
import { parsePipelineConfig } from "./parse_pipeline_config.ts";
import { Registry } from "./registry.ts";

const out = defineProcessor({
  name: "out",
  kind: "sink",
  description: "A sink.",
  args: z.strictObject({}),
  create: () => new WritableStream(),
});

const TEXT = `
id: demo
runners: { main: { runtime: deno } }
processors:
  - { name: src, use: generate, args: { count: 3 } }
  - { name: dst, use: out }
`;

test("parsePipelineConfig() without a registry checks the structure only", async () => {
  const config = await parsePipelineConfig(
    TEXT.replace("use: out", "use: from-a-module, args: { anything: 1 }"),
    { env: {} },
  );
  assert.deepEqual(config.processors[1], {
    name: "dst",
    use: "from-a-module",
    runner: "main",
    args: { anything: 1 },
  });
  await assert.rejects(
    parsePipelineConfig(TEXT.replace("id: demo", "id: ''"), { env: {} }),
    (error: unknown) =>
      error instanceof ConfigError && error.issues[0]!.path === "/id",
  );
});

test("parsePipelineConfig() awaits async args schemas", async () => {
  const registry = new Registry([
    ...builtinProcessors(),
    defineProcessor({
      ...out,
      args: {
        "~standard": {
          version: 1,
          vendor: "async",
          validate: (value: unknown) =>
            Promise.resolve(
              (value as { ok?: boolean }).ok
                ? { value }
                : { issues: [{ message: "not ok", path: [{ key: "ok" }] }] },
            ),
        },
      },
    }),
  ]);
  await parsePipelineConfig(
    TEXT.replace("use: out", "use: out, args: { ok: true }"),
    {
      env: {},
      registry,
    },
  );
  await assert.rejects(
    parsePipelineConfig(TEXT, { env: {}, registry }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.issues, [{
        path: "/processors/1/args/ok",
        message: "not ok",
      }]);
      return true;
    },
  );
});

test("parsePipelineConfig() rejects with the signal's reason", async () => {
  const controller = new AbortController();
  controller.abort(new Error("stop"));
  await assert.rejects(
    parsePipelineConfig(TEXT, { env: {}, signal: controller.signal }),
    /stop/,
  );
});

test("parsePipelineConfig() takes kinds of python processors from the map", async () => {
  const registry = new Registry([...builtinProcessors(), out]);
  const text = `
id: py
runners: { a: { runtime: deno }, p: { runtime: python } }
processors:
  - { name: src, use: generate, runner: a, args: { count: 1 } }
  - { name: up, use: upper, runner: p, args: { any: thing } }
  - { name: dst, use: out, runner: a }
`;
  const config = await parsePipelineConfig(text, {
    env: {},
    registry,
    pythonProcessors: new Map([["upper", { kind: "processor" }]]),
  });
  assert.equal(config.channels.length, 2);
  await assert.rejects(
    parsePipelineConfig(text, {
      env: {},
      registry,
      pythonProcessors: new Map([["upper", { kind: "sink" }]]),
    }),
    /\/processors\/1\/use: expected a processor .*got sink "upper"/,
  );
});

test("parsePipelineConfig() refuses a wrong call with a TypeError", async () => {
  await assert.rejects(
    parsePipelineConfig(42 as never, { env: {} }),
    /^TypeError: Cannot parse pipeline config: text must be a string/,
  );
  await assert.rejects(
    parsePipelineConfig(TEXT, {} as never),
    /^TypeError: Cannot parse pipeline config: options\.env must be an object/,
  );
});

test("ConfigError lists every issue and serializes to JSON", async () => {
  const error = await parsePipelineConfig("id: 1\n", { env: {} }).catch((e) =>
    e
  );
  assert.ok(error instanceof ConfigError);
  const json = JSON.parse(JSON.stringify(error));
  assert.equal(json.code, "CA_ERR_CONFIG");
  assert.deepEqual(json.issues.map((i: { path: string }) => i.path), [
    "/id",
    "/runners",
    "/processors",
  ]);
  assert.equal(
    error.message,
    [
      "Cannot load pipeline config: /id: expected a string, got 1",
      "  /runners: required: expected an object, got nothing",
      "  /processors: required: expected an array, got nothing",
    ].join("\n"),
  );
});
