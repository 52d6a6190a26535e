// Copyright 2026 the @ca/streams authors. MIT license.

// natsKvStore(): the conformance suite and NATS KV specifics, against the
// server at CA_TEST_NATS_URL (default nats://127.0.0.1:4222, with
// JetStream). A missing server fails every test with how to start one.
// The bucket is named for the run and removed afterwards. Runs on Deno and
// Node.

import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import process from "node:process";
import { after, describe, test } from "node:test";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import type { CheckpointStore } from "@ca/streams";
import { natsKvStore } from "@ca/streams/nats";
import {
  assertFenced,
  checkpointStoreConformance,
  uniqueId,
} from "./conformance.ts";

const URL_VARIABLE = "CA_TEST_NATS_URL";
const url = process.env[URL_VARIABLE] ?? "nats://127.0.0.1:4222";
const HOW_TO_START =
  "nats-server --jetstream --addr 127.0.0.1 --port 4222 --store_dir /tmp/nats &";

const connected = connect({ servers: url, maxReconnectAttempts: -1 }).then(
  (nc) => nc,
  (error) => {
    throw new Error(
      `Cannot reach NATS at ${url} (${
        error?.message ?? error
      }): start it with \`${HOW_TO_START}\`, or point ${URL_VARIABLE} at one`,
    );
  },
);
connected.catch(() => {}); // every test awaits it and fails with the message

const bucket = `ca_test_${uniqueId("run")}`;
/** Buckets to remove after the run: this run's, and the default one if a test made it. */
const buckets = [bucket];

after(async () => {
  const nc = await connected.catch(() => undefined);
  if (nc === undefined) return;
  const jsm = await jetstreamManager(nc);
  for (const name of buckets) {
    await jsm.streams.delete(`KV_${name}`).catch(() => {});
  }
  await nc.close();
});

checkpointStoreConformance(
  "natsKvStore()",
  async () => natsKvStore({ connection: await connected, bucket }),
);

/**
 * The keys the store keeps `id` under: `c_` (the checkpoint) and `g_` (the
 * generation counter) before the base64url of the UTF-8 bytes.
 */
function keysOf(id: string): { checkpoint: string; ticket: string } {
  const bytes = new TextEncoder().encode(id);
  const encoded = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-")
    .replaceAll("/", "_").replace(/=+$/, "");
  return { checkpoint: `c_${encoded}`, ticket: `g_${encoded}` };
}

/** The values of both keys of `id`, as text. */
async function rawValues(
  nc: NatsConnection,
  name: string,
  id: string,
): Promise<{ checkpoint?: string; ticket?: string }> {
  const kv = await new Kvm(nc).open(name);
  const { checkpoint, ticket } = keysOf(id);
  return {
    checkpoint: (await kv.get(checkpoint))?.string(),
    ticket: (await kv.get(ticket))?.string(),
  };
}

