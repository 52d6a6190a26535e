// Copyright 2026 the @ca/streams authors. MIT license.
// The nats-kv store definition against the real NATS server
// (CA_TEST_NATS_URL overrides nats://127.0.0.1:4222): what a config's
// `checkpoint.store` of type nats-kv opens, and the args it refuses without
// connecting. The bucket is named for the run and removed afterwards. The
// store itself passes the checkpoint store conformance suite in
// tests/stores/nats_kv_store_test.ts. Runs on Deno and Node.

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import type { StoreDefinition } from "../../src/config/define_store.ts";
import { natsKvStore } from "./nats_kv_store.ts";
import { natsKvStoreDefinitions } from "./nats_kv_store_definition.ts";
import { NATS_URL, testConnection } from "./_nats_test_helpers.ts";

const definition = natsKvStoreDefinitions()[0] as StoreDefinition<
  Record<string, unknown>
>;
const bucket = `ca_test_${crypto.randomUUID().slice(0, 8)}`;

after(async () => {
  const nc = await testConnection();
  await (await jetstreamManager(nc)).streams.delete(`KV_${bucket}`)
    .catch(() => {});
  await nc.close();
});

test("the nats-kv definition is the store nats-kv", () => {
  assert.equal(definition.kind, "store");
  assert.equal(definition.name, "nats-kv");
});

test("the nats-kv definition opens a store over the bucket its args name", async () => {
  const args = await definition.args["~standard"].validate({
    url: NATS_URL,
    bucket,
    replicas: 1,
  });
  assert.ok(!("issues" in args && args.issues), JSON.stringify(args));
  const store = await definition.create(
    (args as { value: Record<string, unknown> }).value,
    {
      pipelineId: "orders",
      baseUrl: "file:///",
      signal: new AbortController().signal,
    },
  );
  const { generation } = await store.acquire("orders");
  await store.commit("orders", { offset: 5 }, generation);
  await store.close?.();
  const nc = await testConnection();
  try {
    assert.deepEqual(
      await natsKvStore({ connection: nc, bucket }).get("orders"),
      { position: { offset: 5 }, generation: 1 },
    );
  } finally {
    await nc.close();
  }
});

test("the nats-kv definition refuses args it can check without connecting", async () => {
  for (
    const bad of [
      { url: "redis://127.0.0.1:6379" },
      { bucket: "a.b" },
      { bucket: "" },
      { replicas: 0 },
      { replicas: 2.5 },
      { prefix: "x" },
    ]
  ) {
    const result = await definition.args["~standard"].validate(bad);
    assert.ok(
      "issues" in result && result.issues !== undefined,
      `${JSON.stringify(bad)} must be refused`,
    );
  }
});
