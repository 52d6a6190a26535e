// Copyright 2026 the @ca/streams authors. MIT license.

// The `postgres` lease engine definition: its args, and an engine it opens
// against the server at CA_TEST_POSTGRES_URL (default
// postgres://postgres@127.0.0.1:5432/test; a missing server fails the
// test). Runs on Deno and Node against the source.

import assert from "node:assert/strict";
import process from "node:process";
import { describe, test } from "node:test";
import type { LeaseEngineDefinition } from "../../src/config/define_lease_engine.ts";
import { postgresLeaseEngineDefinitions } from "./postgres_lease_engine_definition.ts";

const url = process.env.CA_TEST_POSTGRES_URL ??
  "postgres://postgres@127.0.0.1:5432/test";
const [definition] = postgresLeaseEngineDefinitions() as [
  LeaseEngineDefinition,
];

describe("the postgres lease engine definition", () => {
  test("checks its url, table and ttlMs without connecting", async () => {
    assert.equal(definition.kind, "leaseEngine");
    assert.equal(definition.name, "postgres");
    const validate = definition.args["~standard"].validate;
    assert.ok(!(await validate({ url, table: "t", ttlMs: 5_000 })).issues);
    assert.ok(!(await validate({ url })).issues);
    assert.match(
      JSON.stringify((await validate({ url: "nats://x" })).issues),
      /expected a postgres:\/\/ or postgresql:\/\/ URL/,
    );
    for (const ttlMs of [0, 1.5, "10s"]) {
      assert.ok((await validate({ url, ttlMs })).issues?.length, `${ttlMs}`);
    }
    assert.ok((await validate({ url, bucket: "x" })).issues?.length);
    assert.ok((await validate({})).issues?.length, "url is required");
  });

  test("opens an engine over its own client, which close() ends", async () => {
    const table = `ca_test_lease_def_${Date.now().toString(36)}`;
    const leases = await definition.create({ url, table, ttlMs: 4_000 }, {
      baseUrl: "file:///srv/",
      signal: new AbortController().signal,
    });
    try {
      assert.equal(leases.ttlMs, 4_000);
      const lease = await leases.acquire("connector/orders", "host-a", "{}");
      assert.equal(lease?.holder, "host-a");
      assert.deepEqual(await leases.list("connector/"), [
        { name: "connector/orders", holder: "host-a", data: "{}" },
      ]);
    } finally {
      const { default: postgres } = await import("postgres");
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      await sql.unsafe(`DROP TABLE IF EXISTS "${table}"`);
      await sql.end({ timeout: 5 });
      await leases.close();
    }
  });
});
