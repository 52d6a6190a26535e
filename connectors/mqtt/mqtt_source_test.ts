// Copyright 2026 the @ca/streams authors. MIT license.
// mqttSource() against Mosquitto: records, PUBACK only after store, a cut
// connection, undecodable messages, an offline session over 1000 messages.
import { test } from "node:test";
import assert from "node:assert/strict";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { batchSink } from "../../src/sinks/batch_sink.ts";
import { collect } from "../../src/sinks/collect.ts";
import type { DeadLetter } from "../../src/failures/dead_letter.ts";
import type { Message } from "../../src/messages/message.ts";
import { map } from "../../src/processors/map.ts";
import { MessageError } from "../../src/messages/message_error.ts";
import { MqttError, mqttSource } from "./mod.ts";
import {
  BROKER_URL,
  createSession,
  dropSession,
  privateBroker,
  publish,
  rawClient,
  tcpProxy,
  unique,
} from "./_mqtt_testing.ts";

const ids = (records: readonly Message[]) =>
  records.map((record) => (record.value as { id: number }).id);

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

const numbered = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => JSON.stringify({ id: from + i }));

test("mqttSource() yields Messages with topic and MQTT 5 user properties as headers", async () => {
  const clientId = unique("ca-src");
  const base = unique("ca/test");
  await createSession(clientId, `${base}/#`);
  try {
    const client = await rawClient();
    await client.publishAsync(`${base}/a`, '{"id":1}', {
      qos: 1,
      properties: { userProperties: { trace: "t-1" } },
    });
    await client.publishAsync(`${base}/b`, '{"id":2}', { qos: 1 });
    await client.endAsync();
    const sink = collect<Message>();
    const running = pipeline(
      mqttSource({ url: BROKER_URL, topic: `${base}/#`, clientId }),
      sink,
    );
    await until(() => sink.records.length >= 2, "2 messages");
    await running.stop();
    assert.deepEqual(sink.records, [
      { value: { id: 1 }, topic: `${base}/a`, headers: { trace: "t-1" } },
      { value: { id: 2 }, topic: `${base}/b` },
    ]);
  } finally {
    await dropSession(clientId);
  }
});

test("mqttSource() acknowledges only what was stored: an abort between read and store redelivers to the session", async () => {
  const clientId = unique("ca-src");
  const topic = unique("ca/test");
  await createSession(clientId, topic);
  try {
    await publish(topic, numbered(0, 100));
    // First run: the sink stores the first batch, then hangs on the next.
    const stored: Message[] = [];
    let writes = 0;
    let hung!: () => void;
    const hanging = new Promise<void>((resolve) => hung = resolve);
    const first = pipeline(
      mqttSource({ url: BROKER_URL, topic, clientId, batchSize: 10 }),
      batchSink<Message>({
        async write(records, { signal }) {
          if (++writes === 1) {
            stored.push(...records);
            return;
          }
          hung();
          await new Promise((_, reject) =>
            signal.addEventListener("abort", () => reject(signal.reason))
          );
        },
      }),
    );
    await hanging;
    await first.abort(new Error("crash between read and store"));
    assert.deepEqual(ids(stored), Array.from({ length: 10 }, (_, i) => i));
    // The rerun gets everything not stored, from the session.
    const sink = collect<Message>();
    const second = pipeline(
      mqttSource({ url: BROKER_URL, topic, clientId, batchSize: 10 }),
      sink,
    );
    await until(() => ids(sink.records).includes(99), "message 99");
    await second.stop();
    const again = ids(sink.records);
    for (let id = 10; id < 100; id++) {
      assert.ok(again.includes(id), `message ${id} was lost`);
    }
    // (A record stored just before the abort may come again: at least once.)
    // Everything is acknowledged now: a third run gets nothing old.
    await publish(topic, numbered(100, 101));
    const third = collect<Message>();
    const last = pipeline(
      mqttSource({ url: BROKER_URL, topic, clientId }),
      third,
    );
    await until(() => third.records.length >= 1, "message 100");
    await new Promise((resolve) => setTimeout(resolve, 200));
    await last.stop();
    assert.deepEqual(ids(third.records), [100]);
  } finally {
    await dropSession(clientId);
  }
});

