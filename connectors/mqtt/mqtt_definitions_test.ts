// Copyright 2026 the @ca/streams authors. MIT license.
// mqttDefinitions(): args checked without connecting, create() makes the
// source and the sink.
import { test } from "node:test";
import assert from "node:assert/strict";
import { RESUMABLE_SOURCE } from "../../src/sources/resumable_source.ts";
import { BATCH_SINK } from "../../src/sinks/batch_sink.ts";
import type { ProcessorDefinition } from "../../src/config/define_processor.ts";
import { mqttDefinitions } from "./mqtt_definitions.ts";

function definition(name: string): ProcessorDefinition {
  const found = mqttDefinitions().find((d) => d.name === name);
  assert.ok(found, `no definition ${name}`);
  return found as ProcessorDefinition;
}

async function check(name: string, args: unknown) {
  return await definition(name).args["~standard"].validate(args);
}

test("mqtt-source args: url, topic and clientId are needed, format defaults to json", async () => {
  const ok = await check("mqtt-source", {
    url: "mqtt://127.0.0.1:1883",
    topic: ["a/+", "b/#"],
    clientId: "ingest",
  });
  assert.ok(!("issues" in ok && ok.issues), JSON.stringify(ok));
  assert.equal((ok as { value: { format: string } }).value.format, "json");
  for (
    const bad of [
      { url: "http://x", topic: "t", clientId: "c" },
      { url: "mqtt://x", topic: "t" },
      { url: "mqtt://x", topic: [], clientId: "c" },
      { url: "mqtt://x", topic: "t", clientId: "c", receiveMaximum: 70000 },
      { url: "mqtt://x", topic: "t", clientId: "c", format: "xml" },
    ]
  ) {
    const result = await check("mqtt-source", bad);
    assert.ok("issues" in result && result.issues, JSON.stringify(bad));
  }
});

test("mqtt-sink args: a topic or a topicFrom pointer", async () => {
  for (
    const good of [
      { url: "mqtt://x", topic: "out" },
      { url: "mqtts://x", topicFrom: "/topic", retain: true },
    ]
  ) {
    const result = await check("mqtt-sink", good);
    assert.ok(!("issues" in result && result.issues), JSON.stringify(good));
  }
  for (
    const bad of [
      { url: "mqtt://x" },
      { url: "mqtt://x", topicFrom: "topic" },
      { url: "mqtt://x", topic: "t", extra: 1 },
    ]
  ) {
    const result = await check("mqtt-sink", bad);
    assert.ok("issues" in result && result.issues, JSON.stringify(bad));
  }
});

test("mqttDefinitions() create a source and a sink without connecting", async () => {
  const context = {
    name: "x",
    pipelineId: "p",
    baseUrl: "file:///",
    signal: new AbortController().signal,
  };
  const source = await definition("mqtt-source").create({
    url: "mqtt://127.0.0.1:1",
    topic: "t",
    clientId: "c",
    format: "json",
  }, context);
  assert.ok(RESUMABLE_SOURCE in (source as object));
  const sink = await definition("mqtt-sink").create({
    url: "mqtt://127.0.0.1:1",
    topic: "t",
    format: "json",
  }, context);
  assert.ok(BATCH_SINK in (sink as object));
});
