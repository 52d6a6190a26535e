// Copyright 2026 the @ca/streams authors. MIT license.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { ProcessorDefinition } from "../../src/config/define_processor.ts";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import type { Message } from "../../src/messages/message.ts";
import { httpDefinitions } from "./http_definitions.ts";
import type { WebhookSource } from "./webhook_source.ts";
import { serve } from "./_test_server.ts";

function definition(name: string): ProcessorDefinition {
  const found = httpDefinitions().find((d) => d.name === name);
  assert.ok(found, name);
  return found as ProcessorDefinition;
}

async function validate(name: string, args: unknown) {
  return await definition(name).args["~standard"].validate(args);
}

const context = (signal: AbortSignal) => ({
  name: "p",
  pipelineId: "demo",
  baseUrl: "file:///srv/",
  signal,
});

test("httpDefinitions() validate their args, naming the bad field", async () => {
  const bad = await validate("http-sink", { url: "ftp://x", key: "id" });
  const paths = bad.issues?.map((issue) => issue.path?.join("."));
  assert.deepEqual(paths?.sort(), ["key", "url"]);
  const poll = await validate("http-poll-source", {
    url: "https://api.example.com/e",
    cursor: "/next",
    records: "/items",
  });
  assert.equal(poll.issues, undefined);
  const hook = await validate("webhook-source", { port: 70000 });
  assert.deepEqual(hook.issues?.map((issue) => issue.path?.join(".")), [
    "port",
  ]);
});

test("webhook-source serves on its port and path; http-sink posts with the key", async () => {
  const received: Array<[string | null, string]> = [];
  const target = await serve(async (request) => {
    received.push([
      request.headers.get("idempotency-key"),
      await request.text(),
    ]);
    return new Response(null, { status: 201 });
  });
  const abort = new AbortController();
  try {
    const hookArgs = await validate("webhook-source", {
      port: 0,
      path: "/hooks",
    });
    assert.equal(hookArgs.issues, undefined);
    // Port 0 picks a free port the test cannot learn: listen on a known one.
    const probe = await serve(() => new Response());
    const port = Number(new URL(probe.url).port);
    await probe.close();
    const source = await definition("webhook-source").create(
      { ...hookArgs.value as object, port },
      context(abort.signal),
    ) as WebhookSource;
    const sinkArgs = await validate("http-sink", {
      url: target.url,
      key: "/id",
      value: "/value",
    });
    assert.equal(sinkArgs.issues, undefined);
    const sink = await definition("http-sink").create(
      sinkArgs.value,
      context(abort.signal),
    ) as WritableStream<Message>;
    const running = pipeline(source, sink);
    const wrongPath = await fetch(`http://127.0.0.1:${port}/other`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(wrongPath.status, 404);
    const answer = await fetch(`http://127.0.0.1:${port}/hooks`, {
      method: "POST",
      headers: { "content-type": "application/json", "webhook-id": "m1" },
      body: '{"total":5}',
    });
    assert.equal(answer.status, 204);
    assert.deepEqual(received, [["m1", '{"total":5}']]);
    abort.abort();
    await running;
  } finally {
    abort.abort();
    await target.close();
  }
});

test("http-poll-source polls with its args", async () => {
  const server = await serve(() => Response.json({ items: [1, 2] }));
  try {
    const args = await validate("http-poll-source", {
      url: server.url,
      records: "/items",
      intervalMs: 10,
    });
    assert.equal(args.issues, undefined);
    const source = await definition("http-poll-source").create(
      args.value,
      context(new AbortController().signal),
    ) as AsyncIterable<Message<number>>;
    const values: number[] = [];
    for await (const message of source) {
      values.push(message.value);
      if (values.length === 3) break;
    }
    assert.deepEqual(values, [1, 2, 1], "no cursor: every poll reads again");
  } finally {
    await server.close();
  }
});
