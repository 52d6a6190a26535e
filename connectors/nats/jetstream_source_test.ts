// Copyright 2026 the @ca/streams authors. MIT license.
// jetStreamSource against the real NATS server (CA_TEST_NATS_URL overrides
// nats://127.0.0.1:4222), on Deno and Node.

import { test } from "node:test";
import assert from "node:assert/strict";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { batchSink } from "../../src/sinks/batch_sink.ts";
import { collect } from "../../src/sinks/collect.ts";
import type { DeadLetter } from "../../src/failures/dead_letter.ts";
import type { Message } from "../../src/messages/message.ts";
import { map } from "../../src/processors/map.ts";
import { MessageError } from "../../src/messages/message_error.ts";
import { jetStreamSource } from "./jetstream_source.ts";
import { NatsConnectError } from "./nats_connect_error.ts";
import {
  NATS_URL,
  sleep,
  tcpProxy,
  testConnection,
  type TestStream,
  testStream,
  uniqueName,
  until,
} from "./_nats_test_helpers.ts";

type Row = { n: number };

async function publish(
  nc: NatsConnection,
  stream: TestStream,
  from: number,
  to: number,
): Promise<void> {
  const js = jetstream(nc);
  const acks = [];
  for (let n = from; n < to; n++) {
    acks.push(js.publish(`${stream.subject}.rows`, JSON.stringify({ n })));
  }
  await Promise.all(acks);
}

async function consumerInfo(
  nc: NatsConnection,
  stream: TestStream,
  consumer: string,
) {
  const jsm = await jetstreamManager(nc);
  return await jsm.consumers.info(stream.name, consumer);
}

/** The consumer's ack floor (stream sequence), 0 while it does not exist yet. */
async function ackFloor(
  nc: NatsConnection,
  stream: TestStream,
  consumer: string,
): Promise<number> {
  try {
    return (await consumerInfo(nc, stream, consumer)).ack_floor.stream_seq;
  } catch {
    return 0;
  }
}

/** Runs `body` with a connection and a fresh stream, then deletes both. */
async function withStream(
  body: (nc: NatsConnection, stream: TestStream) => Promise<void>,
): Promise<void> {
  const nc = await testConnection();
  const stream = await testStream(nc);
  try {
    await body(nc, stream);
  } finally {
    await stream.delete();
    await nc.close();
  }
}

/** The first error in `error`'s cause chain that is a `type`. */
function findCause<E>(
  error: unknown,
  type: abstract new (...args: never[]) => E,
): E | undefined {
  for (let at = error; at instanceof Error; at = at.cause) {
    if (at instanceof type) return at;
  }
  return undefined;
}

test(
  "jetStreamSource() yields Message records: id, topic, headers, key and time",
  { timeout: 30_000 },
  async () => {
    await withStream(async (nc, stream) => {
      const js = jetstream(nc);
      const h = headers();
      h.set("trace-id", "abc");
      const before = Date.now();
      await js.publish(`${stream.subject}.a`, '{"n":1}', {
        headers: h,
        msgID: "order-1",
      });
      await js.publish(`${stream.subject}.b`, '{"n":2}');
      const consumer = uniqueName("reader");
      const sink = collect<Message<Row>>();
      const run = pipeline(
        jetStreamSource<Row>({ url: NATS_URL, stream: stream.name, consumer }),
        sink,
      );
      await until(() => sink.records.length === 2, "2 records");
      await run.stop();
      const [first, second] = sink.records;
      assert.deepEqual(first!.value, { n: 1 });
      assert.equal(first!.id, "1");
      assert.equal(first!.topic, `${stream.subject}.a`);
      assert.equal(first!.key, "order-1");
      assert.equal(first!.headers?.["trace-id"], "abc");
      assert.equal(first!.headers?.["Nats-Msg-Id"], "order-1");
      const time = Date.parse(first!.time!);
      assert.ok(time >= before - 1000 && time <= Date.now(), first!.time);
      assert.deepEqual(second!.value, { n: 2 });
      assert.equal(second!.id, "2");
      assert.equal(second!.key, undefined);
      // Both acknowledged once stored: nothing pending on the server.
      const info = await consumerInfo(nc, stream, consumer);
      assert.equal(info.ack_floor.stream_seq, 2);
      assert.equal(info.num_ack_pending, 0);
      assert.equal(info.config.ack_policy, "explicit");
    });
  },
);

