// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as z from "zod/mini";
import { builtinDefinitions } from "./builtins/builtin_definitions.ts";
import { defineTransport } from "./define_transport.ts";
import { parsePipelineConfig } from "./parse_pipeline_config.ts";
import { planPipeline } from "./plan_pipeline.ts";
import { Registry } from "./registry.ts";

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
  const channel = (from: string, to: string) => ({
    name: `${from}->${to}`,
    from,
    to,
    ...defaults,
  });
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
          { name: "src", use: "generate", args: { count: 5 }, from: [] },
          {
            name: "keep",
            use: "where",
            args: { field: "id", equals: 1 },
            from: ["src"],
          },
        ],
        inputs: [],
        outputs: [channel("keep", "up")],
      },
      {
        id: "split/mark",
        processors: [
          {
            name: "mark",
            use: "set",
            args: { field: "x", value: 1 },
            from: ["up"],
          },
        ],
        inputs: [{
          name: "up->mark",
          from: "up",
          to: "mark",
          transport: "ws",
          host: "127.0.0.1",
          port: 9100,
          token: "t",
          args: { path: "/x" },
        }],
        outputs: [channel("mark", "pick")],
      },
    ],
  });
  assert.deepEqual(b!.segments, [{
    id: "split/pick",
    processors: [
      { name: "pick", use: "select", args: { fields: ["id"] }, from: ["mark"] },
      { name: "out", use: "out", args: {}, from: ["pick"] },
    ],
    inputs: [channel("mark", "pick")],
    outputs: [],
  }]);
  assert.equal(c!.runtime, "python");
  assert.deepEqual(
    c!.segments.map((s) => [
      s.id,
      s.inputs.map((i) => i.name),
      s.outputs.map((o) => o.name),
    ]),
    [
      ["split/up", ["keep->up"], ["up->mark"]],
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
      { name: "src", use: "generate", args: { count: 1 }, from: [] },
      { name: "out", use: "out", args: {}, from: ["src"] },
    ],
    inputs: [],
    outputs: [],
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

// A registry, so that a source listed after another reads nothing.
const graphRegistry = new Registry([
  ...builtinDefinitions(),
  defineTransport({
    name: "tcp",
    description: "A transport that is never opened here.",
    args: z.strictObject({}),
    listen: () => Promise.reject(new Error("never listens while planning")),
    connect: () => Promise.reject(new Error("never dials while planning")),
  }),
]);

test("planPipeline() cuts a graph at its edges between runners, channels keyed by both ends", async () => {
  const config = await parsePipelineConfig(
    `
id: g
runners: { a: { runtime: deno }, b: { runtime: node }, c: { runtime: node } }
processors:
  - { name: orders, use: generate, runner: a, args: { count: 5 } }
  - { name: refunds, use: generate, runner: b, args: { count: 5 } }
  - { name: all, use: set, runner: a, from: [orders, refunds], args: { field: x, value: 1 } }
  - { name: split, use: route, runner: a, args: { field: /x, routes: { "1": [near, far] } } }
  - { name: near, use: console-sink, runner: a }
  - { name: far, use: console-sink, runner: b, from: split }
  - { name: archive, use: console-sink, runner: c, from: all }
  - { name: copy, use: console-sink, runner: c, from: all }
channels:
  - { from: all, to: archive, port: 9001 }
  - { from: all, to: copy, port: 9002 }
`,
    { env: {}, registry: graphRegistry },
  );
  const [a, b, c] = planPipeline(config, { baseUrl: "file:///srv/" });
  const names = (channels: { name: string; port: number }[]) =>
    channels.map((channel) => `${channel.name}:${channel.port}`);
  assert.deepEqual(
    a!.segments.map((s) => ({
      id: s.id,
      processors: s.processors.map((p) => `${p.name}<${p.from.join("+")}`),
      inputs: names(s.inputs),
      outputs: names(s.outputs),
    })),
    [{
      id: "g/orders",
      processors: [
        "orders<",
        "all<orders+refunds",
        "split<all",
        "near<split",
      ],
      inputs: ["refunds->all:0"],
      outputs: ["split->far:0", "all->archive:9001", "all->copy:9002"],
    }],
  );
  // The source on b and the sink on b are two segments: no edge joins them on b.
  assert.deepEqual(
    b!.segments.map((s) => [
      s.id,
      s.processors.map((p) => p.name),
      names(s.inputs),
      names(s.outputs),
    ]),
    [
      ["g/refunds", ["refunds"], [], ["refunds->all:0"]],
      ["g/far", ["far"], ["split->far:0"], []],
    ],
  );
  // Two channels into one runner, each its own segment's input.
  assert.deepEqual(
    c!.segments.map((s) => [s.id, names(s.inputs)]),
    [["g/archive", ["all->archive:9001"]], ["g/copy", ["all->copy:9002"]]],
  );
  const [channel] = c!.segments[0]!.inputs;
  assert.equal(channel!.from, "all");
  assert.equal(channel!.to, "archive");
});