describe("natsKvStore() in NATS", () => {
  test("an id is two keys: c_<base64url> with the sealing generation and JSON position, g_<base64url> with the generations handed out", async () => {
    const nc = await connected;
    const store = natsKvStore({ connection: nc, bucket });
    const id = `${uniqueId("layout")}/ü.*>`;
    const { generation } = await store.acquire(id);
    await store.commit(id, { offset: 3 }, generation);
    assert.deepEqual(await rawValues(nc, bucket, id), {
      checkpoint: '{"generation":1,"position":{"offset":3}}',
      ticket: '{"generation":1}',
    });
    await store.delete(id);
    assert.deepEqual(await rawValues(nc, bucket, id), {
      checkpoint: '{"generation":2}',
      ticket: '{"generation":2,"cleared":2}',
    });
  });

  test("the default bucket is ca_checkpoints, created with one replica when missing", async () => {
    const nc = await connected;
    const jsm = await jetstreamManager(nc);
    const existed = await jsm.streams.info("KV_ca_checkpoints").then(
      () => true,
      () => false,
    );
    if (!existed) buckets.push("ca_checkpoints");
    const id = uniqueId("default-bucket");
    await natsKvStore({ connection: nc }).acquire(id);
    try {
      assert.deepEqual(await rawValues(nc, "ca_checkpoints", id), {
        checkpoint: '{"generation":1}',
        ticket: '{"generation":1}',
      });
      const { config } = await jsm.streams.info("KV_ca_checkpoints");
      assert.equal(config.num_replicas, 1);
      assert.equal(config.max_msgs_per_subject, 1);
    } finally {
      const kv = await new Kvm(nc).open("ca_checkpoints");
      await kv.purge(keysOf(id).checkpoint);
      await kv.purge(keysOf(id).ticket);
    }
  });

  test("a commit racing acquire() from another process lands before it or is fenced", async () => {
    const nc = await connected;
    const other = await connect({ servers: url });
    try {
      const a = natsKvStore({ connection: nc, bucket });
      const b = natsKvStore({ connection: other, bucket });
      for (let round = 0; round < 20; round++) {
        const id = uniqueId("commit-vs-acquire");
        const { generation } = await a.acquire(id);
        let lastCommitted: number | undefined;
        const committing = (async () => {
          for (let n = 1;; n++) {
            try {
              await a.commit(id, n, generation);
            } catch (error) {
              assert.equal((error as { code?: string }).code, "CA_ERR_FENCED");
              return;
            }
            lastCommitted = n;
          }
        })();
        // Let some commits land, then take over from the other connection.
        await new Promise((resolve) => setTimeout(resolve, round % 5));
        const taken = await b.acquire(id);
        await committing;
        assert.equal(taken.generation, generation + 1);
        // What acquire() returned is the last commit that succeeded: no
        // commit of the old generation landed after it.
        assert.equal(taken.position, lastCommitted);
        assert.deepEqual(await b.get(id), {
          position: lastCommitted,
          generation: generation + 1,
        });
      }
    } finally {
      await other.close();
    }
  });

  test("a delete() cut off before it cleared the checkpoint still forgets the position at the next acquire()", async () => {
    const nc = await connected;
    const store = natsKvStore({ connection: nc, bucket });
    const id = uniqueId("half-delete");
    const { generation } = await store.acquire(id);
    await store.commit(id, "kept?", generation);
    // What a delete() leaves when its process dies after taking its
    // generation: the counter moved on, the checkpoint not yet.
    const kv = await new Kvm(nc).open(bucket);
    const ticket = await kv.get(keysOf(id).ticket);
    await kv.update(
      keysOf(id).ticket,
      `{"generation":${generation + 1},"cleared":${generation + 1}}`,
      ticket!.revision,
    );
    assert.deepEqual(await store.acquire(id), {
      position: undefined,
      generation: generation + 2,
    });
  });

  test("once a newer generation is taken, the older instance's commits are fenced before it seals the checkpoint", async () => {
    const nc = await connected;
    const store = natsKvStore({ connection: nc, bucket });
    const id = uniqueId("taken");
    const { generation } = await store.acquire(id);
    await store.commit(id, 1, generation);
    // A newer instance took the next generation and has not sealed yet.
    const kv = await new Kvm(nc).open(bucket);
    const ticket = await kv.get(keysOf(id).ticket);
    await kv.update(
      keysOf(id).ticket,
      `{"generation":${generation + 1}}`,
      ticket!.revision,
    );
    // The commit under way when it did may still land; the next is fenced.
    const first = await store.commit(id, 2, generation).then(
      () => 2,
      (error) => {
        assert.equal(error.code, "CA_ERR_FENCED");
        return 1;
      },
    );
    await assertFenced(store.commit(id, 3, generation), {
      id,
      generation,
      currentGeneration: generation + 1,
    });
    assert.equal((await store.get(id)).position, first);
  });

  test("a servers URL gives the store its own connection, closed by close(); a given connection stays open", async () => {
    const nc = await connected;
    const own = natsKvStore({ url, bucket });
    const id = uniqueId("owned");
    const { generation } = await own.acquire(id);
    await own.commit(id, [1], generation);
    assert.deepEqual(await natsKvStore({ connection: nc, bucket }).get(id), {
      position: [1],
      generation,
    });
    await own.close!();
    await assert.rejects(own.get(id), /the store is closed/);

    const given = await connect({ servers: url });
    const borrowing = natsKvStore({ connection: given, bucket });
    await borrowing.get(id);
    await borrowing.close!();
    assert.equal(given.isClosed(), false);
    await given.close();
  });

  test("a URL nobody listens on fails the call with CA_ERR_NATS_CONNECT, not the process", async () => {
    const store = natsKvStore({
      url: "nats://127.0.0.1:1",
      connectOptions: { maxReconnectAttempts: 0 },
      bucket,
    });
    await assert.rejects(
      store.get("x"),
      (error: Error & { code?: string }) =>
        error.code === "CA_ERR_NATS_CONNECT" &&
        /^Cannot connect the nats-kv checkpoint store to nats:\/\/127\.0\.0\.1:1/
          .test(error.message),
    );
    await store.close!();
  });

  test("a signal gives up a call still waiting on the server", async () => {
    // A server that accepts connections and never says a word.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) =>
      silent.listen(0, "127.0.0.1", resolve)
    );
    const { port } = silent.address() as { port: number };
    let store: CheckpointStore | undefined;
    try {
      store = natsKvStore({
        url: `nats://127.0.0.1:${port}`,
        connectOptions: { timeout: 2_000, maxReconnectAttempts: 0 },
        bucket,
      });
      const controller = new AbortController();
      const reason = new Error("given up");
      const pending = store.acquire("orders", { signal: controller.signal });
      setTimeout(() => controller.abort(reason), 100);
      await assert.rejects(pending, (error) => error === reason);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
      await store?.close?.().catch(() => {});
    }
  });

  test("a value that is not a checkpoint is reported", async () => {
    const nc = await connected;
    const id = uniqueId("foreign");
    const kv = await new Kvm(nc).open(bucket);
    await kv.put(keysOf(id).checkpoint, "not a checkpoint");
    await assert.rejects(
      natsKvStore({ connection: nc, bucket }).acquire(id),
      (error: Error) =>
        error instanceof TypeError && /holds no checkpoint/.test(error.message),
    );
  });

  test("bad arguments are TypeError or RangeError", () => {
    assert.throws(() => natsKvStore({ bucket: "a.b" }), TypeError);
    assert.throws(() => natsKvStore({ bucket: "" }), TypeError);
    assert.throws(() => natsKvStore({ connection: {} as never }), TypeError);
    assert.throws(() => natsKvStore({ replicas: 0 }), RangeError);
    assert.throws(() => natsKvStore({ replicas: 1.5 }), RangeError);
  });
});
