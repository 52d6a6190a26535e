// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parsePipelineConfig } from "./parse_pipeline_config.ts";
import { planPipeline } from "./plan_pipeline.ts";

const CONFIG = `
id: split
runners:
  a: { runtime: deno }
  b: { runtime: node }
  c: { runtime: python }
  idle: { runtime: node }
modules: [./procs.ts, "https://example.com/x.ts"]
checkpoint: { store: { type: memory }, everyMs: 100 }
processors:
  - { name: src, use: generate, runner: a, args: { count: 5 } }
  - { name: keep, use: where, runner: a, args: { field: id, equals: 1 } }
  - { name: up, use: upper, runner: c }
  - { name: mark, use: set, runner: a, args: { field: x, value: 1 } }
  - { name: pick, use: select, runner: b, args: { fields: [id] } }
  - { name: out, use: out, runner: b }
channels:
  - { from: up, to: mark, transport: ws, port: 9100, token: t, args: { path: /x } }
`;

test("planPipeline() splits runners into segments joined by channels", async () => {
  const config = await parsePipelineConfig(CONFIG, { env: {} });
  const plans = planPipeline(config, { baseUrl: "file:///srv/p/" });
  assert.deepEqual(plans.map((plan) => plan.runner), ["a", "b", "c"]);
  const [a, b, c] = plans;
  const defaults = {
    transport: "tcp",
    host: "127.0.0.1",
    port: 0,
    token: "",
    args: {},
  };
  assert.deepEqual(a, {
    pipelineId: "split",
    runner: "a",
    runtime: "deno",
    baseUrl: "file:///srv/p/",
    modules: ["file:///srv/p/procs.ts", "https://example.com/x.ts"],
    checkpoint: { store: { type: "memory" }, everyMs: 100 },
    segments: [
      {
        id: "split/src",
        processors: [
          { name: "src", use: "generate", args: { count: 5 } },
          { name: "keep", use: "where", args: { field: "id", equals: 1 } },
        ],
        output: { name: "keep->up", ...defaults },
      },
      {
        id: "split/mark",
        processors: [
          { name: "mark", use: "set", args: { field: "x", value: 1 } },
        ],
        input: {
          name: "up->mark",
          transport: "ws",
          host: "127.0.0.1",
          port: 9100,
          token: "t",
          args: { path: "/x" },
        },
        output: { name: "mark->pick", ...defaults },
      },
    ],
  });
  assert.deepEqual(b!.segments, [{
    id: "split/pick",
    processors: [
      { name: "pick", use: "select", args: { fields: ["id"] } },
      { name: "out", use: "out", args: {} },
    ],
    input: { name: "mark->pick", ...defaults },
  }]);
  assert.equal(c!.runtime, "python");
  assert.deepEqual(
    c!.segments.map((s) => [s.id, s.input?.name, s.output?.name]),
    [
      ["split/up", "keep->up", "up->mark"],
    ],
  );
  assert.deepEqual(JSON.parse(JSON.stringify(plans)), plans, "plans are JSON");
});

test("planPipeline() gives one runner one segment", async () => {
  const config = await parsePipelineConfig(
    `
id: one
runners: { main: { runtime: node } }
processors:
  - { name: src, use: generate, args: { count: 1 } }
  - { name: out, use: out }
`,
    { env: {} },
  );
  const plans = planPipeline(config, { baseUrl: new URL("file:///d/") });
  assert.equal(plans.length, 1);
  assert.deepEqual(plans[0]!.modules, []);
  assert.equal(plans[0]!.checkpoint, undefined);
  assert.deepEqual(plans[0]!.segments, [{
    id: "one/src",
    processors: [
      { name: "src", use: "generate", args: { count: 1 } },
      { name: "out", use: "out", args: {} },
    ],
  }]);
});

test("planPipeline() wants a directory URL", async () => {
  const config = await parsePipelineConfig(CONFIG, { env: {} });
  for (const baseUrl of ["./here/", "file:///srv/p/config.yaml"]) {
    assert.throws(
      () => planPipeline(config, { baseUrl }),
      /^TypeError: Cannot plan pipeline "split": options\.baseUrl must be an absolute URL ending with "\/"/,
    );
  }
});