test(
  "jetStreamSource() acknowledges only what the sink stored: aborted between read and store, the rerun gets the rest",
  { timeout: 30_000 },
  async () => {
    await withStream(async (nc, stream) => {
      await publish(nc, stream, 0, 40);
      const consumer = uniqueName("stall");
      const stored: number[] = [];
      let stall!: () => void;
      const stalled = new Promise<void>((resolve) => stall = resolve);
      const first = pipeline(
        jetStreamSource<Row>({
          url: NATS_URL,
          stream: stream.name,
          consumer,
          batchSize: 5,
        }),
        batchSink<Message<Row>>({
          async write(records, { signal }) {
            if (stored.length >= 10) {
              stall();
              // Never stores this batch; gives up when the run is aborted.
              await new Promise((_, reject) =>
                signal.addEventListener("abort", () => reject(signal.reason))
              );
            }
            stored.push(...records.map((m) => m.value.n));
          },
        }),
      );
      await stalled;
      await until(
        async () =>
          (await ackFloor(nc, stream, consumer)) ===
            10,
        "the ack floor at 10",
      );
      await first.abort(new Error("test abort"));
      await first.then(() => {}, () => {});
      assert.deepEqual(stored, Array.from({ length: 10 }, (_, i) => i));
      const info = await consumerInfo(nc, stream, consumer);
      assert.equal(info.ack_floor.stream_seq, 10, "only the stored are acked");

      const again = collect<Message<Row>>();
      const second = pipeline(
        jetStreamSource<Row>({ url: NATS_URL, stream: stream.name, consumer }),
        again,
      );
      await until(() => again.records.length >= 30, "the 30 not stored");
      await sleep(100);
      await second.stop();
      const values = again.records.map((m) => m.value.n).sort((a, b) => a - b);
      assert.deepEqual(values, Array.from({ length: 30 }, (_, i) => i + 10));
    });
  },
);

test(
  "jetStreamSource() after a crash: the server delivers what was not acknowledged again once the ack wait is over",
  { timeout: 30_000 },
  async () => {
    await withStream(async (nc, stream) => {
      await publish(nc, stream, 0, 20);
      const consumer = uniqueName("crash");
      const options = {
        stream: stream.name,
        consumer,
        batchSize: 5,
        ackWaitMs: 1000,
        fetchWaitMs: 1000,
      };
      // The "crashing" process: its own connection, closed under the source
      // (no nak can be sent) while the sink holds the second batch.
      const doomed = await testConnection();
      const stored: number[] = [];
      const first = pipeline(
        jetStreamSource<Row>({ ...options, connection: doomed }),
        batchSink<Message<Row>>({
          async write(records, { signal }) {
            if (stored.length >= 5) {
              await new Promise((_, reject) =>
                signal.addEventListener("abort", () => reject(signal.reason))
              );
            }
            stored.push(...records.map((m) => m.value.n));
          },
        }),
      );
      await until(
        async () => (await ackFloor(nc, stream, consumer)) === 5,
        "the first batch acknowledged",
      );
      await doomed.close();
      await first.abort(new Error("crash")).catch(() => {});
      await first.then(() => {}, () => {});
      // Nothing was given back: the server still counts them delivered.
      const crashed = await consumerInfo(nc, stream, consumer);
      assert.ok(crashed.num_ack_pending > 0, "pending after the crash");
      assert.equal(crashed.ack_floor.stream_seq, 5);
      const again = collect<Message<Row>>();
      const second = pipeline(
        jetStreamSource<Row>({ ...options, url: NATS_URL }),
        again,
      );
      await until(() => again.records.length >= 15, "the 15 not stored");
      await sleep(100);
      await second.stop();
      const values = again.records.map((m) => m.value.n).sort((a, b) => a - b);
      assert.deepEqual(values, Array.from({ length: 15 }, (_, i) => i + 5));
    });
  },
);

