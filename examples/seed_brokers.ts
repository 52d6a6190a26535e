// Prepares the brokers for the two broker examples and puts messages in
// front of them, with the official clients (the package's own optional
// peers), so that `npm run ca -- run examples/<name>.yaml` has work to do:
//
//   node_modules/.bin/deno run -A examples/seed_brokers.ts redis-to-nats [count]
//     creates the JetStream stream ORDERS (subject orders.created) when missing
//     and appends `count` orders (default 1000) to the Redis stream `orders`;
//
//   node_modules/.bin/deno run -A examples/seed_brokers.ts mqtt-to-amqp [count]
//     declares the RabbitMQ queue `sensor-readings`, opens the persistent
//     MQTT session `ca-mqtt-to-amqp` subscribed to `sensors/#` (so that
//     Mosquitto keeps what is published while the pipeline is not running),
//     then publishes `count` readings (default 500) at QoS 1.
//
// Servers at their default localhost ports; REDIS_URL, NATS_URL, MQTT_URL
// and AMQP_URL point elsewhere, and REDIS_STREAM, NATS_STREAM,
// NATS_SUBJECT, MQTT_CLIENT_ID, MQTT_TOPICS and AMQP_QUEUE rename what is
// used: the example configs read the same variables.
// Mosquitto keeps at most `max_queued_messages` (1000 by default) for an
// offline session: seed fewer than that for mqtt-to-amqp, or run the
// pipeline first.

import process from "node:process";

const env = (name: string, fallback: string) => process.env[name] || fallback;
const REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379");
const NATS_URL = env("NATS_URL", "nats://127.0.0.1:4222");
const MQTT_URL = env("MQTT_URL", "mqtt://127.0.0.1:1883");
const AMQP_URL = env("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672");
const REDIS_STREAM = env("REDIS_STREAM", "orders");
const NATS_STREAM = env("NATS_STREAM", "ORDERS");
const NATS_SUBJECT = env("NATS_SUBJECT", "orders.created");
const MQTT_CLIENT_ID = env("MQTT_CLIENT_ID", "ca-mqtt-to-amqp");
const MQTT_TOPICS = env("MQTT_TOPICS", "sensors");
const AMQP_QUEUE = env("AMQP_QUEUE", "sensor-readings");

const [example, countText] = process.argv.slice(2);
const count = Number(countText ?? (example === "mqtt-to-amqp" ? 500 : 1000));
if (!Number.isSafeInteger(count) || count < 0) {
  throw new RangeError(
    `Cannot seed: count must be a whole number, got ${countText}`,
  );
}

if (example === "redis-to-nats") await redisToNats();
else if (example === "mqtt-to-amqp") await mqttToAmqp();
else {
  console.error(
    "usage: seed_brokers.ts redis-to-nats|mqtt-to-amqp [count]",
  );
  process.exit(2);
}

async function redisToNats(): Promise<void> {
  const { connect } = await import("@nats-io/transport-node");
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  const exists = await jsm.streams.info(NATS_STREAM).then(
    () => true,
    () => false,
  );
  if (!exists) {
    await jsm.streams.add({ name: NATS_STREAM, subjects: [NATS_SUBJECT] });
  }
  await nc.close();

  const { createClient } = await import("redis");
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  const statuses = ["paid", "open", "refunded"];
  // One pipelined round trip per thousand orders.
  for (let from = 0; from < count; from += 1000) {
    const multi = redis.multi();
    for (let id = from; id < Math.min(count, from + 1000); id++) {
      const order = {
        id,
        status: statuses[id % statuses.length],
        total: Math.round(id * 7.3 % 500 * 100) / 100,
      };
      multi.xAdd(REDIS_STREAM, "*", { value: JSON.stringify(order) });
    }
    await multi.execAsPipeline();
  }
  const length = await redis.xLen(REDIS_STREAM);
  await redis.quit();
  console.log(
    `seeded ${count} orders into the Redis stream "${REDIS_STREAM}" (${length} entries in all); JetStream stream ${NATS_STREAM} ${
      exists ? "was there" : "created"
    }`,
  );
}

async function mqttToAmqp(): Promise<void> {
  const { connect } = await import("amqplib");
  const amqp = await connect(AMQP_URL);
  const channel = await amqp.createChannel();
  await channel.assertQueue(AMQP_QUEUE, { durable: true });
  await amqp.close();

  const mqtt = await import("mqtt");
  // The pipeline's own session, created now so that the broker queues
  // what is published before the pipeline first runs.
  const session = await mqtt.connectAsync(MQTT_URL, {
    clientId: MQTT_CLIENT_ID,
    clean: false,
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 0xFFFFFFFF }, // as mqtt-source asks
  });
  await session.subscribeAsync(`${MQTT_TOPICS}/#`, { qos: 1 });
  await session.endAsync();

  const publisher = await mqtt.connectAsync(MQTT_URL, { clean: true });
  const sends: Promise<unknown>[] = [];
  for (let id = 0; id < count; id++) {
    const reading = { id, sensor: `s-${id % 4}`, celsius: 18 + id % 9 };
    sends.push(
      publisher.publishAsync(
        `${MQTT_TOPICS}/${reading.sensor}`,
        JSON.stringify(reading),
        { qos: 1 },
      ),
    );
  }
  await Promise.all(sends);
  await publisher.endAsync();
  console.log(
    `seeded ${count} readings on ${MQTT_TOPICS}/# for the MQTT session "${MQTT_CLIENT_ID}"; RabbitMQ queue "${AMQP_QUEUE}" declared`,
  );
}
