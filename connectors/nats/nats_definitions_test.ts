// Copyright 2026 the @ca/streams authors. MIT license.
// The NATS definitions: args checked without connecting, and create() makes
// the connectors (nothing connects until a read or a write).

import { test } from "node:test";
import assert from "node:assert/strict";
import { RESUMABLE_SOURCE } from "../../src/sources/resumable_source.ts";
import { BATCH_SINK } from "../../src/sinks/batch_sink.ts";
import type { ProcessorDefinition } from "../../src/config/define_processor.ts";
import { natsDefinitions } from "./nats_definitions.ts";

function definition(name: string): ProcessorDefinition {
  const found = natsDefinitions().find((d) => d.name === name);
  assert.ok(found, name);
  return found as ProcessorDefinition;
}

async function validate(name: string, args: unknown) {
  return await definition(name).args["~standard"].validate(args);
}

const context = {
  name: "n",
  pipelineId: "p",
  baseUrl: "file:///etc/ca/",
  signal: new AbortController().signal,
};

test("natsDefinitions() check args without connecting", async () => {
  const ok = await validate("jetstream-source", {
    url: "nats://127.0.0.1:4222",
    stream: "ORDERS",
    consumer: "archive",
    reset: { sequence: 5 },
  });
  assert.ok(!("issues" in ok && ok.issues), JSON.stringify(ok));
  assert.equal((ok as { value: { format: string } }).value.format, "json");
  for (
    const [name, args] of [
      ["jetstream-source", { url: "http://x", stream: "S", consumer: "c" }],
      ["jetstream-source", { stream: "a.b", consumer: "c" }],
      ["jetstream-source", { stream: "S", consumer: "c", fetchWaitMs: 10 }],
      ["jetstream-sink", { subject: "a", key: "id" }],
      ["nats-source", { subject: "a b" }],
      ["nats-sink", { subject: "a", format: "xml" }],
    ] as const
  ) {
    const result = await validate(name, args);
    assert.ok(
      "issues" in result && result.issues?.length,
      `${name} ${JSON.stringify(args)}`,
    );
  }
});

test("natsDefinitions() create sources and sinks that connect only when used", async () => {
  const source = await definition("jetstream-source").create({
    stream: "S",
    consumer: "c",
    format: "json",
    tls: { caFile: "ca.pem" },
  }, context);
  assert.ok(RESUMABLE_SOURCE in (source as object));
  const sink = await definition("jetstream-sink").create(
    { subject: "a.b", format: "json", key: "/id" },
    context,
  );
  assert.ok(BATCH_SINK in (sink as object));
  const core = await definition("nats-source").create(
    { subject: "a.>", format: "text" },
    context,
  );
  assert.ok(RESUMABLE_SOURCE in (core as object));
  const coreSink = await definition("nats-sink").create(
    { subject: "a.b", format: "text" },
    context,
  );
  assert.ok(BATCH_SINK in (coreSink as object));
});
