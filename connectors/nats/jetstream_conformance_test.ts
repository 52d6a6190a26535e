// Copyright 2026 the @ca/streams authors. MIT license.
// The conformance kit on jetStreamSource and jetStreamSink, against the
// real NATS server (CA_TEST_NATS_URL overrides nats://127.0.0.1:4222).

import { test } from "node:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { Message } from "../../src/messages/message.ts";
import { sinkConformance } from "../../src/testing/sink_conformance.ts";
import { sourceConformance } from "../../src/testing/source_conformance.ts";
import { jetStreamSink } from "./jetstream_sink.ts";
import { jetStreamSource } from "./jetstream_source.ts";
import {
  sleep,
  tcpProxy,
  testConnection,
  testStream,
  uniqueName,
} from "./_nats_test_helpers.ts";

interface Row {
  id: number;
  text: string;
  /** Only the bad record has one: JSON cannot hold a bigint. */
  big?: bigint;
}

const row = (id: number): Row => ({ id, text: `record ${id} ✓ "q" \\` });

/** Every message of a stream, in order, as JSON. */
async function readStream(nc: NatsConnection, name: string): Promise<Row[]> {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(name);
  const rows: Row[] = [];
  for (
    let seq = state.first_seq;
    seq <= state.last_seq && state.messages > 0;
    seq++
  ) {
    const stored = await jsm.streams.getMessage(name, { seq }).catch(() =>
      null
    );
    if (stored) rows.push(stored.json<Row>());
  }
  return rows;
}

sourceConformance<Message<Row>>({
  name: "jetStreamSource",
  record: (index) => ({ value: row(index) }),
  key: (message) => String(message.value.id),
  same: (read, written) =>
    JSON.stringify(read.value) === JSON.stringify(written.value),
  acknowledges: "server",
  async open() {
    const nc = await testConnection();
    const stream = await testStream(nc);
    const consumer = uniqueName("conformance");
    const js = jetstream(nc);
    // The source connects through a proxy of the test's own, which counts
    // the connections still open: what leaks() reports.
    const proxy = await tcpProxy();
    let last = 0;
    return {
      source: () =>
        jetStreamSource<Row>({
          url: proxy.url,
          stream: stream.name,
          consumer,
          batchSize: 10,
          fetchWaitMs: 1000,
        }),
      async write(records) {
        const acks = await Promise.all(
          records.map((record) =>
            js.publish(`${stream.subject}.rows`, JSON.stringify(record.value))
          ),
        );
        last = Math.max(last, ...acks.map((ack) => ack.seq));
      },
      async acknowledged() {
        const jsm = await jetstreamManager(nc);
        for (;;) {
          const info = await jsm.consumers.info(stream.name, consumer);
          if (info.ack_floor.stream_seq >= last && info.num_ack_pending === 0) {
            return;
          }
          await sleep(20);
        }
      },
      leaks: () =>
        proxy.open > 0 ? [`${proxy.open} connection(s) to the server`] : [],
      async close() {
        await proxy.close();
        await stream.delete();
        await nc.close();
      },
    };
  },
}, { test, timeoutMs: 15_000 });

sinkConformance<Row>({
  name: "jetStreamSink",
  record: row,
  badRecord: (id) => ({ id, text: "cannot be JSON", big: 1n }),
  key: (record) => String(record.id),
  async open() {
    const nc = await testConnection();
    const stream = await testStream(nc);
    const proxy = await tcpProxy();
    return {
      sink: () =>
        jetStreamSink<Row>({
          url: proxy.url,
          subject: `${stream.subject}.rows`,
          key: "/id",
        }),
      read: () => readStream(nc, stream.name),
      leaks: () =>
        proxy.open > 0 ? [`${proxy.open} connection(s) to the server`] : [],
      async close() {
        await proxy.close();
        await stream.delete();
        await nc.close();
      },
    };
  },
}, { test, timeoutMs: 15_000 });
