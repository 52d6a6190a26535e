// Copyright 2026 the @ca/streams authors. MIT license.
// The broker examples as a user runs them: examples/seed_brokers.ts, then
// `ca run examples/redis-to-nats.yaml` and `ca run examples/mqtt-to-amqp.yaml`
// (ca on Deno, and on Node 24), against the machine's Redis, NATS,
// Mosquitto and RabbitMQ, with names of the test's own (the variables the
// examples read). What arrived is read back with the official clients; a
// second seed and run moves only the new messages (the servers keep the
// sources' positions). Deno only: it drives both runtimes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { connect as natsConnect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { createClient } from "redis";
import { connect as amqpConnect } from "amqplib";
import mqtt from "mqtt";

const ROOT = new URL("../../", import.meta.url);
const path = (relative: string) =>
  decodeURIComponent(new URL(relative, ROOT).pathname);
const DENO = path("node_modules/.bin/deno");
const NODE24 = path("node_modules/node24/bin/node");
const CA = path("connectors/cli/ca.ts");
const SEED = path("examples/seed_brokers.ts");

const REDIS_URL = Deno.env.get("CA_TEST_REDIS_URL") ??
  "redis://127.0.0.1:6379";
const NATS_URL = Deno.env.get("CA_TEST_NATS_URL") ?? "nats://127.0.0.1:4222";
const MQTT_URL = Deno.env.get("CA_TEST_MQTT_URL") ?? "mqtt://127.0.0.1:1883";
const AMQP_URL = Deno.env.get("CA_TEST_AMQP_URL") ??
  "amqp://guest:guest@127.0.0.1:5672";

async function run(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(command, {
    args,
    env: { CA_DENO: DENO, CA_NODE: NODE24, ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const output = await child.output();
  clearTimeout(timer);
  const text = new TextDecoder();
  return {
    code: output.code,
    stdout: text.decode(output.stdout),
    stderr: text.decode(output.stderr),
  };
}

function seed(example: string, count: number, env: Record<string, string>) {
  return run(DENO, ["run", "-A", SEED, example, String(count)], env);
}

function ca(
  runtime: "deno" | "node",
  config: string,
  env: Record<string, string>,
) {
  return runtime === "deno"
    ? run(DENO, ["run", "-A", CA, "run", path(config)], env)
    : run(NODE24, [CA, "run", path(config)], env);
}

for (const runtime of ["deno", "node"] as const) {
  test(`examples/redis-to-nats.yaml (ca on ${runtime}): seeded orders reach JetStream once, with the Redis entry id as Nats-Msg-Id; a second run moves only the new ones`, async () => {
    const tag = `${runtime}${Date.now().toString(36)}`;
    const env = {
      REDIS_URL,
      NATS_URL,
      REDIS_STREAM: `ex-orders-${tag}`,
      NATS_STREAM: `EXORDERS_${tag}`,
      NATS_SUBJECT: `exorders.${tag}.created`,
    };
    const redis = createClient({ url: REDIS_URL });
    redis.on("error", () => {});
    await redis.connect();
    const nc = await natsConnect({ servers: NATS_URL });
    const jsm = await jetstreamManager(nc);
    try {
      const seeded = await seed("redis-to-nats", 1000, env);
      assert.equal(seeded.code, 0, seeded.stderr);
      const first = await ca(runtime, "examples/redis-to-nats.yaml", {
        ...env,
        RECORDS: "1000",
      });
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, /1,000 records read, 1,000 written/);

      const more = await seed("redis-to-nats", 300, env);
      assert.equal(more.code, 0, more.stderr);
      const second = await ca(runtime, "examples/redis-to-nats.yaml", {
        ...env,
        RECORDS: "300",
      });
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stderr, /300 records read, 300 written/);

      const entries = await redis.xRange(env.REDIS_STREAM, "-", "+") ?? [];
      assert.equal(entries.length, 1300);
      const { state } = await jsm.streams.info(env.NATS_STREAM);
      assert.equal(state.messages, 1300, "every order once in JetStream");
      const got: { id: number; msgId: string | undefined }[] = [];
      for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
        const message = await jsm.streams.getMessage(env.NATS_STREAM, {
          seq,
        });
        assert.ok(message, `message ${seq} of the stream`);
        assert.equal(message.subject, env.NATS_SUBJECT);
        got.push({
          id: (message.json() as { id: number }).id,
          msgId: message.header?.get("Nats-Msg-Id"),
        });
      }
      // Two seeds of ids 0.. each, in the order Redis holds them.
      const want = entries.map((entry) => ({
        id: (JSON.parse(entry.message.value!) as { id: number }).id,
        msgId: entry.id,
      }));
      assert.deepEqual(got, want);
      const pending = await redis.xPending(env.REDIS_STREAM, "to-nats");
      assert.equal(pending.pending, 0, "every entry acknowledged");
    } finally {
      await redis.del(env.REDIS_STREAM);
      await redis.quit();
      await jsm.streams.delete(env.NATS_STREAM).catch(() => {});
      await nc.close();
    }
  });

  test(`examples/mqtt-to-amqp.yaml (ca on ${runtime}): seeded readings reach the RabbitMQ queue once; a second run moves only the new ones`, async () => {
    const tag = `${runtime}${Date.now().toString(36)}`;
    const env = {
      MQTT_URL,
      AMQP_URL,
      MQTT_CLIENT_ID: `ex-${tag}`,
      MQTT_TOPICS: `exsensors-${tag}`,
      AMQP_QUEUE: `ex-readings-${tag}`,
    };
    const amqp = await amqpConnect(AMQP_URL);
    const channel = await amqp.createChannel();
    try {
      const seeded = await seed("mqtt-to-amqp", 500, env);
      assert.equal(seeded.code, 0, seeded.stderr);
      const first = await ca(runtime, "examples/mqtt-to-amqp.yaml", {
        ...env,
        RECORDS: "500",
      });
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, /500 records read, 500 written/);

      const more = await seed("mqtt-to-amqp", 200, env);
      assert.equal(more.code, 0, more.stderr);
      const second = await ca(runtime, "examples/mqtt-to-amqp.yaml", {
        ...env,
        RECORDS: "200",
      });
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stderr, /200 records read, 200 written/);

      const readings: { id: number; sensor: string }[] = [];
      for (;;) {
        const message = await channel.get(env.AMQP_QUEUE, { noAck: true });
        if (!message) break;
        assert.equal(message.properties.deliveryMode, 2, "persistent");
        readings.push(JSON.parse(message.content.toString()));
      }
      assert.equal(readings.length, 700, "every reading once in the queue");
      // MQTT keeps order per topic (one per sensor): check each.
      for (const sensor of ["s-0", "s-1", "s-2", "s-3"]) {
        const ids = readings.filter((r) => r.sensor === sensor).map((r) =>
          r.id
        );
        const want = [
          ...Array.from({ length: 500 }, (_, i) => i),
          ...Array.from({ length: 200 }, (_, i) => i),
        ].filter((id) => `s-${id % 4}` === sensor);
        assert.deepEqual(ids, want, `readings of ${sensor}, in order`);
      }
    } finally {
      await channel.deleteQueue(env.AMQP_QUEUE).catch(() => {});
      await amqp.close();
      // Ends the persistent session the example used.
      const session = await mqtt.connectAsync(MQTT_URL, {
        clientId: env.MQTT_CLIENT_ID,
        clean: true,
        protocolVersion: 4,
      });
      await session.endAsync();
    }
  });
}
