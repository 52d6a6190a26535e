// Copyright 2026 the @ca/streams authors. MIT license.

// redisStreamSink(): entry layout, one round trip per batch, MAXLEN,
// encoding errors before anything is sent, a cut connection, and errors,
// against the server at CA_TEST_REDIS_URL (default
// redis://127.0.0.1:6379). A missing server fails every test with how to
// start one.

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { pipeline, resumableSource } from "../../mod.ts";
import { MessageError } from "../../src/messages/message_error.ts";
import {
  cleanUp,
  redisUrl,
  TcpProxy,
  testClient,
  uniqueKey,
  until,
} from "./_test_redis.ts";
import { RedisStreamError, redisStreamSink } from "./mod.ts";

const connected = testClient();
connected.catch(() => {}); // each test awaits it and fails with the message
after(async () => {
  const client = await connected.catch(() => undefined);
  if (client) await cleanUp(client);
});

function findCause<E>(
  error: unknown,
  type: new (...args: never[]) => E,
): E | undefined {
  for (let e = error; e !== undefined && e !== null; e = (e as Error).cause) {
    if (e instanceof type) return e;
  }
  return undefined;
}

type Fields = Record<string, string>;

/** The entries of a stream, as objects of their fields. */
async function entries(stream: string): Promise<Fields[]> {
  const redis = await connected;
  const reply = await redis.sendCommand(["XRANGE", stream, "-", "+"]) as Array<
    [string, string[]]
  >;
  return reply.map(([, fields]) => {
    const out: Fields = {};
    for (let i = 0; i < fields.length; i += 2) out[fields[i]!] = fields[i + 1]!;
    return out;
  });
}

async function length(stream: string): Promise<number> {
  const redis = await connected;
  return Number(await redis.sendCommand(["XLEN", stream]));
}

