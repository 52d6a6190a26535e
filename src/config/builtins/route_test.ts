// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ProcessorContext } from "../define_processor.ts";
import { validateArgs } from "../validate_args.ts";
import { routeDefinition } from "./route.ts";

const context: ProcessorContext = {
  name: "by-status",
  pipelineId: "routes",
  baseUrl: "file:///tmp/",
  signal: new AbortController().signal,
};

type Choose = (record: unknown) => readonly string[] | undefined;

async function choice(args: unknown): Promise<Choose> {
  const result = await validateArgs(routeDefinition, args, { path: "/args" });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return await routeDefinition.create(result.value, context) as Choose;
}

test("route chooses by the value at a JSON pointer, a list, or the default", async () => {
  const choose = await choice({
    field: "/order/status",
    routes: { paid: "publish", refunded: ["refunds", "audit"] },
    default: "audit",
  });
  assert.deepEqual(choose({ order: { status: "paid" } }), ["publish"]);
  assert.deepEqual(choose({ order: { status: "refunded" } }), [
    "refunds",
    "audit",
  ]);
  assert.deepEqual(choose({ order: { status: "open" } }), ["audit"]);
  assert.deepEqual(choose({ order: {} }), ["audit"]);
  assert.deepEqual(choose("not an object"), ["audit"]);
});

test("route without a default sends unmatched records nowhere", async () => {
  const choose = await choice({ field: "/code", routes: { "200": "ok" } });
  assert.deepEqual(choose({ code: 200 }), ["ok"], "a number matches its text");
  assert.equal(choose({ code: 500 }), undefined);
  assert.equal(choose({ code: null }), undefined);
  assert.equal(choose({ code: { nested: 200 } }), undefined);
  const twice = await choice({ field: "/k", routes: { a: ["x", "x", "y"] } });
  assert.deepEqual(twice({ k: "a" }), ["x", "y"], "each name once");
  const flags = await choice({ field: "/on", routes: { true: "yes" } });
  assert.deepEqual(flags({ on: true }), ["yes"]);
  const whole = await choice({ field: "", routes: { a: "x" } });
  assert.deepEqual(whole("a"), ["x"], '"" is the record itself');
  const escaped = await choice({ field: "/a~1b/c~0d", routes: { v: "x" } });
  assert.deepEqual(escaped({ "a/b": { "c~d": "v" } }), ["x"]);
});

test("route args: a JSON pointer, at least one route, names", async () => {
  const issues = async (args: unknown) => {
    const result = await validateArgs(routeDefinition, args, {
      path: "/processors/2/args",
    });
    assert.equal(result.ok, false);
    return (result as { issues: { path: string; message: string }[] }).issues;
  };
  assert.deepEqual(await issues({ field: "status", routes: { a: "x" } }), [{
    path: "/processors/2/args/field",
    message: 'expected a JSON pointer, such as "/status", got "status"',
    expected: 'a JSON pointer, such as "/status"',
    received: '"status"',
  }]);
  const [empty] = await issues({ field: "/s", routes: {} });
  assert.equal(empty!.path, "/processors/2/args/routes");
  assert.match(empty!.message, /^expected at least one route/);
  const [list] = await issues({ field: "/s", routes: { a: [] } });
  assert.equal(list!.path, "/processors/2/args/routes/a");
  const [fallback] = await issues({
    field: "/s",
    routes: { a: "x" },
    default: "",
  });
  assert.equal(fallback!.path, "/processors/2/args/default");
  const [unknown] = await issues({
    field: "/s",
    routes: { a: "x" },
    otherwise: "y",
  });
  assert.equal(unknown!.path, "/processors/2/args/otherwise");
});
