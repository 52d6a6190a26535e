// Copyright 2026 the @ca/streams authors. MIT license.

// redisStore(): the conformance suite and Redis specifics, against the
// server at CA_TEST_REDIS_URL (default redis://127.0.0.1:6379). A missing
// server fails every test with how to start one. Keys use a prefix unique
// to the run and are removed afterwards. Runs on Deno and Node.

import assert from "node:assert/strict";
import process from "node:process";
import { after, describe, test } from "node:test";
import { createClient } from "redis";
import { redisStore } from "@ca/streams/redis";
import { checkpointStoreConformance, uniqueId } from "./conformance.ts";

const URL_VARIABLE = "CA_TEST_REDIS_URL";
const url = process.env[URL_VARIABLE] ?? "redis://127.0.0.1:6379";
const HOW_TO_START =
  `redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log`;

const client = createClient({
  url,
  socket: { reconnectStrategy: false, connectTimeout: 3_000 },
});
client.on("error", () => {}); // reported by connect() and by each command
const connected = client.connect().then(
  () => client,
  (error) => {
    throw new Error(
      `Cannot reach Redis at ${url} (${
        error?.message ?? error
      }): start it with \`${HOW_TO_START}\`, or point ${URL_VARIABLE} at one`,
    );
  },
);
connected.catch(() => {}); // every test awaits it and fails with the message

const prefix = `ca-test:${uniqueId("run")}:`;

after(async () => {
  const ready = await connected.catch(() => undefined);
  if (ready === undefined) return;
  for await (
    const keys of ready.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })
  ) {
    if (keys.length > 0) await ready.unlink(keys);
  }
  await ready.close();
});

checkpointStoreConformance(
  "redisStore()",
  async () => redisStore(await connected, { prefix }),
);

describe("redisStore() in Redis", () => {
  test("an id is a hash at prefix + id with generation and JSON position", async () => {
    const redis = await connected;
    const store = redisStore(redis, { prefix });
    const id = uniqueId("layout");
    const { generation } = await store.acquire(id);
    await store.commit(id, { offset: 3 }, generation);
    assert.deepEqual(
      { ...await redis.hGetAll(prefix + id) },
      { generation: "1", position: '{"offset":3}' },
    );
  });

  test("the default prefix is ca:checkpoint:", async () => {
    const redis = await connected;
    const id = uniqueId("default-prefix");
    await redisStore(redis).acquire(id);
    try {
      assert.equal(await redis.hGet(`ca:checkpoint:${id}`, "generation"), "1");
    } finally {
      await redis.unlink(`ca:checkpoint:${id}`);
    }
  });

  test("scripts run again after SCRIPT FLUSH (EVALSHA falls back to EVAL)", async () => {
    const redis = await connected;
    const store = redisStore(redis, { prefix });
    const id = uniqueId("flush");
    const first = await store.acquire(id);
    await redis.scriptFlush();
    const second = await store.acquire(id);
    assert.equal(second.generation, first.generation + 1);
    await store.commit(id, "ok", second.generation);
    await redis.scriptFlush();
    await store.delete(id);
    assert.deepEqual(await store.get(id), {
      position: undefined,
      generation: second.generation + 1,
    });
  });

  test("a redis:// URL gives the store its own connection, closed by close()", async () => {
    const redis = await connected;
    const before = Number(
      /connected_clients:(\d+)/.exec(await redis.info("clients"))![1],
    );
    const store = redisStore(url, { prefix });
    const id = uniqueId("owned");
    const { generation } = await store.acquire(id);
    await store.commit(id, [1], generation);
    assert.deepEqual(await redisStore(redis, { prefix }).get(id), {
      position: [1],
      generation,
    });
    await store.close!();
    await assert.rejects(store.get(id), /the store is closed/);
    // The server notices the closed connection shortly after.
    let after = before + 1;
    for (let i = 0; i < 50 && after > before; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      after = Number(
        /connected_clients:(\d+)/.exec(await redis.info("clients"))![1],
      );
    }
    assert.ok(after <= before, `connections: ${before} before, ${after} after`);
  });

  test("a URL nobody listens on fails the call, not the process", async () => {
    const store = redisStore("redis://127.0.0.1:1", { prefix });
    await assert.rejects(store.get("x"), /ECONNREFUSED|connect/i);
    await store.close!();
  });

  test("a value that is not a checkpoint hash is reported", async () => {
    const redis = await connected;
    const id = uniqueId("foreign");
    await redis.set(prefix + id, "not a hash");
    await assert.rejects(
      redisStore(redis, { prefix }).acquire(id),
      /WRONGTYPE/,
    );
  });

  test("bad arguments are TypeError", () => {
    assert.throws(() => redisStore({} as never), TypeError);
  });
});
