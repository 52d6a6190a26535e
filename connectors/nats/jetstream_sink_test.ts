// Copyright 2026 the @ca/streams authors. MIT license.
// jetStreamSink against the real NATS server (CA_TEST_NATS_URL overrides
// nats://127.0.0.1:4222), on Deno and Node.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { MessageError } from "../../src/messages/message_error.ts";
import { jetStreamSink } from "./jetstream_sink.ts";
import {
  NATS_URL,
  sleep,
  tcpProxy,
  testConnection,
  type TestStream,
  testStream,
  until,
} from "./_nats_test_helpers.ts";

type Order = { id: string; region: string; total: number };

interface Stored {
  subject: string;
  data: string;
  headers: Record<string, string>;
}

async function readStream(
  nc: NatsConnection,
  stream: TestStream,
): Promise<Stored[]> {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(stream.name);
  const out: Stored[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const message = await jsm.streams.getMessage(stream.name, { seq }).catch(
      () => null,
    );
    if (message === null) continue;
    const headers: Record<string, string> = {};
    for (const name of message.header?.keys() ?? []) {
      headers[name] = message.header.get(name);
    }
    out.push({ subject: message.subject, data: message.string(), headers });
  }
  return out;
}

async function withStream(
  body: (nc: NatsConnection, stream: TestStream) => Promise<void>,
): Promise<void> {
  const nc = await testConnection();
  const stream = await testStream(nc, { duplicateWindowMs: 60_000 });
  try {
    await body(nc, stream);
  } finally {
    await stream.delete();
    await nc.close();
  }
}

const orders: Order[] = [
  { id: "a1", region: "eu", total: 3 },
  { id: "a2", region: "us", total: 5 },
  { id: "a3", region: "eu", total: 8 },
];

test(
  "jetStreamSink() publishes each record with its subject, headers and Nats-Msg-Id",
  { timeout: 30_000 },
  async () => {
    await withStream(async (nc, stream) => {
      const summary = await pipeline(
        orders,
        jetStreamSink<Order>({
          url: NATS_URL,
          subject: `${stream.subject}.unknown`,
          topic: (order) => `${stream.subject}.${order.region}`,
          key: "/id",
          headers: (order) => ({ "total": String(order.total) }),
        }),
      );
      assert.equal(summary.recordsWritten, 3);
      const stored = await readStream(nc, stream);
      assert.deepEqual(stored.map((m) => m.subject), [
        `${stream.subject}.eu`,
        `${stream.subject}.us`,
        `${stream.subject}.eu`,
      ]);
      assert.deepEqual(JSON.parse(stored[1]!.data), orders[1]);
      assert.equal(stored[1]!.headers["Nats-Msg-Id"], "a2");
      assert.equal(stored[1]!.headers["total"], "5");
    });
  },
);

test(
  "jetStreamSink() with a key: a duplicate publish within the window is stored once",
  { timeout: 30_000 },
  async () => {
    await withStream(async (nc, stream) => {
      const sink = () =>
        jetStreamSink<Order>({
          url: NATS_URL,
          subject: `${stream.subject}.orders`,
          key: "/id",
        });
      await pipeline(orders, sink());
      // The same batch again (a rerun after a crash), and a repeat inside a batch.
      await pipeline([...orders, orders[0]!], sink());
      const stored = await readStream(nc, stream);
      assert.deepEqual(stored.map((m) => JSON.parse(m.data).id), [
        "a1",
        "a2",
        "a3",
      ]);
      // Without a key, nothing is deduplicated.
      await pipeline(
        orders,
        jetStreamSink<Order>({
          url: NATS_URL,
          subject: `${stream.subject}.orders`,
        }),
      );
      assert.equal((await readStream(nc, stream)).length, 6);
    });
  },
);

test(
  "jetStreamSink() encodes the whole batch first: a bad record sends nothing",
  { timeout: 30_000 },
  async () => {
    await withStream(async (nc, stream) => {
      const sink = jetStreamSink<{ n: number | bigint }>({
        url: NATS_URL,
        subject: `${stream.subject}.numbers`,
      });
      const error = await pipeline([{ n: 1 }, { n: 2n }, { n: 3 }], sink).then(
        () => undefined,
        (error: unknown) => error,
      );
      let cause: unknown = error;
      while (cause instanceof Error && !(cause instanceof MessageError)) {
        cause = cause.cause;
      }
      assert.ok(cause instanceof MessageError, `got ${error}`);
      assert.equal(cause.connector, "jetstream-sink");
      assert.equal((await readStream(nc, stream)).length, 0);
    });
  },
);

test("jetStreamSink() fails clearly when no stream captures the subject", {
  timeout: 30_000,
}, async () => {
  const error = await pipeline(
    [{ n: 1 }],
    jetStreamSink({ url: NATS_URL, subject: "ca_no_stream_here.x" }),
  ).then(() => undefined, (error: unknown) => error);
  assert.match(String(error), /no stream captures the subject/);
});

test(
  "jetStreamSink() rides out cut connections: nothing lost, stored once, still running",
  { timeout: 60_000 },
  async () => {
    await withStream(async (nc, stream) => {
      const proxy = await tcpProxy();
      try {
        const total = 300;
        let produced = 0;
        const orders = async function* (): AsyncGenerator<Order> {
          for (; produced < total; produced++) {
            yield { id: `o${produced}`, region: "eu", total: produced };
            if (produced % 10 === 9) await sleep(5);
          }
        };
        const run = pipeline(
          orders(),
          jetStreamSink<Order>({
            url: proxy.url,
            connectOptions: { reconnectTimeWait: 100 },
            subject: `${stream.subject}.orders`,
            key: "/id",
            timeoutMs: 500,
          }),
          { batchSize: 20 },
        );
        await until(() => produced >= 80, "80 produced");
        proxy.cut();
        await until(() => produced >= 160, "160 produced");
        proxy.pause(true);
        proxy.cut();
        await sleep(800); // PubAcks time out meanwhile: the sink waits and retries
        assert.equal(run.state, "running");
        assert.equal(run.health.sinks.sink?.state, "reconnecting");
        proxy.pause(false);
        const summary = await run;
        assert.equal(summary.recordsWritten, total);
        assert.ok(proxy.accepted >= 3, `reconnected (${proxy.accepted})`);
        const ids = (await readStream(nc, stream)).map((m) =>
          JSON.parse(m.data).id
        );
        assert.equal(new Set(ids).size, total, "every record stored");
        assert.equal(ids.length, total, "each once (Nats-Msg-Id)");
      } finally {
        await proxy.close();
      }
    });
  },
);