test(
  "jetStreamSource() keeps a slow batch from redelivery with in-progress signals",
  { timeout: 30_000 },
  async () => {
    await withStream(async (nc, stream) => {
      await publish(nc, stream, 0, 12);
      const consumer = uniqueName("slow");
      const stored: number[] = [];
      // ack_wait is 1 s; each write takes 2.5 s: without working() every
      // message held would be delivered again while the sink works.
      const run = pipeline(
        jetStreamSource<Row>({
          url: NATS_URL,
          stream: stream.name,
          consumer,
          batchSize: 6,
          ackWaitMs: 1000,
          fetchWaitMs: 1000,
        }),
        batchSink<Message<Row>>({
          async write(records) {
            await sleep(2500);
            stored.push(...records.map((m) => m.value.n));
          },
        }),
      );
      await until(() => stored.length >= 12, "12 records stored", 20_000);
      await sleep(300);
      await run.stop();
      assert.deepEqual(stored, Array.from({ length: 12 }, (_, i) => i));
      const info = await consumerInfo(nc, stream, consumer);
      assert.equal(info.num_redelivered, 0, "nothing was delivered twice");
      assert.equal(info.ack_floor.stream_seq, 12);
    });
  },
);

test(
  "jetStreamSource() fails on an undecodable message with a MessageError and acknowledges nothing",
  { timeout: 30_000 },
  async () => {
    await withStream(async (nc, stream) => {
      const js = jetstream(nc);
      await js.publish(`${stream.subject}.rows`, "{not json");
      await js.publish(`${stream.subject}.rows`, '{"n":1}');
      await js.publish(`${stream.subject}.rows`, '{"n":2}');
      const consumer = uniqueName("bad");
      const sink = collect<Message<Row>>();
      const error = await pipeline(
        jetStreamSource<Row>({
          url: NATS_URL,
          stream: stream.name,
          consumer,
          fetchWaitMs: 1000,
        }),
        sink,
      ).then(() => undefined, (error: unknown) => error);
      const bad = findCause(error, MessageError);
      assert.ok(bad, `expected a MessageError, got ${error}`);
      assert.equal(bad.connector, "jetstream-source");
      assert.equal((bad.raw as { id?: string }).id, "1");
      assert.equal(sink.records.length, 0);
      const info = await consumerInfo(nc, stream, consumer);
      assert.equal(info.ack_floor.stream_seq, 0, "nothing acknowledged");
      // All three come again (as text, which decodes).
      const text = collect<Message<string>>();
      const rerun = pipeline(
        jetStreamSource<string>({
          url: NATS_URL,
          stream: stream.name,
          consumer,
          format: "text",
        }),
        text,
      );
      await until(() => text.records.length >= 3, "3 records again");
      await rerun.stop();
      // Given back with nak: redelivered, in whatever order the server picks.
      assert.deepEqual(text.records.map((m) => m.id).sort(), ["1", "2", "3"]);
      assert.equal(text.records.find((m) => m.id === "1")!.value, "{not json");
    });
  },
);

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

/** The stream sequences of the messages the server says `consumer` terminated. */
function terminations(
  nc: NatsConnection,
  stream: TestStream,
  consumer: string,
): { sequences: number[]; close(): void } {
  const sequences: number[] = [];
  const subscription = nc.subscribe(
    `$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.${stream.name}.${consumer}`,
    {
      callback: (error, msg) => {
        if (!error) {
          sequences.push(msg.json<{ stream_seq: number }>().stream_seq);
        }
      },
    },
  );
  return { sequences, close: () => subscription.unsubscribe() };
}

/** Runs the consumer again over one new message: what it delivers. */
async function rerun(
  nc: NatsConnection,
  stream: TestStream,
  consumer: string,
  next: number,
): Promise<number[]> {
  await publish(nc, stream, next, next + 1);
  const sink = collect<Message<Row>>();
  const run = pipeline(
    jetStreamSource<Row>({
      url: NATS_URL,
      stream: stream.name,
      consumer,
      fetchWaitMs: 1000,
    }),
    sink,
  );
  // An old message that comes again fails this run if it does not decode.
  let failure: unknown;
  run.catch((error) => failure = error);
  await until(
    () => failure !== undefined || sink.records.some((m) => m.value.n === next),
    `the new message ${next}`,
  );
  if (failure !== undefined) throw failure;
  await run.stop();
  return sink.records.map((m) => m.value.n);
}

