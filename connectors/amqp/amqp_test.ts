// Copyright 2026 the @ca/streams authors. MIT license.
// amqpSource() and amqpSink() against the real RabbitMQ (CA_TEST_AMQP_URL,
// default amqp://guest:guest@127.0.0.1:5672), on Deno and Node: messages,
// acknowledgement after store, prefetch, confirms, cut connections through
// a TCP proxy of the test's own, bad credentials, undecodable messages, and
// the conformance kit. Every test uses queues of its own, deleted after.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { connect } from "amqplib";
import type { Channel, ChannelModel } from "amqplib";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { batchSink } from "../../src/sinks/batch_sink.ts";
import type { Message } from "../../src/messages/message.ts";
import { MessageError } from "../../src/messages/message_error.ts";
import { sinkConformance } from "../../src/testing/sink_conformance.ts";
import { sourceConformance } from "../../src/testing/source_conformance.ts";
import { startTcpProxy } from "../runtime/_test_tcp_proxy.ts";
import { amqpDefinitions, AmqpError, amqpSink, amqpSource } from "./mod.ts";

const URL_TEXT = globalThis.process?.env?.CA_TEST_AMQP_URL ??
  "amqp://guest:guest@127.0.0.1:5672";
const BROKER = new URL(URL_TEXT);
const HOW_TO_START =
  "start RabbitMQ on 127.0.0.1:5672 (guest/guest), or set CA_TEST_AMQP_URL to one";

let admin: Promise<{ model: ChannelModel; channel: Channel }> | undefined;

/** One connection for the tests' own checks, opened once. */
function broker(): Promise<{ model: ChannelModel; channel: Channel }> {
  admin ??= (async () => {
    let model: ChannelModel;
    try {
      model = await connect(URL_TEXT);
    } catch (error) {
      throw new Error(
        `Cannot reach RabbitMQ at ${BROKER.host}: ${
          (error as Error).message
        }; ${HOW_TO_START}`,
      );
    }
    model.on("error", () => {});
    const channel = await model.createChannel();
    return { model, channel };
  })();
  return admin;
}

/** Counts the tests using the connection; the last one closes it (so Node exits). */
let users = 0;
function acquire(): Promise<{ model: ChannelModel; channel: Channel }> {
  users++;
  return broker();
}
async function release(): Promise<void> {
  if (--users > 0) return;
  const open = admin;
  admin = undefined;
  const model = (await open?.catch(() => undefined))?.model;
  await model?.close().catch(() => {});
}
async function withBroker<R>(fn: (channel: Channel) => Promise<R>): Promise<R> {
  try {
    return await fn((await acquire()).channel);
  } finally {
    await release();
  }
}

function uniqueName(what: string): string {
  return `ca-test-${what}-${crypto.randomUUID().slice(0, 8)}`;
}

/** A fresh durable queue for `fn`, deleted after. */
async function withQueue(
  fn: (queue: string, channel: Channel) => Promise<void>,
  args: Record<string, unknown> = {},
): Promise<void> {
  await withBroker(async (channel) => {
    const queue = uniqueName("queue");
    await channel.assertQueue(queue, { durable: true, arguments: args });
    try {
      await fn(queue, channel);
    } finally {
      await channel.deleteQueue(queue);
    }
  });
}

async function publish(
  channel: Channel,
  queue: string,
  bodies: unknown[],
  properties: Record<string, unknown> = {},
): Promise<void> {
  for (const body of bodies) {
    channel.sendToQueue(
      queue,
      Buffer.from(typeof body === "string" ? body : JSON.stringify(body)),
      { contentType: "application/json", ...properties },
    );
  }
  // A round trip on the same channel: the messages are in the queue.
  await channel.checkQueue(queue);
}

async function ready(channel: Channel, queue: string): Promise<number> {
  return (await channel.checkQueue(queue)).messageCount;
}

