// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import { builtinDefinitions } from "../../src/config/builtins/builtin_definitions.ts";
import { parsePipelineConfig } from "../../src/config/parse_pipeline_config.ts";
import { Registry } from "../../src/config/registry.ts";
import { tcpDefinitions } from "../channel_tcp/tcp_definitions.ts";
import { graphMermaid } from "./graph_mermaid.ts";

const registry = new Registry([...builtinDefinitions(), ...tcpDefinitions()]);

test("graphMermaid(): shapes by kind, a subgraph per runner, route values on edges, channels dotted", async () => {
  const config = await parsePipelineConfig(
    `
id: g
runners: { a: { runtime: deno }, idle: { runtime: node }, b: { runtime: node } }
processors:
  - { name: src, use: generate, runner: a, args: { count: 1 } }
  - { name: split, use: route, runner: a, args: { field: /k, routes: { x: [one, two], y: two }, default: one } }
  - { name: one, use: console-sink, runner: a }
  - { name: two, use: console-sink, runner: b, from: split }
  - { name: all, use: take, runner: b, from: src, args: { count: 1 } }
  - { name: out, use: console-sink, runner: b }
channels:
  - { from: src, to: all, transport: tcp }
`,
    { env: {}, registry },
  );
  const text = graphMermaid(config, (use) => registry.processor(use)?.kind);
  assert.equal(
    text,
    `flowchart LR
  subgraph r0["a (deno)"]
    p0(["src<br/>generate"])
    p1{"split<br/>route"}
    p2[("one<br/>console-sink")]
  end
  subgraph r2["b (node)"]
    p3[("two<br/>console-sink")]
    p4["all<br/>take"]
    p5[("out<br/>console-sink")]
  end
  p0 --> p1
  p1 -- "x, default" --> p2
  p1 -. "x, y, channel tcp" .-> p3
  p0 -. "channel tcp" .-> p4
  p4 --> p5
`,
  );
});

test("graphMermaid(): a label's quotes and # are entities; an unknown kind is a box", async () => {
  const config = await parsePipelineConfig(
    `
id: odd
runners: { r1: { runtime: deno } }
processors:
  - { name: src, use: 'acme/"quoted"#x' }
  - { name: out, use: acme/out }
`,
    { env: {} },
  );
  assert.equal(
    graphMermaid(config, () => undefined),
    `flowchart LR
  subgraph r0["r1 (deno)"]
    p0["src<br/>acme/#quot;quoted#quot;#35;x"]
    p1["out<br/>acme/out"]
  end
  p0 --> p1
`,
  );
});
