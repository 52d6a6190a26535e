// Copyright 2026 the @ca/streams authors. MIT license.
// Configs as graphs: `from`, `route`, and every rule of the graph, each
// issue with its path, through parsePipelineConfig().
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { builtinDefinitions } from "./builtins/builtin_definitions.ts";
import * as z from "zod/mini";
import { ConfigError } from "./config_error.ts";
import { defineTransport } from "./define_transport.ts";
import type { ConfigIssue } from "./config_issue.ts";
import { parsePipelineConfig } from "./parse_pipeline_config.ts";
import type { PipelineConfig } from "./pipeline_config.ts";
import { processorInputs } from "./processor_inputs.ts";
import { Registry } from "./registry.ts";

const registry = new Registry([
  ...builtinDefinitions(),
  defineTransport({
    name: "tcp",
    description: "A transport that is never opened here.",
    args: z.strictObject({}),
    listen: () => Promise.reject(new Error("never listens while parsing")),
    connect: () => Promise.reject(new Error("never dials while parsing")),
  }),
]);
const pythonProcessors = new Map([["py-upper", {
  kind: "processor" as const,
}]]);

const HEAD = `
id: graph
runners:
  a: { runtime: deno }
  b: { runtime: node }
  py: { runtime: python, script: ./runner.py }
processors:
`;

/** A config of the processors given, one per line, on runner a unless said. */
function config(...processors: string[]): string {
  return HEAD +
    processors.map((p) =>
      `  - { ${p}${p.includes("runner:") ? "" : ", runner: a"} }\n`
    ).join("");
}

const parse = (text: string): Promise<PipelineConfig> =>
  parsePipelineConfig(text, { env: {}, registry, pythonProcessors });

async function issuesOf(text: string): Promise<ConfigIssue[]> {
  try {
    await parse(text);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `not a ConfigError: ${error}`);
    return error.issues;
  }
  assert.fail("expected a ConfigError");
}

/** Asserts exactly these issues, as `path: message` fragments. */
async function rejects(
  text: string,
  ...expected: [path: string, fragment: string][]
): Promise<ConfigIssue[]> {
  const issues = await issuesOf(text);
  assert.deepEqual(
    issues.map((issue) => issue.path),
    expected.map(([path]) => path),
    JSON.stringify(issues, null, 2),
  );
  issues.forEach((issue, i) => {
    assert.ok(
      issue.message.includes(expected[i]![1]),
      `${JSON.stringify(issue.message)} lacks ${
        JSON.stringify(expected[i]![1])
      }`,
    );
  });
  return issues;
}

const GEN = "use: generate, args: { count: 3 }";
const OUT = "use: console-sink";
const SET = "use: set, args: { field: x, value: 1 }";

describe("graph configs that parse", () => {
  test("a line without from stays a line: no from in the normalized config", async () => {
    const parsed = await parse(
      config(`name: src, ${GEN}`, `name: mark, ${SET}`, `name: out, ${OUT}`),
    );
    assert.deepEqual(parsed.processors.map((p) => p.from), [
      undefined,
      undefined,
      undefined,
    ]);
    assert.deepEqual(processorInputs(parsed), [[], ["src"], ["mark"]]);
  });

  test("a merge, a fan-out and a route: inputs resolved, from only where it is not the line", async () => {
    const parsed = await parse(config(
      `name: orders, ${GEN}`,
      `name: refunds, ${GEN}`,
      `name: mark, ${SET}, from: [orders, refunds]`,
      `name: archive, ${OUT}, from: mark`,
      `name: split, use: route, from: mark, args: { field: /status, routes: { paid: [paid, audit] }, default: audit }`,
      `name: paid, ${OUT}`,
      `name: audit, ${OUT}, from: [split]`,
    ));
    assert.deepEqual(parsed.processors.map((p) => p.from), [
      undefined,
      [],
      ["orders", "refunds"],
      undefined,
      ["mark"],
      undefined,
      ["split"],
    ]);
    assert.deepEqual(processorInputs(parsed), [
      [],
      [],
      ["orders", "refunds"],
      ["mark"],
      ["mark"],
      ["split"],
      ["split"],
    ]);
    assert.deepEqual(parsed.processors[4]!.args, {
      field: "/status",
      routes: { paid: ["paid", "audit"] },
      default: "audit",
    });
  });

  test("channels on every edge between runners, keyed by both ends, written ones kept", async () => {
    const parsed = await parse(
      config(
        `name: src, ${GEN}`,
        `name: mark, ${SET}`,
        `name: here, ${OUT}`,
        `name: there, ${OUT}, runner: b, from: mark`,
        `name: also, ${OUT}, runner: b, from: src`,
      ) +
        "channels:\n  - { from: mark, to: there, port: 7001 }\n",
    );
    assert.deepEqual(
      parsed.channels.map((c) => [c.from, c.to, c.port]),
      [["mark", "there", 7001], ["src", "also", 0]],
    );
  });

  test("a Python runner in a line of a graph", async () => {
    const parsed = await parse(config(
      `name: src, ${GEN}`,
      `name: up, use: py-upper, runner: py`,
      `name: out, ${OUT}`,
      `name: raw, ${OUT}, from: src`,
    ));
    assert.deepEqual(
      parsed.channels.map((c) => `${c.from}->${c.to}`),
      ["src->up", "up->out"],
    );
  });
});

