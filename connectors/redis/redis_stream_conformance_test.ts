// Copyright 2026 the @ca/streams authors. MIT license.

// The conformance kit on redisStreamSource (a source whose server keeps
// the position: acknowledges "server") and redisStreamSink, against the
// server at CA_TEST_REDIS_URL (default redis://127.0.0.1:6379). Each case
// gets a stream of its own and a TCP proxy, whose open connections are
// what the connector still holds.

import { after, test } from "node:test";
import type { Message } from "../../src/messages/message.ts";
import { sinkConformance, sourceConformance } from "../../src/testing/mod.ts";
import {
  activeTimers,
  timersAbove,
} from "../../tests/conformance/_resources.ts";
import {
  addValues,
  cleanUp,
  TcpProxy,
  testClient,
  uniqueKey,
  until,
} from "./_test_redis.ts";
import { redisStreamSink, redisStreamSource } from "./mod.ts";

interface Row {
  id: number;
  text: string;
  /** Only the bad record has one: JSON cannot hold a bigint. */
  big?: bigint;
}

const row = (id: number): Row => ({ id, text: `record ${id} ✓ "q" \\` });

const connected = testClient();
connected.catch(() => {}); // each case awaits it and fails with the message
after(async () => {
  const client = await connected.catch(() => undefined);
  if (client) await cleanUp(client);
});

sourceConformance<Message<Row>>({
  name: "redisStreamSource",
  record: (index) => ({ value: row(index) }),
  key: (message) => String(message.value.id),
  same: (read, written) =>
    JSON.stringify(read.value) === JSON.stringify(written.value),
  acknowledges: "server",
  async open() {
    const redis = await connected;
    const stream = uniqueKey("source-conformance");
    const proxy = await TcpProxy.start();
    const timers = activeTimers();
    const source = redisStreamSource<Row>({
      url: proxy.url,
      stream,
      group: "g",
      batchSize: 10,
      blockMs: 50,
    });
    return {
      source: () => source,
      async write(messages) {
        await addValues(redis, stream, messages.map((m) => m.value));
      },
      async acknowledged() {
        // Every entry written was delivered to the group and acknowledged.
        await until(async () => {
          const [info] = await redis.sendCommand([
            "XINFO",
            "GROUPS",
            stream,
          ]) as unknown as Array<Record<string, unknown> | unknown[]>;
          const fields = Array.isArray(info)
            ? Object.fromEntries(
              Array.from(
                { length: info.length / 2 },
                (_, i) => [info[2 * i], info[2 * i + 1]],
              ),
            )
            : info!;
          const last = await redis.sendCommand([
            "XREVRANGE",
            stream,
            "+",
            "-",
            "COUNT",
            "1",
          ]) as unknown as Array<
            [string]
          >;
          return Number(fields.pending) === 0 &&
            fields["last-delivered-id"] === last[0]?.[0];
        }, "the group to acknowledge every entry");
      },
      leaks: () => [
        ...(proxy.connections > 0
          ? [`${proxy.connections} connection(s) to Redis`]
          : []),
        ...timersAbove(timers),
      ],
      close: () => proxy.close(),
    };
  },
}, { test });

sinkConformance<Row>({
  name: "redisStreamSink",
  record: row,
  badRecord: (id) => ({ id, text: "cannot be JSON", big: 1n }),
  key: (record) => String(record.id),
  async open() {
    const redis = await connected;
    const stream = uniqueKey("sink-conformance");
    const proxy = await TcpProxy.start();
    const timers = activeTimers();
    return {
      sink: () => redisStreamSink<Row>({ url: proxy.url, stream }),
      async read() {
        const reply = await redis.sendCommand([
          "XRANGE",
          stream,
          "-",
          "+",
        ]) as unknown as Array<
          [string, string[]]
        >;
        return reply.map(([, fields]) =>
          JSON.parse(fields[fields.indexOf("value") + 1]!) as Row
        );
      },
      leaks: () => [
        ...(proxy.connections > 0
          ? [`${proxy.connections} connection(s) to Redis`]
          : []),
        ...timersAbove(timers),
      ],
      close: () => proxy.close(),
    };
  },
}, { test });