describe("redisStreamSink() in Redis", () => {
  test("writes the value as JSON, the key and each header as fields", async () => {
    await connected;
    const stream = uniqueKey("layout");
    type Order = { id: string; total: number; region: string };
    await pipeline(
      [{ id: "o-1", total: 5, region: "eu" }, {
        id: "o-2",
        total: 7,
        region: "us",
      }],
      redisStreamSink<Order>({
        url: redisUrl,
        stream,
        value: (order) => ({ total: order.total }),
        key: "/id",
        headers: (order) => ({ region: order.region }),
      }),
    );
    assert.deepEqual(await entries(stream), [
      { value: '{"total":5}', key: "o-1", region: "eu" },
      { value: '{"total":7}', key: "o-2", region: "us" },
    ]);
  });

  test("a record's topic picks its stream; format text and fields of one's own", async () => {
    await connected;
    const a = uniqueKey("topic-a");
    const b = uniqueKey("topic-b");
    await pipeline(
      [{ to: a, text: "x" }, { to: b, text: "y" }, { to: a, text: "z" }],
      redisStreamSink<{ to: string; text: string }>({
        url: redisUrl,
        topic: "/to",
        value: "/text",
        format: "text",
        valueField: "body",
      }),
    );
    assert.deepEqual(await entries(a), [{ body: "x" }, { body: "z" }]);
    assert.deepEqual(await entries(b), [{ body: "y" }]);
  });

  test("writes on an injected client, which it leaves open", async () => {
    const redis = await connected;
    const stream = uniqueKey("injected");
    await pipeline([{ n: 1 }], redisStreamSink({ client: redis, stream }));
    assert.deepEqual(await entries(stream), [{ value: '{"n":1}' }]);
    assert.ok(redis.isOpen, "the client is still open");
  });

  test("sends a whole batch in one round trip", async () => {
    await connected;
    const stream = uniqueKey("pipelined");
    const proxy = await TcpProxy.start();
    try {
      let xadds = 0;
      let atFirstReply: number | undefined;
      let counting = false;
      proxy.tap = (direction, chunk) => {
        if (!counting) return;
        if (direction === "up") {
          xadds +=
            new TextDecoder().decode(chunk).split("\r\nXADD\r\n").length -
            1;
        } else atFirstReply ??= xadds;
      };
      const batches = [
        [{ warm: true }],
        Array.from({ length: 200 }, (_, n) => ({ n })),
      ];
      const sink = redisStreamSink({ url: proxy.url, stream });
      await pipeline(
        resumableSource<unknown>({
          async *open() {
            // The first batch connects; the counting starts with the second.
            yield { records: batches[0]!, position: 0 };
            await until(
              async () => await length(stream) === 1,
              "the first batch",
            );
            counting = true;
            yield { records: batches[1]!, position: 1 };
          },
        }),
        sink,
      );
      assert.equal(await length(stream), 201);
      assert.equal(xadds, 200);
      assert.equal(
        atFirstReply,
        200,
        "every XADD was sent before the first reply came",
      );
    } finally {
      await proxy.close();
    }
  });

  test("maxLen trims the stream to about that many entries (MAXLEN ~)", async () => {
    await connected;
    const stream = uniqueKey("maxlen");
    await pipeline(
      Array.from({ length: 2000 }, (_, n) => ({ n })),
      redisStreamSink({ url: redisUrl, stream, maxLen: 100 }),
    );
    const kept = await length(stream);
    assert.ok(kept >= 100 && kept < 400, `kept ${kept} entries`);
    const last = (await entries(stream)).at(-1)!;
    assert.equal(last.value, '{"n":1999}');
  });

  test("a record that cannot be encoded fails the batch before anything is sent", async () => {
    await connected;
    const stream = uniqueKey("encode");
    const running = pipeline(
      [{ n: 1 }, { n: 2 }, { n: 3n }],
      redisStreamSink<{ n: number | bigint }>({ url: redisUrl, stream }),
    );
    const error = await Promise.resolve(running).then(
      () => undefined,
      (e: unknown) => e,
    );
    const messageError = findCause(error, MessageError);
    assert.ok(messageError, `a MessageError, got ${error}`);
    assert.equal(messageError.connector, "redis-stream-sink");
    assert.deepEqual(messageError.raw, { n: 3n });
    assert.equal(await length(stream), 0);

    const clash = pipeline(
      [{ n: 1 }],
      redisStreamSink<{ n: number }>({
        url: redisUrl,
        stream,
        headers: () => ({ value: "x" }),
      }),
    );
    const clashError = await Promise.resolve(clash).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.match(
      String(findCause(clashError, MessageError)?.message),
      /header "value" has the name of the value or key field/,
    );
  });

  test("a connection cut mid-run reconnects and loses nothing", async () => {
    await connected;
    const stream = uniqueKey("cut");
    const proxy = await TcpProxy.start();
    try {
      const sink = redisStreamSink<{ n: number }>({ url: proxy.url, stream });
      const running = pipeline(
        resumableSource<{ n: number }>({
          async *open() {
            for (let batch = 0; batch < 20; batch++) {
              const records = Array.from({ length: 50 }, (_, i) => ({
                n: batch * 50 + i,
              }));
              yield { records, position: batch };
              await new Promise((resolve) => setTimeout(resolve, 10));
              if (batch === 5 || batch === 12) proxy.cut();
            }
          },
        }),
        sink,
      );
      await running;
      assert.equal(running.state, "stopped");
      assert.ok(
        proxy.accepted >= 3,
        `reconnected (${proxy.accepted} connections)`,
      );
      const seen = new Set((await entries(stream)).map((e) => e.value));
      for (let n = 0; n < 1000; n++) {
        assert.ok(seen.has(JSON.stringify({ n })), `record ${n} is stored`);
      }
      await until(
        () => proxy.connections === 0,
        "the sink to close its connection",
      );
    } finally {
      await proxy.close();
    }
  });

  test("an unreachable server fails the first write with a clear error", async () => {
    const running = pipeline(
      [1],
      redisStreamSink({ url: "redis://:hunter2@127.0.0.1:1", stream: "s" }),
    );
    const error = await Promise.resolve(running).then(
      () => undefined,
      (e: unknown) => e,
    );
    const redisError = findCause(error, RedisStreamError);
    assert.ok(redisError, `a RedisStreamError, got ${error}`);
    assert.match(
      redisError.message,
      /^Cannot connect to redis:\/\/:\*\*\*@127\.0\.0\.1:1 \(redis-stream-sink\): /,
    );
    assert.doesNotMatch(redisError.message, /hunter2/);
  });

  test("wrong options are errors naming the option", () => {
    assert.throws(
      () => redisStreamSink({ url: redisUrl }),
      /stream is required, or topic/,
    );
    assert.throws(
      () => redisStreamSink({ url: redisUrl, stream: "s", maxLen: 0 }),
      /maxLen must be a positive integer/,
    );
    assert.throws(
      () =>
        redisStreamSink({
          client: { sendCommand: () => Promise.resolve(null) },
          url: redisUrl,
          stream: "s",
        }),
      /either client or url, not both/,
    );
  });
});