describe("graph configs that fail, each issue at its path", () => {
  test("a name in from that is no processor, with a suggestion", async () => {
    await rejects(
      config(`name: src, ${GEN}`, `name: out, ${OUT}, from: [src, scr]`),
      [
        "/processors/1/from/1",
        'expected the name of a processor, got "scr" (did you mean "src"?)',
      ],
    );
    await rejects(
      config(`name: src, ${GEN}`, `name: out, ${OUT}, from: nope`),
      ["/processors/1/from", 'expected the name of a processor, got "nope"'],
    );
  });

  test("an input named twice", async () => {
    await rejects(
      config(`name: src, ${GEN}`, `name: out, ${OUT}, from: [src, src]`),
      ["/processors/1/from/1", 'expected each input once, got "src"'],
    );
  });

  test("from as the structure wants it: a name or a non-empty list", async () => {
    await rejects(
      config(`name: src, ${GEN}`, `name: out, ${OUT}, from: []`),
      [
        "/processors/1/from",
        "expected at least 1 item, got an array of 0 items",
      ],
    );
  });

  test("a cycle, reported where it is written", async () => {
    await rejects(
      config(
        `name: src, ${GEN}`,
        `name: one, ${SET}, from: [src, two]`,
        `name: two, ${SET}`,
        `name: out, ${OUT}, from: two`,
      ),
      [
        "/processors/1/from/1",
        'expected no cycle, got "one" -> "two" -> "one"',
      ],
    );
    await rejects(
      config(
        `name: src, ${GEN}`,
        `name: one, ${SET}, from: [src, one]`,
        `name: out, ${OUT}`,
      ),
      ["/processors/1/from/1", '"one" reads from itself'],
    );
  });

  test("a source with inputs", async () => {
    await rejects(
      config(
        `name: src, ${GEN}`,
        `name: more, ${GEN}, from: src`,
        `name: out, ${OUT}, from: [src, more]`,
      ),
      [
        "/processors/1/from",
        'expected no from: source "more" (generate) is a source, which reads the records itself, got "src"',
      ],
    );
  });

  test("a sink with outputs, named in from or read as the one listed before", async () => {
    await rejects(
      config(
        `name: src, ${GEN}`,
        `name: out, ${OUT}`,
        `name: after, ${OUT}, from: [out]`,
      ),
      [
        "/processors/2/from/0",
        'expected a source or a processor to read from, got sink "out" (console-sink): a sink has no outputs',
      ],
    );
    const [issue] = await rejects(
      config(
        `name: src, ${GEN}`,
        `name: mark, ${SET}, from: src`,
        `name: out, ${OUT}`,
        `name: after, ${OUT}`,
      ),
      ["/processors/3", 'got sink "out" (console-sink): a sink has no outputs'],
    );
    assert.match(
      issue!.message,
      /without from, a processor reads the one listed before it$/,
    );
  });

  test("a processor whose records go nowhere", async () => {
    await rejects(
      config(
        `name: src, ${GEN}`,
        `name: lost, ${SET}`,
        `name: out, ${OUT}, from: src`,
      ),
      [
        "/processors/1",
        'expected a processor that reads from "lost", got none: the records of processor "lost" (set) would go nowhere',
      ],
    );
  });

  test("a first processor that is no source", async () => {
    await rejects(
      config(
        `name: mark, ${SET}`,
        `name: src, ${GEN}`,
        `name: out, ${OUT}, from: [src, mark]`,
      ),
      ["/processors/0/use", 'expected a source, got processor "mark" (set)'],
    );
  });

  test("a route naming a processor that does not exist", async () => {
    await rejects(
      config(
        `name: src, ${GEN}`,
        `name: split, use: route, args: { field: /s, routes: { paid: piad, open: open } }`,
        `name: open, ${OUT}`,
      ),
      [
        "/processors/1/args/routes/paid",
        'expected the name of a processor, got "piad"',
      ],
    );
  });

  test("a route target that does not name the route in from", async () => {
    await rejects(
      config(
        `name: src, ${GEN}`,
        `name: split, use: route, args: { field: /s, routes: { paid: paid }, default: [open, other] }`,
        `name: paid, ${OUT}`,
        `name: open, ${OUT}, from: split`,
        `name: other, ${OUT}, from: src`,
      ),
      [
        "/processors/1/args/default/1",
        'expected a processor that reads from route "split", got "other", which reads from "src": add "split" to its from',
      ],
    );
  });

  test("a processor reading from a route that sends it nothing", async () => {
    await rejects(
      config(
        `name: src, ${GEN}`,
        `name: split, use: route, args: { field: /s, routes: { paid: paid } }`,
        `name: paid, ${OUT}`,
        `name: stray, ${OUT}, from: [split]`,
      ),
      [
        "/processors/3/from/0",
        'expected a route of "split" to name "stray", got none',
      ],
    );
  });

  test("a join after a fan-out, and after a route", async () => {
    await rejects(
      config(
        `name: src, ${GEN}`,
        `name: one, ${SET}`,
        `name: two, ${SET}, from: src`,
        `name: out, ${OUT}, from: [one, two]`,
      ),
      [
        "/processors/3/from",
        'expected inputs that have not split, got a join after a split: "out" joins branches after "src" fans out to "one" and "two"',
      ],
    );
    await rejects(
      config(
        `name: src, ${GEN}`,
        `name: split, use: route, args: { field: /s, routes: { a: one, b: two } }`,
        `name: one, ${SET}`,
        `name: two, ${SET}, from: split`,
        `name: out, ${OUT}, from: [one, two]`,
      ),
      [
        "/processors/4/from",
        '"out" joins branches after route "split" splits them',
      ],
    );
  });

  test("a second join", async () => {
    await rejects(
      config(
        `name: a1, ${GEN}`,
        `name: a2, ${GEN}`,
        `name: both, ${SET}, from: [a1, a2]`,
        `name: a3, ${GEN}`,
        `name: out, ${OUT}, from: [both, a3]`,
      ),
      [
        "/processors/4/from",
        'expected sources, or lines from one source, got a second join: "out" joins branches that "both" joined already',
      ],
    );
  });

  test("a Python runner joins or fans out", async () => {
    await rejects(
      config(
        `name: a1, ${GEN}`,
        `name: a2, ${GEN}`,
        `name: up, use: py-upper, runner: py, from: [a1, a2]`,
        `name: out, ${OUT}`,
        `name: raw, ${OUT}, from: up`,
      ),
      // In the order of the keys: `runner:` is written before `from:`.
      [
        "/processors/2/runner",
        'expected one processor to read from "up" on a Python runner, got 2 ("out" and "raw")',
      ],
      [
        "/processors/2/from",
        'expected one input on a Python runner, got 2 ("a1" and "a2")',
      ],
    );
  });

  test("a channel on no edge of the graph", async () => {
    await rejects(
      config(
        `name: src, ${GEN}`,
        `name: mark, ${SET}`,
        `name: out, ${OUT}, runner: b, from: src`,
        `name: more, ${OUT}, runner: b, from: mark`,
      ) + "channels:\n  - { from: src, to: more }\n",
      [
        "/channels/0/to",
        'expected a processor that reads from "src" ("mark" or "out"), got "more": a channel is an edge',
      ],
    );
  });

  test("every issue at once, in document order", async () => {
    const issues = await issuesOf(config(
      `name: src, ${GEN}, from: mark`,
      `name: mark, ${SET}`,
      `name: out, ${OUT}, from: [mark]`,
      `name: split, use: route, from: out, args: { field: /s, routes: { x: out, y: nowhere } }`,
    ));
    assert.deepEqual(issues.map((issue) => issue.path), [
      "/processors/0/from",
      "/processors/3/from",
      "/processors/3/args/routes/x",
      "/processors/3/args/routes/y",
    ]);
  });
});