test(
  "jetStreamSource() with a dead letter gives it an undecodable message, terminates it, and stores the rest",
  { timeout: 30_000 },
  async () => {
    await withStream(async (nc, stream) => {
      const js = jetstream(nc);
      await js.publish(`${stream.subject}.rows`, '{"n":0}');
      await js.publish(`${stream.subject}.rows`, "{not json");
      await js.publish(`${stream.subject}.rows`, '{"n":2}');
      const consumer = uniqueName("dead");
      const termed = terminations(nc, stream, consumer);
      await nc.flush();
      try {
        const sink = collect<Message<Row>>();
        const box = letterBox();
        const run = pipeline(
          jetStreamSource<Row>({
            url: NATS_URL,
            stream: stream.name,
            consumer,
            fetchWaitMs: 1000,
          }),
          sink,
          { deadLetter: box.sink },
        );
        await until(
          () => sink.records.length === 2 && box.letters.length === 1,
          "2 stored and 1 dead letter",
        );
        await until(
          async () =>
            (await consumerInfo(nc, stream, consumer)).ack_floor.stream_seq ===
              3,
          "the ack floor at 3",
        );
        await until(() => termed.sequences.length > 0, "the term advisory");
        const summary = await run.stop();
        assert.equal(summary.recordsDeadLettered, 1);
        assert.deepEqual(sink.records.map((m) => m.value.n), [0, 2]);
        const [letter] = box.letters;
        assert.equal(letter!.stageIndex, -1);
        assert.ok(letter!.error instanceof MessageError);
        assert.equal(letter!.error.connector, "jetstream-source");
        const raw = letter!.record as { id: string; payload: Uint8Array };
        assert.equal(raw.id, "2");
        assert.equal(new TextDecoder().decode(raw.payload), "{not json");
        // Terminated, once: never delivered again.
        assert.deepEqual(termed.sequences, [2]);
        const info = await consumerInfo(nc, stream, consumer);
        assert.equal(info.num_ack_pending, 0);
        assert.equal(info.num_redelivered, 0);
        assert.deepEqual(await rerun(nc, stream, consumer, 3), [3]);
      } finally {
        termed.close();
      }
    });
  },
);

test(
  "jetStreamSource() terminates the message of a record the pipeline dead-letters: it is not delivered again",
  { timeout: 30_000 },
  async () => {
    await withStream(async (nc, stream) => {
      await publish(nc, stream, 0, 6);
      const consumer = uniqueName("reject");
      const termed = terminations(nc, stream, consumer);
      await nc.flush();
      try {
        const sink = collect<Message<Row>>();
        const box = letterBox();
        const run = pipeline(
          jetStreamSource<Row>({
            url: NATS_URL,
            stream: stream.name,
            consumer,
            batchSize: 4,
            fetchWaitMs: 1000,
          }),
          map((message: Message<Row>) => {
            if (message.value.n === 2) throw new Error("Cannot take 2");
            return message;
          }),
          sink,
          { deadLetter: box.sink },
        );
        await until(
          () => sink.records.length === 5 && box.letters.length === 1,
          "5 stored and 1 dead letter",
        );
        await until(
          async () =>
            (await consumerInfo(nc, stream, consumer)).ack_floor.stream_seq ===
              6,
          "the ack floor at 6",
        );
        await until(() => termed.sequences.length > 0, "the term advisory");
        await run.stop();
        assert.deepEqual(sink.records.map((m) => m.value.n), [0, 1, 3, 4, 5]);
        assert.equal(box.letters[0]!.stageIndex, 0);
        assert.deepEqual(
          (box.letters[0]!.record as Message<Row>).value,
          { n: 2 },
        );
        assert.deepEqual(termed.sequences, [3], "message 2 is sequence 3");
        const info = await consumerInfo(nc, stream, consumer);
        assert.equal(info.num_ack_pending, 0);
        assert.equal(info.num_redelivered, 0);
        assert.deepEqual(await rerun(nc, stream, consumer, 6), [6]);
      } finally {
        termed.close();
      }
    });
  },
);

