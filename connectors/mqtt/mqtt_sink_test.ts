// Copyright 2026 the @ca/streams authors. MIT license.
// mqttSink() against Mosquitto: QoS 1 publishes done on PUBACK, topics,
// retain, user properties, encode errors, a cut connection.
import { test } from "node:test";
import assert from "node:assert/strict";
import type mqtt from "mqtt";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { MessageError } from "../../src/messages/message_error.ts";
import { MqttError, mqttSink } from "./mod.ts";
import { BROKER_URL, rawClient, tcpProxy, unique } from "./_mqtt_testing.ts";

interface Received {
  topic: string;
  text: string;
  retain: boolean;
  properties?: Record<string, string | string[]>;
}

/** Subscribes (QoS 1) and collects what arrives. */
async function listen(filter: string): Promise<{
  received: Received[];
  client: mqtt.MqttClient;
}> {
  const client = await rawClient();
  const received: Received[] = [];
  client.on("message", (topic, payload, packet) => {
    received.push({
      topic,
      text: new TextDecoder().decode(payload),
      retain: packet.retain,
      properties: packet.properties?.userProperties &&
        { ...packet.properties.userProperties },
    });
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return { received, client };
}

async function until(
  check: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test("mqttSink() publishes every record at QoS 1 to its topic, in order", async () => {
  const topic = unique("ca/test");
  const { received, client } = await listen(topic);
  try {
    const records = Array.from({ length: 500 }, (_, id) => ({ id }));
    const summary = await pipeline(
      records,
      mqttSink({ url: BROKER_URL, topic }),
    );
    assert.equal(summary.recordsWritten, 500);
    await until(() => received.length >= 500, "500 messages");
    assert.deepEqual(
      received.map((message) => JSON.parse(message.text).id),
      records.map((record) => record.id),
    );
  } finally {
    await client.endAsync();
  }
});

test("mqttSink() takes the topic from the record, headers as user properties, and retains when asked", async () => {
  const base = unique("ca/test");
  interface Reading {
    sensor: string;
    celsius: number;
    trace: string;
  }
  await pipeline<Reading>(
    [{ sensor: "t1", celsius: 21.5, trace: "a" }, {
      sensor: "t2",
      celsius: 19,
      trace: "b",
    }],
    mqttSink<Reading>({
      url: BROKER_URL,
      topic: `${base}/unknown`,
      topicFrom: (reading) => `${base}/${reading.sensor}`,
      value: "/celsius",
      headers: (reading) => ({ trace: reading.trace }),
      format: "text",
      retain: true,
    }),
  );
  // Subscribing after the publish: the broker hands over the retained ones.
  const { received, client } = await listen(`${base}/#`);
  try {
    await until(() => received.length >= 2, "2 retained messages");
    received.sort((a, b) => a.topic.localeCompare(b.topic));
    assert.deepEqual(received, [
      {
        topic: `${base}/t1`,
        text: "21.5",
        retain: true,
        properties: { trace: "a" },
      },
      {
        topic: `${base}/t2`,
        text: "19",
        retain: true,
        properties: { trace: "b" },
      },
    ]);
    // Clear the retained messages.
    for (const topic of [`${base}/t1`, `${base}/t2`]) {
      await client.publishAsync(topic, "", { qos: 1, retain: true });
    }
  } finally {
    await client.endAsync();
  }
});

test("mqttSink() encodes the whole batch first: a record JSON cannot hold sends nothing", async () => {
  const topic = unique("ca/test");
  const { received, client } = await listen(topic);
  try {
    const sink = mqttSink<{ id: number; big?: bigint }>({
      url: BROKER_URL,
      topic,
    });
    const writer = sink.getWriter();
    // Used alone a batch sink writes one record at a time: write through
    // its batch callbacks, as pipeline() does.
    const underlying = (sink as unknown as Record<symbol, {
      write(
        records: unknown[],
        context: { signal: AbortSignal; defer(): () => void },
      ): Promise<void>;
      close(): Promise<void>;
    }>)[Symbol.for("@ca/streams/batch-sink")]!;
    writer.releaseLock();
    const context = {
      signal: new AbortController().signal,
      defer: () => () => {},
    };
    await assert.rejects(
      underlying.write([{ id: 1 }, { id: 2, big: 1n }], context),
      (error) =>
        error instanceof MessageError && error.connector === "mqtt-sink",
    );
    await underlying.write([{ id: 3 }], context);
    await underlying.close();
    await until(() => received.length >= 1, "the good record");
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(received.map((message) => message.text), ['{"id":3}']);
  } finally {
    await client.endAsync();
  }
});

test("mqttSink() survives a cut connection: every record arrives, the pipeline finishes", async () => {
  const topic = unique("ca/test");
  const { received, client } = await listen(topic);
  const proxy = await tcpProxy();
  try {
    let n = 0;
    const records = new ReadableStream<{ id: number }>({
      async pull(controller) {
        if (n === 2000) return controller.close();
        if (n === 700 || n === 1400) {
          proxy.cut();
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        controller.enqueue({ id: n++ });
      },
    });
    const running = pipeline(
      records,
      mqttSink({
        url: proxy.url,
        topic,
        clientOptions: { reconnectPeriod: 100 },
      }),
      { batchSize: 100 },
    );
    const states = new Set<string>();
    const watching = setInterval(() => {
      const health = Object.values(running.health.sinks)[0];
      if (health) states.add(health.state);
    }, 1);
    const summary = await running.finally(() => clearInterval(watching));
    assert.equal(summary.recordsWritten, 2000);
    assert.ok(states.has("connected"), `health went ${[...states]}`);
    assert.ok(proxy.accepted >= 2, `only ${proxy.accepted} connections`);
    await until(
      () => new Set(received.map((m) => m.text)).size >= 2000,
      "all 2000 records",
    );
  } finally {
    await proxy.close();
    await client.endAsync();
  }
});

test("mqttSink() publishes on a ready client and leaves it open", async () => {
  const topic = unique("ca/test");
  const { received, client } = await listen(topic);
  try {
    await pipeline([{ n: 1 }, { n: 2 }], mqttSink({ client, topic }));
    assert.equal(client.connected, true);
    await until(() => received.length >= 2, "2 messages");
  } finally {
    await client.endAsync();
  }
});

test("mqttSink() at an unreachable broker fails with an MqttError naming it, password redacted", async () => {
  const error = await pipeline(
    [1],
    mqttSink({
      url: "mqtt://ingest:secret@127.0.0.1:1",
      topic: "t",
      connectTimeoutMs: 2000,
    }),
  ).then(() => undefined, (error) => error);
  const cause = (error as { cause?: unknown }).cause ?? error;
  assert.ok(cause instanceof MqttError, `got ${error}`);
  assert.match(cause.message, /mqtt-sink/);
  assert.match(cause.message, /ingest:\*\*\*@127\.0\.0\.1:1/);
  assert.doesNotMatch(cause.message, /secret/);
});

test("mqttSink() checks its options", () => {
  assert.throws(() => mqttSink({ topic: "t" }), /either url/);
  assert.throws(
    () => mqttSink({ url: BROKER_URL }),
    /give topic \(a fixed topic\) or topicFrom/,
  );
  assert.throws(
    () => mqttSink({ url: BROKER_URL, topic: "a/#" }),
    /wildcards/,
  );
  assert.throws(
    () => mqttSink({ url: BROKER_URL, topic: "t", topicFrom: "topic" }),
    /JSON pointer/,
  );
});