test("mqttSource() reconnects after a cut connection, loses nothing and keeps running", async () => {
  const clientId = unique("ca-src");
  const topic = unique("ca/test");
  await createSession(clientId, topic);
  const proxy = await tcpProxy();
  try {
    const sink = collect<Message>();
    const running = pipeline(
      mqttSource({
        url: proxy.url,
        topic,
        clientId,
        batchSize: 20,
        clientOptions: { reconnectPeriod: 100 },
      }),
      sink,
    );
    await publish(topic, numbered(0, 300));
    await until(() => sink.records.length >= 50, "50 messages");
    const health = () => Object.values(running.health.sources)[0];
    assert.equal(health()?.state, "connected");
    proxy.refuse = true;
    proxy.cut();
    await until(
      () => health()?.state === "reconnecting",
      "health to say reconnecting",
    );
    await publish(topic, numbered(300, 600));
    proxy.refuse = false;
    await until(() => health()?.state === "connected", "connected again");
    await until(() => proxy.accepted >= 2, "a reconnection");
    await until(() => sink.records.length >= 350, "350 messages");
    proxy.cut();
    await publish(topic, numbered(600, 700));
    await until(
      () => new Set(ids(sink.records)).size >= 700,
      "all 700 messages after two cuts",
      20_000,
    );
    assert.equal(running.state, "running");
    assert.ok(proxy.accepted >= 3, `only ${proxy.accepted} connections`);
    await running.stop();
    const got = new Set(ids(sink.records));
    for (let id = 0; id < 700; id++) assert.ok(got.has(id), `lost ${id}`);
  } finally {
    await proxy.close();
    await dropSession(clientId);
  }
});

test("mqttSource() fails with a MessageError on a message that does not decode, and acknowledges nothing after the stored", async () => {
  const clientId = unique("ca-src");
  const topic = unique("ca/test");
  await createSession(clientId, topic);
  try {
    await publish(topic, ['{"id":0}', "not json {", '{"id":2}']);
    const sink = collect<Message>();
    const running = pipeline(
      mqttSource({ url: BROKER_URL, topic, clientId, batchSize: 1 }),
      sink,
    );
    const error = await running.then(() => undefined, (error) => error);
    assert.equal(running.state, "degraded");
    const cause = (error as { cause?: unknown }).cause ?? error;
    assert.ok(cause instanceof MessageError, `got ${error}`);
    assert.equal(cause.connector, "mqtt-source");
    assert.equal(
      new TextDecoder().decode((cause.raw as { payload: Uint8Array }).payload),
      "not json {",
    );
    assert.deepEqual(ids(sink.records), [0]);
    // The bad message is still the session's: read as text, it comes again.
    const text = collect<Message>();
    const again = pipeline(
      mqttSource({ url: BROKER_URL, topic, clientId, format: "text" }),
      text,
    );
    await until(() => text.records.length >= 2, "2 messages");
    await again.stop();
    assert.deepEqual(text.records.map((r) => r.value), [
      "not json {",
      '{"id":2}',
    ]);
  } finally {
    await dropSession(clientId);
  }
});

/** A dead letter sink that keeps what it gets. */
function letterBox(): {
  letters: DeadLetter[];
  sink: WritableStream<DeadLetter>;
} {
  const letters: DeadLetter[] = [];
  return {
    letters,
    sink: new WritableStream({ write: (letter) => void letters.push(letter) }),
  };
}

/** Runs the session again over one new message: the ids it delivers. */
async function rerun(
  clientId: string,
  topic: string,
  id: number,
): Promise<number[]> {
  await publish(topic, numbered(id, id + 1));
  const sink = collect<Message>();
  const running = pipeline(
    mqttSource({ url: BROKER_URL, topic, clientId }),
    sink,
  );
  // An old message that comes again fails this run (it has no dead letter).
  let failure: unknown;
  running.catch((error) => failure = error);
  await until(
    () => failure !== undefined || ids(sink.records).includes(id),
    `message ${id}`,
  );
  if (failure !== undefined) throw failure;
  await running.stop();
  return ids(sink.records);
}