test(
  "jetStreamSource() with reset: { sequence } recreates the consumer there",
  { timeout: 30_000 },
  async () => {
    await withStream(async (nc, stream) => {
      await publish(nc, stream, 0, 10);
      const consumer = uniqueName("reset");
      const options = { url: NATS_URL, stream: stream.name, consumer };
      const all = collect<Message<Row>>();
      const first = pipeline(jetStreamSource<Row>(options), all);
      await until(() => all.records.length === 10, "10 records");
      await first.stop();
      const again = collect<Message<Row>>();
      const second = pipeline(
        jetStreamSource<Row>({ ...options, reset: { sequence: 7 } }),
        again,
      );
      await until(() => again.records.length === 4, "4 records");
      await sleep(100);
      await second.stop();
      assert.deepEqual(again.records.map((m) => m.id), ["7", "8", "9", "10"]);
      const start = collect<Message<Row>>();
      const third = pipeline(
        jetStreamSource<Row>({ ...options, reset: "start" }),
        start,
      );
      await until(
        () => start.records.length === 10,
        "10 records from the start",
      );
      await third.stop();
    });
  },
);

test(
  "jetStreamSource() reconnects after a cut connection, loses nothing and keeps running",
  { timeout: 30_000 },
  async () => {
    await withStream(async (nc, stream) => {
      const proxy = await tcpProxy();
      try {
        const consumer = uniqueName("cut");
        const sink = collect<Message<Row>>();
        const run = pipeline(
          jetStreamSource<Row>({
            url: proxy.url,
            connectOptions: { reconnectTimeWait: 100 },
            stream: stream.name,
            consumer,
            batchSize: 20,
            fetchWaitMs: 1000,
          }),
          sink,
        );
        const seen = () => new Set(sink.records.map((m) => m.value.n)).size;
        await publish(nc, stream, 0, 100);
        await until(() => seen() >= 100, "the first 100");
        proxy.cut();
        await publish(nc, stream, 100, 200); // while the source reconnects
        await until(() => seen() >= 200, "200 after the first cut");
        proxy.pause(true);
        proxy.cut();
        await publish(nc, stream, 200, 300); // while it cannot reconnect
        await sleep(500);
        assert.equal(run.state, "running");
        assert.equal(run.health.sources.source?.state, "reconnecting");
        proxy.pause(false);
        await until(() => seen() >= 300, "300 after the second cut", 15_000);
        assert.equal(run.state, "running");
        assert.equal(run.health.sources.source?.state, "connected");
        await run.stop();
        assert.ok(proxy.accepted >= 3, `reconnected (${proxy.accepted})`);
        assert.equal(seen(), 300);
        await until(
          async () =>
            (await ackFloor(nc, stream, consumer)) ===
              300,
          "every message acknowledged",
        );
      } finally {
        await proxy.close();
      }
    });
  },
);

test(
  "jetStreamSource() fails clearly on a missing stream and an unreachable server",
  { timeout: 30_000 },
  async () => {
    const missing = await pipeline(
      jetStreamSource({
        url: NATS_URL,
        stream: uniqueName("NO_SUCH"),
        consumer: "c",
      }),
      collect(),
    ).then(() => undefined, (error: unknown) => error);
    const notFound = findCause(missing, NatsConnectError);
    assert.ok(notFound, `expected a NatsConnectError, got ${missing}`);
    assert.match(notFound.message, /stream does not exist/);

    const unreachable = await pipeline(
      jetStreamSource({
        url: "nats://user:hunter2@127.0.0.1:1",
        stream: "S",
        consumer: "c",
      }),
      collect(),
    ).then(() => undefined, (error: unknown) => error);
    const refused = findCause(unreachable, NatsConnectError);
    assert.ok(refused, `expected a NatsConnectError, got ${unreachable}`);
    assert.match(refused.message, /jetstream-source to nats:\/\/user:\*\*\*@/);
    assert.doesNotMatch(String(unreachable), /hunter2/);
  },
);