async function until(
  what: string,
  done: () => boolean | Promise<boolean>,
  ms = 10_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * A TCP proxy between the connectors and the broker: it can cut every
 * connection, hold back what the broker sends, and count connections.
 */
interface Proxy {
  url: string;
  open(): number;
  cut(): void;
  holdReplies(): void;
  releaseReplies(): void;
  close(): Promise<void>;
}

async function startProxy(): Promise<Proxy> {
  const proxy = await startTcpProxy(URL_TEXT);
  return {
    url: proxy.url,
    open: () => proxy.open,
    cut: () => proxy.cut(),
    holdReplies() {
      proxy.hold = true;
    },
    releaseReplies() {
      proxy.hold = false;
    },
    close: () => proxy.close(),
  };
}

/** A sink that keeps what it stores, and can hold a write back. */
function keeper<T>() {
  const stored: T[] = [];
  let gate: Promise<void> | undefined;
  let open = () => {};
  let holdNext = false;
  return {
    stored,
    hold() {
      gate = new Promise((resolve) => open = resolve);
    },
    release() {
      gate = undefined;
      open();
    },
    sink: batchSink<T>({
      async write(records, { signal }) {
        if (gate) {
          // Held until released, or until the pipeline aborts.
          await new Promise<void>((resolve, reject) => {
            signal.addEventListener("abort", () => reject(signal.reason), {
              once: true,
            });
            gate!.then(resolve);
          });
        }
        stored.push(...records);
        if (holdNext) {
          holdNext = false;
          gate = new Promise((resolve) => open = resolve);
        }
      },
    }),
    /** Stores the next write, then holds the ones after it. */
    holdAfterNext() {
      holdNext = true;
    },
  };
}

test("amqpSource() reads messages with their routing key, id, headers and time", async () => {
  await withQueue(async (queue, channel) => {
    await publish(channel, queue, [{ n: 1 }], {
      messageId: "m-1",
      timestamp: 1_700_000_000,
      headers: { tenant: "acme", retries: 2 },
    });
    await publish(channel, queue, ["not json"], { contentType: "text/plain" });
    const kept = keeper<Message>();
    const running = pipeline(
      amqpSource({ url: URL_TEXT, queue, format: "text" }),
      kept.sink,
    );
    await until("2 messages", () => kept.stored.length === 2);
    await running.stop();
    const [first, second] = kept.stored;
    assert.deepEqual(first, {
      value: '{"n":1}',
      headers: {
        tenant: "acme",
        retries: "2",
        "content-type": "application/json",
      },
      topic: queue,
      id: "m-1",
      time: "2023-11-14T22:13:20.000Z",
    });
    assert.equal(second!.value, "not json");
    await until(
      "the queue to be empty",
      async () => await ready(channel, queue) === 0,
    );
  });
});

test("amqpSource() acknowledges only what the sink stored: an abort between read and store redelivers the rest", async () => {
  await withQueue(async (queue, channel) => {
    await publish(
      channel,
      queue,
      Array.from({ length: 30 }, (_, n) => ({ n })),
    );
    const kept = keeper<Message>();
    kept.holdAfterNext(); // the batches after the first are read, never stored
    const first = pipeline(
      amqpSource({ url: URL_TEXT, queue, batchSize: 10 }),
      kept.sink,
    );
    await until("the first batch", () => kept.stored.length > 0);
    const stored = kept.stored.length;
    await until("a second read", () => first.recordsRead > stored);
    await first.abort(new Error("test abort"));
    await first.catch(() => {});
    assert.equal(kept.stored.length, stored);
    await until(
      "the rest back in the queue",
      async () => await ready(channel, queue) === 30 - stored,
    );
    const again = keeper<Message>();
    const second = pipeline(amqpSource({ url: URL_TEXT, queue }), again.sink);
    await until("the rest", () => again.stored.length === 30 - stored);
    await second.stop();
    const ns = (records: Message[]) =>
      records.map((m) => (m.value as { n: number }).n);
    assert.deepEqual(
      [...ns(kept.stored), ...ns(again.stored)].sort((a, b) => a - b),
      Array.from({ length: 30 }, (_, n) => n),
    );
    assert.equal(await ready(channel, queue), 0);
  });
});

test("amqpSource() keeps at most prefetch messages unacknowledged", async () => {
  await withQueue(async (queue, channel) => {
    await publish(channel, queue, Array.from({ length: 20 }, (_, n) => n));
    const kept = keeper<Message>();
    kept.hold(); // nothing is stored, so nothing acknowledged
    const running = pipeline(
      amqpSource({ url: URL_TEXT, queue, batchSize: 2, prefetch: 6 }),
      kept.sink,
    );
    await until(
      "6 messages taken",
      async () => await ready(channel, queue) === 14,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(await ready(channel, queue), 14);
    kept.release();
    await until("all stored", () => kept.stored.length === 20);
    await running.stop();
  });
});

test("amqpSource() prefetch defaults to four batches", async () => {
  await withQueue(async (queue, channel) => {
    await publish(channel, queue, Array.from({ length: 30 }, (_, n) => n));
    const kept = keeper<Message>();
    kept.hold();
    const running = pipeline(
      amqpSource({ url: URL_TEXT, queue, batchSize: 5 }),
      kept.sink,
    );
    await until(
      "20 messages taken",
      async () => await ready(channel, queue) === 10,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(await ready(channel, queue), 10);
    kept.release();
    await until("all stored", () => kept.stored.length === 30);
    await running.stop();
  });
});

test("amqpSource() fails with a MessageError on a message that does not decode, and acknowledges none of its batch", async () => {
  await withQueue(async (queue, channel) => {
    await publish(channel, queue, [{ n: 1 }, "{oops", { n: 3 }]);
    const kept = keeper<Message>();
    const running = pipeline(
      amqpSource({ url: URL_TEXT, queue, lingerMs: 50 }),
      kept.sink,
    );
    const error = await running.then(() => undefined, (e) => e);
    assert.equal(running.state, "degraded");
    let cause: unknown = error;
    while (cause && !(cause instanceof MessageError)) {
      cause = (cause as Error).cause;
    }
    assert.ok(cause instanceof MessageError, String(error));
    assert.equal(cause.connector, "amqp-source");
    assert.ok(cause.raw !== undefined);
    assert.equal(kept.stored.length, 0);
    await until(
      "3 messages back in the queue",
      async () => await ready(channel, queue) === 3,
    );
  });
});

test("amqpSource() rejects a dead-lettered record without requeue: the queue's dead-letter exchange takes it", async () => {
  await withBroker(async (channel) => {
    const dlq = uniqueName("dlq");
    await channel.assertQueue(dlq, { durable: true });
    try {
      await withQueue(async (queue) => {
        await publish(channel, queue, [{ n: 1 }, { n: 2 }, { n: 3 }]);
        const kept = keeper<Message>();
        const letters: unknown[] = [];
        const running = pipeline(
          amqpSource({ url: URL_TEXT, queue }),
          batchSink<Message>({
            write(records) {
              for (const record of records) {
                if ((record.value as { n: number }).n === 2) {
                  throw new Error("refused");
                }
              }
              kept.stored.push(...records);
            },
          }),
          {
            deadLetter: new WritableStream({
              write: (letter) => void letters.push(letter),
            }),
          },
        );
        await until(
          "2 stored, 1 dead letter",
          () => kept.stored.length === 2 && letters.length === 1,
        );
        await until(
          "the dead letter in the dead-letter queue",
          async () => await ready(channel, dlq) === 1,
        );
        await running.stop();
        assert.equal(await ready(channel, queue), 0);
        const dead = await channel.get(dlq, { noAck: true });
        assert.ok(dead);
        assert.deepEqual(JSON.parse(dead.content.toString()), { n: 2 });
      }, { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq });
    } finally {
      await channel.deleteQueue(dlq);
    }
  });
});

test("amqpSource() with a dead letter gives it what does not decode and rejects it", async () => {
  await withQueue(async (queue, channel) => {
    await publish(channel, queue, [{ n: 1 }, "{oops", { n: 3 }]);
    const kept = keeper<Message>();
    const letters: Array<{ error: unknown; stageIndex: number }> = [];
    const running = pipeline(amqpSource({ url: URL_TEXT, queue }), kept.sink, {
      deadLetter: new WritableStream({
        write: (letter) => void letters.push(letter),
      }),
    });
    await until(
      "2 stored, 1 dead letter",
      () => kept.stored.length === 2 && letters.length === 1,
    );
    await running.stop();
    assert.ok(letters[0]!.error instanceof MessageError);
    assert.equal(letters[0]!.stageIndex, -1);
    assert.equal(await ready(channel, queue), 0);
  });
});

test("amqpSource() fails clearly on a missing queue, and declares one with assertQueue", async () => {
  const queue = uniqueName("missing");
  const running = pipeline(
    amqpSource({ url: URL_TEXT, queue }),
    keeper<Message>().sink,
  );
  const error = await running.then(() => undefined, (e) => e);
  let cause: unknown = error;
  while (cause && !(cause instanceof AmqpError)) {
    cause = (cause as Error).cause;
  }
  assert.ok(cause instanceof AmqpError, String(error));
  assert.match(cause.message, new RegExp(`consume queue "${queue}"`));
  assert.match(cause.message, /NOT_FOUND/);
  await withBroker(async (channel) => {
    const declared = pipeline(
      amqpSource({ url: URL_TEXT, queue, assertQueue: true }),
      keeper<Message>().sink,
    );
    try {
      await until("the queue declared", async () => {
        try {
          const probe = await (await broker()).model.createChannel();
          probe.on("error", () => {});
          await probe.checkQueue(queue);
          await probe.close();
          return true;
        } catch {
          return false;
        }
      });
    } finally {
      await declared.stop();
      await channel.deleteQueue(queue);
    }
  });
});

test("wrong credentials and an unreachable broker give a clear AmqpError, password redacted", async () => {
  const wrong = new URL(URL_TEXT);
  wrong.username = "guest";
  wrong.password = "not-the-password";
  for (
    const [url, pattern] of [
      [wrong.href, /ACCESS_REFUSED|403/],
      ["amqp://guest:secret@127.0.0.1:1", /ECONNREFUSED/],
    ] as const
  ) {
    const source = pipeline(
      amqpSource({ url, queue: "q" }),
      keeper<Message>().sink,
    );
    const sourceError = await source.then(() => undefined, (e) => e);
    const sinkError = await pipeline(
      [{ n: 1 }],
      amqpSink({ url, routingKey: "q" }),
    ).then(() => undefined, (e) => e);
    for (const error of [sourceError, sinkError]) {
      let cause: unknown = error;
      while (cause && !(cause instanceof AmqpError)) {
        cause = (cause as Error).cause;
      }
      assert.ok(cause instanceof AmqpError, String(error));
      assert.match(cause.message, /^Cannot connect to amqp:\/\/guest:\*\*\*@/);
      assert.match(cause.message, pattern);
      assert.doesNotMatch(cause.message, /not-the-password|secret/);
    }
  }
});

test("amqpSink() publishes persistent messages with messageId from the key and routing key from the topic", async () => {
  await withBroker(async (channel) => {
    const exchange = uniqueName("exchange");
    await channel.assertExchange(exchange, "topic", { durable: false });
    try {
      await withQueue(async (queue) => {
        await channel.bindQueue(queue, exchange, "orders.*");
        type Order = { id: number; region: string };
        await pipeline(
          [{ id: 1, region: "eu" }, { id: 2, region: "us" }],
          amqpSink<Order>({
            url: URL_TEXT,
            exchange,
            topic: (order) => `orders.${order.region}`,
            key: "/id",
            headers: (order) => ({ region: order.region }),
          }),
        );
        const got = [];
        for (let i = 0; i < 2; i++) {
          const message = await channel.get(queue, { noAck: true });
          assert.ok(message);
          got.push(message);
        }
        assert.deepEqual(
          got.map((m) => [
            JSON.parse(m.content.toString()).id,
            m.fields.routingKey,
            m.properties.messageId,
            m.properties.deliveryMode,
            m.properties.contentType,
            m.properties.headers?.region,
          ]),
          [
            [1, "orders.eu", "1", 2, "application/json", "eu"],
            [2, "orders.us", "2", 2, "application/json", "us"],
          ],
        );
      });
    } finally {
      await channel.deleteExchange(exchange);
    }
  });
});

test("amqpSink() write resolves only once the broker confirmed", async () => {
  await withQueue(async (queue, channel) => {
    const proxy = await startProxy();
    try {
      const sink = amqpSink<{ n: number }>({
        url: proxy.url,
        routingKey: queue,
      });
      const writer = sink.getWriter();
      await writer.write({ n: 0 }); // connected
      proxy.holdReplies();
      let done = false;
      const written = writer.write({ n: 1 }).then(() => done = true);
      await until(
        "the message in the queue",
        async () => await ready(channel, queue) === 2,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(done, false, "the write resolved before the confirm");
      proxy.releaseReplies();
      await written;
      await writer.close();
      await until("no connection left", () => proxy.open() === 0);
    } finally {
      await proxy.close();
    }
  });
});

test("amqpSink() fails a write when a mandatory message is unroutable, or on a missing exchange", async () => {
  const unroutable = await pipeline(
    [{ n: 1 }],
    amqpSink({
      url: URL_TEXT,
      routingKey: uniqueName("nowhere"),
      mandatory: true,
    }),
  ).then(() => undefined, (e) => e);
  assert.match(String(unroutable?.cause?.message ?? unroutable), /returned/);
  const missing = await pipeline(
    [{ n: 1 }],
    amqpSink({ url: URL_TEXT, exchange: uniqueName("none"), routingKey: "x" }),
  ).then(() => undefined, (e) => e);
  assert.match(String(missing?.cause?.message ?? missing), /NOT_FOUND/);
});

test("a cut connection: the source and the sink reconnect, lose nothing and keep running", async () => {
  await withBroker(async (channel) => {
    const input = uniqueName("in");
    const output = uniqueName("out");
    await channel.assertQueue(input, { durable: true });
    await channel.assertQueue(output, { durable: true });
    const proxy = await startProxy();
    const total = 300;
    try {
      const source = amqpSource({
        url: proxy.url,
        queue: input,
        batchSize: 10,
        reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
      });
      const running = pipeline(
        source,
        amqpSink<Message>({
          url: proxy.url,
          routingKey: output,
          value: "/value",
          reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
        }),
      );
      // What RunningPipeline.health said over the run.
      const states = { sources: new Set<string>(), sinks: new Set<string>() };
      const sampler = setInterval(() => {
        for (const kind of ["sources", "sinks"] as const) {
          for (const health of Object.values(running.health[kind])) {
            states[kind].add(health.state);
          }
        }
      }, 1);
      let cuts = 0;
      for (let n = 0; n < total; n += 10) {
        await publish(
          channel,
          input,
          Array.from({ length: 10 }, (_, k) => ({ n: n + k })),
        );
        if (n % 100 === 50) {
          proxy.cut();
          cuts++;
          await until("both to reconnect", () => proxy.open() === 2);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal(cuts, 3);
      const seen = new Set<number>();
      await until("every message in the output queue", async () => {
        for (;;) {
          const message = await channel.get(output, { noAck: true });
          if (!message) break;
          seen.add(JSON.parse(message.content.toString()).n);
        }
        return seen.size === total;
      }, 30_000);
      clearInterval(sampler);
      assert.equal(running.state, "running");
      assert.ok(states.sources.has("reconnecting"), [...states.sources].join());
      assert.ok(states.sinks.has("reconnecting"), [...states.sinks].join());
      for (const kind of ["sources", "sinks"] as const) {
        const now = Object.values(running.health[kind]);
        assert.deepEqual(now.map((health) => health.state), ["connected"]);
      }
      await running.stop();
      await until("no connection left", () => proxy.open() === 0);
      assert.equal(await ready(channel, input), 0);
    } finally {
      await proxy.close();
      await channel.deleteQueue(input);
      await channel.deleteQueue(output);
    }
  });
});

test("amqpDefinitions() check args without connecting", async () => {
  const [source, sink] = amqpDefinitions();
  const check = async (definition: typeof source, args: unknown) =>
    (await definition!.args["~standard"].validate(args)).issues === undefined;
  assert.ok(await check(source, { url: URL_TEXT, queue: "orders" }));
  assert.ok(!await check(source, { url: "http://x", queue: "orders" }));
  assert.ok(!await check(source, { url: URL_TEXT, queue: "" }));
  assert.ok(await check(sink, { url: URL_TEXT, routingKey: "q", key: "/id" }));
  assert.ok(!await check(sink, { url: URL_TEXT, key: "id" }));
});

interface Row {
  id: number;
  text: string;
  big?: bigint;
}

sourceConformance<Message>({
  name: "amqpSource",
  acknowledges: "server",
  record: (index) => ({ value: { id: index, text: `record ${index} ✓` } }),
  key: (message) => String((message.value as Row).id),
  same: (read, written) =>
    JSON.stringify(read.value) === JSON.stringify(written.value),
  async open() {
    const { channel } = await acquire();
    const queue = uniqueName("conformance");
    await channel.assertQueue(queue, { durable: true });
    const proxy = await startProxy();
    return {
      source: () => amqpSource({ url: proxy.url, queue, batchSize: 5 }),
      write: (messages) =>
        publish(channel, queue, messages.map((message) => message.value)),
      leaks: () =>
        proxy.open() === 0 ? [] : [`${proxy.open()} connection(s) to RabbitMQ`],
      async close() {
        await proxy.close();
        await channel.deleteQueue(queue);
        await release();
      },
    };
  },
}, { test, records: 40 });

sinkConformance<Row>({
  name: "amqpSink",
  record: (index) => ({ id: index, text: `record ${index} ✓` }),
  badRecord: (id) => ({ id, text: "cannot be JSON", big: 1n }),
  key: (row) => String(row.id),
  async open() {
    const { channel } = await acquire();
    const queue = uniqueName("conformance");
    await channel.assertQueue(queue, { durable: true });
    const proxy = await startProxy();
    const stored: Row[] = [];
    return {
      sink: () =>
        amqpSink<Row>({ url: proxy.url, routingKey: queue, key: "/id" }),
      async read() {
        // What the queue holds now, and no more: a sink that keeps
        // publishing would otherwise outrun the gets and read() never end.
        const { messageCount } = await channel.checkQueue(queue);
        for (let n = 0; n < messageCount; n++) {
          const message = await channel.get(queue, { noAck: true });
          if (!message) break;
          stored.push(JSON.parse(message.content.toString()));
        }
        return stored;
      },
      leaks: () =>
        proxy.open() === 0 ? [] : [`${proxy.open()} connection(s) to RabbitMQ`],
      async close() {
        await proxy.close();
        await channel.deleteQueue(queue);
        await release();
      },
    };
  },
}, { test, records: 40 });

test("amqpSource() acknowledges, on stop(), every batch the sink stored", async () => {
  await withQueue(async (queue, channel) => {
    await publish(channel, queue, Array.from({ length: 100 }, (_, n) => n));
    const stored: Message[] = [];
    const running = pipeline(
      amqpSource({ url: URL_TEXT, queue, batchSize: 5 }),
      batchSink<Message>({
        async write(records) {
          await new Promise((resolve) => setTimeout(resolve, 10));
          stored.push(...records);
        },
      }),
    );
    await until("20 stored", () => stored.length >= 20);
    const started = Date.now();
    const summary = await running.stop();
    assert.equal(summary.recordsWritten, stored.length);
    await until(
      "the rest ready in the queue",
      async () => await ready(channel, queue) === 100 - stored.length,
    );
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  });
});