test("mqttSource() with a dead letter gives it a message that does not decode, acknowledges it, and reads on", async () => {
  const clientId = unique("ca-src");
  const topic = unique("ca/test");
  await createSession(clientId, topic);
  try {
    await publish(topic, ['{"id":0}', "not json {", '{"id":2}']);
    const sink = collect<Message>();
    const box = letterBox();
    const running = pipeline(
      mqttSource({ url: BROKER_URL, topic, clientId, batchSize: 1 }),
      sink,
      { deadLetter: box.sink },
    );
    await until(
      () => sink.records.length === 2 && box.letters.length === 1,
      "2 stored and 1 dead letter",
    );
    assert.equal(running.state, "running");
    const summary = await running.stop();
    assert.equal(summary.recordsDeadLettered, 1);
    assert.deepEqual(ids(sink.records), [0, 2]);
    const [letter] = box.letters;
    assert.equal(letter!.stageIndex, -1);
    assert.ok(letter!.error instanceof MessageError);
    assert.equal(letter!.error.connector, "mqtt-source");
    const raw = letter!.record as { topic: string; payload: Uint8Array };
    assert.equal(raw.topic, topic);
    assert.equal(new TextDecoder().decode(raw.payload), "not json {");
    // Acknowledged: the session does not send it again.
    assert.deepEqual(await rerun(clientId, topic, 3), [3]);
  } finally {
    await dropSession(clientId);
  }
});

test("mqttSource() acknowledges a record the pipeline dead-letters like a stored one (MQTT has no reject)", async () => {
  const clientId = unique("ca-src");
  const topic = unique("ca/test");
  await createSession(clientId, topic);
  try {
    await publish(topic, numbered(0, 4));
    const sink = collect<Message>();
    const box = letterBox();
    const running = pipeline(
      mqttSource({ url: BROKER_URL, topic, clientId }),
      map((message: Message) => {
        if ((message.value as { id: number }).id === 1) {
          throw new Error("Cannot take 1");
        }
        return message;
      }),
      sink,
      { deadLetter: box.sink },
    );
    await until(
      () => sink.records.length === 3 && box.letters.length === 1,
      "3 stored and 1 dead letter",
    );
    await running.stop();
    assert.deepEqual(ids(sink.records), [0, 2, 3]);
    assert.deepEqual(ids([box.letters[0]!.record as Message]), [1]);
    assert.deepEqual(await rerun(clientId, topic, 4), [4]);
  } finally {
    await dropSession(clientId);
  }
});

test("mqttSource() reads more than 1000 messages queued for an offline session (private mosquitto, max_queued_messages 0)", async () => {
  const broker = await privateBroker();
  try {
    const clientId = unique("ca-src");
    const topic = unique("ca/test");
    await createSession(clientId, topic, broker.url);
    await publish(topic, numbered(0, 2500), broker.url);
    const sink = collect<Message>();
    const running = pipeline(
      mqttSource({ url: broker.url, topic, clientId, batchSize: 250 }),
      sink,
    );
    await until(() => sink.records.length >= 2500, "2500 messages", 30_000);
    await running.stop();
    assert.deepEqual(
      ids(sink.records),
      Array.from({ length: 2500 }, (_, i) => i),
    );
  } finally {
    await broker.stop();
  }
});

