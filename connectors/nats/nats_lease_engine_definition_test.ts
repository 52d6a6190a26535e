// Copyright 2026 the @ca/streams authors. MIT license.

// The `nats` lease engine definition: its args, and an engine it opens
// against the server at CA_TEST_NATS_URL (default nats://127.0.0.1:4222,
// with JetStream; a missing server fails the test). Runs on Deno and Node
// against the source.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Kvm } from "@nats-io/kv";
import type { LeaseEngineDefinition } from "../../src/config/define_lease_engine.ts";
import { NATS_URL, testConnection, uniqueName } from "./_nats_test_helpers.ts";
import { natsLeaseEngineDefinitions } from "./nats_lease_engine_definition.ts";

const [definition] = natsLeaseEngineDefinitions() as [LeaseEngineDefinition];

describe("the nats lease engine definition", () => {
  test("checks its url, bucket, ttlMs and replicas without connecting", async () => {
    assert.equal(definition.kind, "leaseEngine");
    assert.equal(definition.name, "nats");
    const validate = definition.args["~standard"].validate;
    assert.ok(!(await validate({})).issues, "every arg is optional");
    assert.ok(
      !(await validate({
        url: NATS_URL,
        bucket: "ca_leases",
        ttlMs: 10_000,
        replicas: 3,
        user: "u",
        pass: "p",
        tls: { caFile: "ca.pem" },
      })).issues,
    );
    assert.match(
      JSON.stringify((await validate({ url: "postgres://x" })).issues),
      /expected a nats:\/\/, tls:\/\/, ws:\/\/ or wss:\/\/ URL/,
    );
    for (
      const bad of [
        { bucket: "a.b" },
        { ttlMs: 0 },
        { ttlMs: "10s" },
        { replicas: 0 },
        { replicas: 6 },
        { table: "x" },
      ]
    ) {
      assert.ok((await validate(bad)).issues?.length, JSON.stringify(bad));
    }
  });

  test("opens an engine over its own connection, which close() closes", async () => {
    const nc = await testConnection();
    const bucket = uniqueName("ca_test_lease_def");
    try {
      const leases = await definition.create(
        { url: NATS_URL, bucket, ttlMs: 4_000 },
        { baseUrl: "file:///srv/", signal: new AbortController().signal },
      );
      assert.equal(leases.ttlMs, 4_000);
      const lease = await leases.acquire("connector/orders", "host-a", "{}");
      assert.equal(lease?.holder, "host-a");
      assert.deepEqual(await leases.list("connector/"), [
        { name: "connector/orders", holder: "host-a", data: "{}" },
      ]);
      await leases.close();
      assert.equal(
        (await (await new Kvm(nc).open(bucket)).status()).ttl,
        4_000,
      );
    } finally {
      await (await new Kvm(nc).open(bucket)).destroy().catch(() => {});
      await nc.close();
    }
  });
});
