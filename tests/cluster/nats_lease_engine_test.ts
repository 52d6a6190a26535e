// Copyright 2026 the @ca/streams authors. MIT license.

// natsLeaseEngine(): the lease engine conformance suite and NATS specifics,
// against the server at CA_TEST_NATS_URL (default nats://127.0.0.1:4222,
// with JetStream). A missing server fails every test with how to start
// one. Buckets are named for the run and deleted afterwards. Runs on Deno
// and Node.

import assert from "node:assert/strict";
import process from "node:process";
import { after, describe, test } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { natsLeaseEngine } from "@ca/streams/nats";
import {
  leaseEngineConformance,
  uniquePrefix,
} from "./lease_engine_conformance.ts";

const URL_VARIABLE = "CA_TEST_NATS_URL";
const url = process.env[URL_VARIABLE] ?? "nats://127.0.0.1:4222";
const HOW_TO_START = "nats-server -js -a 127.0.0.1 -p 4222 &";
const TTL_MS = 1_000;

const connections: Promise<NatsConnection>[] = [];
function open(): Promise<NatsConnection> {
  const opened = connect({ servers: url, timeout: 3_000 }).catch((error) => {
    throw new Error(
      `Cannot reach NATS at ${url} (${
        error?.message ?? error
      }): start it with \`${HOW_TO_START}\`, or point ${URL_VARIABLE} at one`,
    );
  });
  opened.catch(() => {}); // every test awaits it and fails with the message
  connections.push(opened);
  return opened;
}
// Two connections: engines alternate between them, as two hosts would.
const first = open();
const second = open();

const run = `${Date.now().toString(36)}_${
  Math.random().toString(36).slice(2, 8)
}`;
const bucket = `ca_test_leases_${run}`;
const buckets: string[] = [bucket];

after(async () => {
  const nc = await first.catch(() => undefined);
  if (nc !== undefined) {
    const kvm = new Kvm(nc);
    for (const name of buckets) {
      await (await kvm.open(name)).destroy().catch(() => {});
    }
  }
  for (const opened of connections) {
    await (await opened.catch(() => undefined))?.close();
  }
});

let opened = 0;
leaseEngineConformance(
  "natsLeaseEngine()",
  async () =>
    natsLeaseEngine({
      connection: await (opened++ % 2 === 0 ? first : second),
      bucket,
      ttlMs: TTL_MS,
    }),
);

describe("natsLeaseEngine() in NATS", () => {
  test("creates its bucket with max_age = ttlMs and one value per key", async () => {
    const nc = await first;
    const fresh = `${bucket}_fresh`;
    buckets.push(fresh);
    const leases = natsLeaseEngine({
      connection: nc,
      bucket: fresh,
      ttlMs: 2_500,
    });
    assert.ok(await leases.acquire("host/a", "host-a", "{}"));
    const status = await (await new Kvm(nc).open(fresh)).status();
    assert.equal(status.ttl, 2_500);
    assert.equal(status.history, 1);
    assert.equal(status.replicas, 1);
    await leases.close();
    assert.equal(nc.isClosed(), false, "a connection passed in stays open");
  });

  test("a bucket made with another max_age is a NatsLeaseEngineError", async () => {
    const nc = await first;
    const leases = natsLeaseEngine({ connection: nc, bucket, ttlMs: 5_000 });
    const expected = {
      name: "NatsLeaseEngineError",
      code: "CA_ERR_NATS_LEASE_BUCKET",
      message:
        `Cannot open lease bucket ${bucket}: its max_age is ${TTL_MS} ms, ttlMs is 5000`,
    };
    await assert.rejects(leases.list(""), expected);
    await assert.rejects(leases.acquire("host/a", "host-a", "{}"), expected);
    await leases.close();
  });

  test("leases are readable as KV keys: a name's / parts are the key's tokens", async () => {
    const nc = await second;
    const leases = natsLeaseEngine({ connection: nc, bucket, ttlMs: TTL_MS });
    const prefix = uniquePrefix("keys");
    const lease = await leases.acquire(`${prefix}a.b#c`, "host-a", '{"x":1}');
    assert.ok(lease !== undefined);
    const kv = await new Kvm(nc).open(bucket);
    const key = `${prefix.replaceAll("/", ".")}a=2Eb=23c`;
    const entry = await kv.get(key);
    assert.deepEqual(entry?.json(), { holder: "host-a", data: '{"x":1}' });
    await leases.close();
  });

  test("a URL opens a connection of its own, which close() closes", async () => {
    await first;
    const leases = natsLeaseEngine({ url, bucket, ttlMs: TTL_MS });
    const name = `${uniquePrefix("url")}orders`;
    const lease = await leases.acquire(name, "host-a", "{}");
    assert.ok(lease !== undefined);
    await leases.release(lease);
    await leases.close();
    await assert.rejects(leases.list(""), /the lease engine is closed/);
  });

  test("an unreachable server is a NatsConnectError", async () => {
    const leases = natsLeaseEngine({
      url: "nats://127.0.0.1:1",
      connectOptions: { maxReconnectAttempts: 0, timeout: 1_000 },
      bucket,
    });
    await assert.rejects(leases.list(""), {
      name: "NatsConnectError",
      code: "CA_ERR_NATS_CONNECT",
    });
    await leases.close();
  });

  test("bad options are TypeError or RangeError", () => {
    assert.throws(() => natsLeaseEngine({ bucket: "a.b" }), TypeError);
    assert.throws(() => natsLeaseEngine({ bucket: "" }), TypeError);
    assert.throws(() => natsLeaseEngine({ ttlMs: 0 }), RangeError);
    assert.throws(() => natsLeaseEngine({ replicas: 0 }), RangeError);
    assert.throws(() => natsLeaseEngine({ replicas: 1.5 }), RangeError);
    assert.throws(
      () => natsLeaseEngine({ connection: {} as never }),
      TypeError,
    );
  });
});