test("mqttSource() holds a broker that ignores Receive Maximum back: while the sink is stalled, the connection is not read past receiveMaximum messages; then all arrive in order", async () => {
  // Mosquitto 2.0.11 lets more than Receive Maximum go unacknowledged once
  // PUBACKs flow (each one releases a window's worth): without a bound the
  // whole 40 MB backlog came in while the sink stalled. The source stops
  // reading the connection while it holds 100 messages not yet taken (TCP
  // then holds the broker back; what the kernel buffers stays), and reads
  // on before the SUBACK came (the backlog comes ahead of it).
  const broker = await privateBroker();
  const proxy = await tcpProxy(broker.url);
  try {
    const clientId = unique("ca-src");
    const topic = unique("ca/test");
    const count = 5000;
    const filler = "x".repeat(8000);
    await createSession(clientId, topic, broker.url);
    await publish(
      topic,
      Array.from({ length: count }, (_, id) => JSON.stringify({ id, filler })),
      broker.url,
    );
    const total = count * 8000;
    const got: number[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => release = resolve);
    const running = pipeline(
      mqttSource({
        url: proxy.url,
        topic,
        clientId,
        batchSize: 50,
        receiveMaximum: 100,
      }),
      batchSink<Message>({
        async write(records) {
          for (const record of records) {
            got.push((record.value as { id: number }).id);
          }
          // Three batches go through (their PUBACKs go out), then it stalls
          // until the test lets it go.
          if (got.length > 150) await released;
        },
      }),
    );
    await until(() => got.length > 150, "three batches", 10_000);
    // Until the bytes read from the broker stop growing.
    let last = -1;
    for (let i = 0; i < 50 && proxy.fromBroker !== last; i++) {
      last = proxy.fromBroker;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    assert.ok(
      proxy.fromBroker < total / 2,
      `read ${proxy.fromBroker} of ${total} bytes from the broker while the sink was stalled`,
    );
    release();
    await until(() => got.length >= count, `${count} messages`, 30_000);
    await running.stop();
    assert.deepEqual(got, Array.from({ length: count }, (_, i) => i));
  } finally {
    await proxy.close();
    await broker.stop();
  }
});

test("mqttSource() at an unreachable broker fails with an MqttError naming it, password redacted", async () => {
  const source = mqttSource({
    url: "mqtt://user:secret@127.0.0.1:1",
    topic: "t",
    clientId: unique("ca-src"),
    connectTimeoutMs: 2000,
  });
  const error = await pipeline(source, collect()).then(
    () => undefined,
    (error) => error,
  );
  const cause = (error as { cause?: unknown }).cause ?? error;
  assert.ok(cause instanceof MqttError, `got ${error}`);
  assert.equal(cause.code, "CA_ERR_MQTT");
  assert.match(
    cause.message,
    /^Cannot connect to mqtt:\/\/user:\*\*\*@127\.0\.0\.1:1/,
  );
  assert.match(cause.message, /mqtt-source/);
  assert.doesNotMatch(cause.message, /secret/);
});

test("mqttSource() with wrong credentials fails with an MqttError naming the refusal, password redacted", async () => {
  const broker = await privateBroker({ ingest: "right-password" });
  try {
    const url = new URL(broker.url);
    url.username = "ingest";
    url.password = "wrong-password";
    const error = await pipeline(
      mqttSource({ url, topic: "t", clientId: unique("ca-src") }),
      collect(),
    ).then(() => undefined, (error) => error);
    const cause = (error as { cause?: unknown }).cause ?? error;
    assert.ok(cause instanceof MqttError, `got ${error}`);
    assert.match(cause.message, /mqtt-source/);
    assert.match(cause.message, /ingest:\*\*\*@/);
    assert.match(
      cause.message,
      /[Nn]ot authorized|[Bb]ad [Uu]ser [Nn]ame or [Pp]assword/,
    );
    assert.doesNotMatch(cause.message, /wrong-password/);
  } finally {
    await broker.stop();
  }
});

test("mqttSource() checks its options", () => {
  const url = BROKER_URL;
  assert.throws(
    () => mqttSource({ url: "http://x", topic: "t", clientId: "c" }),
    /url must be an mqtt:\/\//,
  );
  assert.throws(
    () => mqttSource({ url, topic: "t", clientId: "" }),
    /clientId must be a non-empty string/,
  );
  assert.throws(
    () => mqttSource({ url, topic: [], clientId: "c" }),
    /topic must be/,
  );
  assert.throws(
    () => mqttSource({ url, topic: "t", clientId: "c", receiveMaximum: 0 }),
    RangeError,
  );
});
