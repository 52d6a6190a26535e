// Copyright 2026 the @ca/streams authors. MIT license.

// redisStreamSource(): consumer-group reads, acknowledgement only in ack(),
// pending entries read again after an abort, XAUTOCLAIM takeover, a cut
// connection, undecodable entries, resets and connection errors, against
// the server at CA_TEST_REDIS_URL (default redis://127.0.0.1:6379). A
// missing server fails every test with how to start one.

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { batchSink, collect, map, pipeline } from "../../mod.ts";
import type { DeadLetter } from "../../src/failures/dead_letter.ts";
import type { Message } from "../../src/messages/message.ts";
import { MessageError } from "../../src/messages/message_error.ts";
import {
  RESUMABLE_SOURCE,
  type ResumableSource,
  type SourceBatch,
} from "../../src/sources/resumable_source.ts";
import {
  addValues,
  cleanUp,
  pendingCount,
  redisUrl,
  TcpProxy,
  testClient,
  uniqueKey,
  until,
} from "./_test_redis.ts";
import {
  RedisStreamError,
  redisStreamSource,
  resetRedisStreamGroup,
} from "./mod.ts";

const connected = testClient();
connected.catch(() => {}); // each test awaits it and fails with the message
after(async () => {
  const client = await connected.catch(() => undefined);
  if (client) await cleanUp(client);
});

/** The error or one of its causes that is a `type`. */
function findCause<E>(
  error: unknown,
  type: new (...args: never[]) => E,
): E | undefined {
  for (let e = error; e !== undefined && e !== null; e = (e as Error).cause) {
    if (e instanceof type) return e;
  }
  return undefined;
}

function openSource<T>(
  source: ResumableSource<T>,
  signal: AbortSignal,
): AsyncIterator<SourceBatch<T>> {
  const opened = source[RESUMABLE_SOURCE].open(undefined, { signal });
  return (opened as AsyncIterable<SourceBatch<T>>)[Symbol.asyncIterator]();
}

describe("redisStreamSource() in Redis", () => {
  test("reads entries as messages and acknowledges them only in ack()", async () => {
    const redis = await connected;
    const stream = uniqueKey("read");
    const id = await redis.sendCommand([
      "XADD",
      stream,
      "*",
      "value",
      '{"total":5}',
      "key",
      "o-1",
      "shop",
      "east",
    ]) as unknown as string;
    await addValues(redis, stream, [{ total: 6 }, { total: 7 }]);
    const source = redisStreamSource<{ total: number }>({
      url: redisUrl,
      stream,
      group: "g",
      blockMs: 50,
    });
    const abort = new AbortController();
    const batches = openSource(source, abort.signal);
    try {
      const batch = (await batches.next()).value as SourceBatch<
        Message<{ total: number }>
      >;
      assert.deepEqual(batch.records.map((m) => m.value.total), [5, 6, 7]);
      const first = batch.records[0]!;
      assert.equal(first.id, id);
      assert.equal(first.topic, stream);
      assert.equal(first.key, "o-1");
      assert.deepEqual(first.headers, { shop: "east" });
      assert.equal(
        first.time,
        new Date(Number(id.split("-")[0])).toISOString(),
      );
      assert.equal(batch.records[1]!.key, undefined);
      assert.equal(batch.position, batch.records[2]!.id);
      assert.equal(
        await pendingCount(redis, stream, "g"),
        3,
        "read, not acknowledged",
      );
      await source[RESUMABLE_SOURCE].ack!(batch.position);
      assert.equal(await pendingCount(redis, stream, "g"), 0);
    } finally {
      abort.abort();
      await batches.return?.();
    }
  });

  test("a pipeline aborted between read and store leaves the entries pending, and a rerun reads them", async () => {
    const redis = await connected;
    const stream = uniqueKey("abort");
    const ids = await addValues(redis, stream, [1, 2, 3, 4, 5]);
    // claimIdleMs 0: the rerun gets them as its own pending entries.
    const source = redisStreamSource<number>({
      url: redisUrl,
      stream,
      group: "g",
      claimIdleMs: 0,
      blockMs: 50,
    });
    let writes = 0;
    const stalled = pipeline(
      source,
      batchSink<Message<number>>({
        write: (_records, { signal }) =>
          new Promise((_resolve, reject) => {
            writes++;
            signal.addEventListener("abort", () => reject(signal.reason));
          }),
      }),
    );
    await until(() => writes > 0, "the sink to get a batch");
    await stalled.abort(new Error("crash"));
    assert.equal(
      await pendingCount(redis, stream, "g"),
      5,
      "nothing acknowledged",
    );

    const sink = collect<Message<number>>();
    const rerun = pipeline(source, sink);
    await until(() => sink.records.length >= 5, "the rerun to read 5 entries");
    await rerun.stop();
    assert.deepEqual(sink.records.map((m) => m.id), ids);
    assert.deepEqual(sink.records.map((m) => m.value), [1, 2, 3, 4, 5]);
    await until(
      async () => await pendingCount(redis, stream, "g") === 0,
      "every entry to be acknowledged",
    );
  });

  test("takes over the entries another consumer left pending (XAUTOCLAIM)", async () => {
    const redis = await connected;
    const stream = uniqueKey("claim");
    await redis.sendCommand(["XGROUP", "CREATE", stream, "g", "0", "MKSTREAM"]);
    const ids = await addValues(redis, stream, ["a", "b", "c"]);
    // A consumer reads them and dies without acknowledging.
    await redis.sendCommand([
      "XREADGROUP",
      "GROUP",
      "g",
      "dead",
      "STREAMS",
      stream,
      ">",
    ]);
    const later = await addValues(redis, stream, ["d"]);
    const sink = collect<Message<string>>();
    const running = pipeline(
      redisStreamSource<string>({
        url: redisUrl,
        stream,
        group: "g",
        consumer: "alive",
        claimIdleMs: 100,
        blockMs: 20,
      }),
      sink,
    );
    await until(
      () => sink.records.length >= 4,
      "the claimed and the new entries",
    );
    await running.stop();
    assert.deepEqual(
      sink.records.map((m) => m.id).sort(),
      [...ids, ...later].sort(),
    );
    assert.equal(
      new Set(sink.records.map((m) => m.id)).size,
      4,
      "no duplicates",
    );
    await until(
      async () => await pendingCount(redis, stream, "g") === 0,
      "the claimed entries to be acknowledged",
    );
  });

  test("entries still on their way are not claimed back into the same run", async () => {
    const redis = await connected;
    const stream = uniqueKey("slow");
    const ids = await addValues(redis, stream, [1, 2, 3]);
    const stored: string[] = [];
    // The sink takes longer than claimIdleMs: XAUTOCLAIM sees the entries
    // idle, at this very consumer, while they are on their way.
    const running = pipeline(
      redisStreamSource<number>({
        url: redisUrl,
        stream,
        group: "g",
        batchSize: 1,
        claimIdleMs: 20,
        blockMs: 10,
      }),
      batchSink<Message<number>>({
        async write(records) {
          await new Promise((resolve) => setTimeout(resolve, 150));
          stored.push(...records.map((m) => m.id!));
        },
      }),
    );
    await until(() => stored.length >= 3, "3 entries stored");
    await new Promise((resolve) => setTimeout(resolve, 200));
    await running.stop();
    assert.deepEqual(stored, ids, "each entry once");
  });

  test("a pending entry deleted from the stream is acknowledged with the next batch", async () => {
    const redis = await connected;
    const stream = uniqueKey("deleted");
    await redis.sendCommand(["XGROUP", "CREATE", stream, "g", "0", "MKSTREAM"]);
    const [gone, kept] = await addValues(redis, stream, ["gone", "kept"]);
    await redis.sendCommand([
      "XREADGROUP",
      "GROUP",
      "g",
      "me",
      "STREAMS",
      stream,
      ">",
    ]);
    await redis.sendCommand(["XDEL", stream, gone!]);
    const sink = collect<Message<string>>();
    const running = pipeline(
      redisStreamSource<string>({
        url: redisUrl,
        stream,
        group: "g",
        consumer: "me",
        claimIdleMs: 0,
        blockMs: 20,
      }),
      sink,
    );
    await until(() => sink.records.length >= 1, "the entry left");
    await running.stop();
    assert.deepEqual(sink.records.map((m) => m.id), [kept]);
    assert.equal(await pendingCount(redis, stream, "g"), 0);
  });

  test("reads on an injected client, which it leaves open", async () => {
    const redis = await connected;
    const stream = uniqueKey("injected");
    await addValues(redis, stream, [1, 2]);
    const client = redis.duplicate();
    await client.connect();
    try {
      const sink = collect<Message<number>>();
      const running = pipeline(
        redisStreamSource<number>({ client, stream, group: "g", blockMs: 20 }),
        sink,
      );
      await until(() => sink.records.length >= 2, "2 entries");
      await running.stop();
      assert.deepEqual(sink.records.map((m) => m.value), [1, 2]);
      assert.equal(await pendingCount(redis, stream, "g"), 0);
      assert.ok(client.isOpen, "the client is still open");
    } finally {
      await client.close();
    }
  });

  test("a connection cut mid-run reconnects, loses nothing, and the pipeline keeps running", async () => {
    const redis = await connected;
    const stream = uniqueKey("cut");
    const proxy = await TcpProxy.start();
    try {
      const sink = collect<Message<number>>();
      const running = pipeline(
        redisStreamSource<number>({
          url: proxy.url,
          stream,
          group: "g",
          blockMs: 100,
          batchSize: 7,
        }),
        sink,
      );
      const written: string[] = [];
      for (let round = 0; round < 10; round++) {
        written.push(
          ...await addValues(
            redis,
            stream,
            Array.from({ length: 10 }, (_, i) => round * 10 + i),
          ),
        );
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (round === 3 || round === 6) {
          await until(() => proxy.connections > 0, "the source to connect");
          proxy.cut();
        }
      }
      await until(
        () => new Set(sink.records.map((m) => m.id)).size >= 100,
        "all 100 entries after the cuts",
        20_000,
      );
      assert.equal(running.state, "running");
      // Two connections (reads, acks), reopened after each cut.
      assert.ok(
        proxy.accepted >= 4,
        `reconnected (${proxy.accepted} connections)`,
      );
      await running.stop();
      assert.deepEqual(
        [...new Set(sink.records.map((m) => m.id))].sort(),
        [...written].sort(),
      );
      await until(
        async () => await pendingCount(redis, stream, "g") === 0,
        "every entry to be acknowledged",
      );
      await until(
        () => proxy.connections === 0,
        "the source to close its connections",
      );
    } finally {
      await proxy.close();
    }
  });

  test("an entry that does not decode fails the pipeline with a MessageError and is not acknowledged", async () => {
    const redis = await connected;
    const stream = uniqueKey("bad");
    const bad = await redis.sendCommand([
      "XADD",
      stream,
      "*",
      "value",
      "{not json",
    ]) as unknown as string;
    await addValues(redis, stream, [1]);
    const sink = collect<Message<number>>();
    const running = pipeline(
      redisStreamSource<number>({
        url: redisUrl,
        stream,
        group: "g",
        blockMs: 50,
      }),
      sink,
    );
    const error = await Promise.resolve(running).then(
      () => assert.fail("the pipeline should fail"),
      (error: unknown) => error,
    );
    assert.equal(running.state, "degraded");
    const messageError = findCause(error, MessageError);
    assert.ok(messageError, `a MessageError, got ${error}`);
    assert.equal(messageError.connector, "redis-stream-source");
    assert.match(
      messageError.message,
      new RegExp(`Cannot decode entry ${bad} of stream`),
    );
    assert.equal((messageError.raw as { id: string }).id, bad);
    assert.equal(
      (messageError.raw as { payload: string }).payload,
      "{not json",
    );
    assert.equal(sink.records.length, 0);
    assert.equal(
      await pendingCount(redis, stream, "g"),
      2,
      "nothing acknowledged",
    );
    // A rerun reads both again (as text, which decodes).
    const text = collect<Message<string>>();
    const rerun = pipeline(
      redisStreamSource<string>({
        url: redisUrl,
        stream,
        group: "g",
        format: "text",
        blockMs: 50,
      }),
      text,
    );
    await until(() => text.records.length >= 2, "the rerun to read 2 entries");
    await rerun.stop();
    assert.deepEqual(text.records.map((m) => m.value), ["{not json", "1"]);
  });

  test("with a dead letter, an entry that does not decode goes there once and is acknowledged", async () => {
    const redis = await connected;
    const stream = uniqueKey("dead");
    const [first] = await addValues(redis, stream, [1]);
    const bad = await redis.sendCommand([
      "XADD",
      stream,
      "*",
      "value",
      "{not json",
    ]) as unknown as string;
    await addValues(redis, stream, [3]);
    const source = redisStreamSource<number>({
      url: redisUrl,
      stream,
      group: "g",
      blockMs: 50,
      claimIdleMs: 0,
    });
    const sink = collect<Message<number>>();
    const letters: DeadLetter[] = [];
    const running = pipeline(source, sink, {
      deadLetter: new WritableStream({
        write: (letter) => void letters.push(letter),
      }),
    });
    await until(
      () => sink.records.length === 2 && letters.length === 1,
      "2 stored and 1 dead letter",
    );
    await until(
      async () => await pendingCount(redis, stream, "g") === 0,
      "every entry to be acknowledged",
    );
    assert.equal(running.state, "running");
    const summary = await running.stop();
    assert.equal(summary.recordsDeadLettered, 1);
    assert.deepEqual(sink.records.map((m) => m.value), [1, 3]);
    assert.equal(sink.records[0]!.id, first);
    const [letter] = letters;
    assert.equal(letter!.stageIndex, -1);
    assert.ok(letter!.error instanceof MessageError);
    assert.equal(letter!.error.connector, "redis-stream-source");
    assert.match(
      letter!.error.message,
      new RegExp(`Cannot decode entry ${bad} of stream`),
    );
    const raw = letter!.record as { id: string; payload: string };
    assert.equal(raw.id, bad);
    assert.equal(raw.payload, "{not json");
    // Done: a rerun does not read it again.
    await addValues(redis, stream, [4]);
    const again = collect<Message<number>>();
    const rerun = pipeline(source, again);
    await until(
      () => again.records.some((m) => m.value === 4),
      "the rerun to read the new entry",
    );
    await rerun.stop();
    assert.deepEqual(again.records.map((m) => m.value), [4]);
  });

  test("a record the pipeline dead-letters is acknowledged like a stored one (Redis has no reject)", async () => {
    const redis = await connected;
    const stream = uniqueKey("rejected");
    await addValues(redis, stream, [1, 2, 3]);
    const source = redisStreamSource<number>({
      url: redisUrl,
      stream,
      group: "g",
      blockMs: 50,
      claimIdleMs: 0,
    });
    const sink = collect<Message<number>>();
    const letters: DeadLetter[] = [];
    const running = pipeline(
      source,
      map((message: Message<number>) => {
        if (message.value === 2) throw new Error("Cannot take 2");
        return message;
      }),
      sink,
      {
        deadLetter: new WritableStream({
          write: (letter) => void letters.push(letter),
        }),
      },
    );
    await until(
      () => sink.records.length === 2 && letters.length === 1,
      "2 stored and 1 dead letter",
    );
    await until(
      async () => await pendingCount(redis, stream, "g") === 0,
      "every entry to be acknowledged",
    );
    await running.stop();
    assert.equal((letters[0]!.record as Message<number>).value, 2);
    await addValues(redis, stream, [4]);
    const again = collect<Message<number>>();
    const rerun = pipeline(source, again);
    await until(
      () => again.records.some((m) => m.value === 4),
      "the rerun to read the new entry",
    );
    await rerun.stop();
    assert.deepEqual(again.records.map((m) => m.value), [4]);
  });

  test("an entry without the value field is a MessageError naming the field", async () => {
    const redis = await connected;
    const stream = uniqueKey("nofield");
    await redis.sendCommand(["XADD", stream, "*", "body", "1"]);
    const running = pipeline(
      redisStreamSource({ url: redisUrl, stream, group: "g", blockMs: 50 }),
      collect(),
    );
    const error = await Promise.resolve(running).then(
      () => undefined,
      (e: unknown) => e,
    );
    const messageError = findCause(error, MessageError);
    assert.ok(messageError);
    assert.match(messageError.message, /has no field "value"/);
  });

  test("format bytes and text, and a valueField of one's own", async () => {
    const redis = await connected;
    const stream = uniqueKey("bytes");
    const { Buffer } = await import("node:buffer");
    await redis.sendCommand([
      "XADD",
      stream,
      "*",
      "body",
      Buffer.from([0, 255, 128]),
    ]);
    const abort = new AbortController();
    const bytes = openSource(
      redisStreamSource<Uint8Array>({
        url: redisUrl,
        stream,
        group: "g1",
        format: "bytes",
        valueField: "body",
      }),
      abort.signal,
    );
    const texts = openSource(
      redisStreamSource<string>({
        url: redisUrl,
        stream,
        group: "g2",
        format: "text",
        valueField: "body",
      }),
      abort.signal,
    );
    try {
      const value = (await bytes.next()).value!.records[0]!.value;
      assert.ok(value instanceof Uint8Array);
      assert.deepEqual([...value], [0, 255, 128]);
      const text = (await texts.next()).value!.records[0]!.value;
      assert.equal(typeof text, "string");
    } finally {
      abort.abort();
      await bytes.return?.();
      await texts.return?.();
    }
  });

  test("resetRedisStreamGroup() moves the group and drops what was pending", async () => {
    const redis = await connected;
    const stream = uniqueKey("reset");
    const ids = await addValues(redis, stream, [1, 2, 3]);
    const source = redisStreamSource<number>({
      url: redisUrl,
      stream,
      group: "g",
      blockMs: 50,
    });
    const readAll = async (count: number) => {
      const sink = collect<Message<number>>();
      const running = pipeline(source, sink);
      await until(() => sink.records.length >= count, `${count} entries`);
      await running.stop();
      return sink.records.map((m) => m.value);
    };
    assert.deepEqual(await readAll(3), [1, 2, 3]);
    assert.equal(
      await resetRedisStreamGroup({
        url: redisUrl,
        stream,
        group: "g",
        to: ids[0]!,
      }),
      0,
    );
    assert.deepEqual(await readAll(2), [2, 3]);
    // Pending entries are dropped: a consumer read one and did not ack it.
    await resetRedisStreamGroup({
      url: redisUrl,
      stream,
      group: "g",
      to: ids[1]!,
    });
    await redis.sendCommand([
      "XREADGROUP",
      "GROUP",
      "g",
      "other",
      "COUNT",
      "1",
      "STREAMS",
      stream,
      ">",
    ]);
    assert.equal(
      await resetRedisStreamGroup({
        url: redisUrl,
        stream,
        group: "g",
        to: "start",
      }),
      1,
    );
    assert.equal(await pendingCount(redis, stream, "g"), 0);
    assert.deepEqual(await readAll(3), [1, 2, 3]);
    await resetRedisStreamGroup({
      url: redisUrl,
      stream,
      group: "g",
      to: "end",
    });
    await addValues(redis, stream, [4]);
    assert.deepEqual(await readAll(1), [4]);
    await assert.rejects(
      resetRedisStreamGroup({
        url: redisUrl,
        stream,
        group: "g",
        to: "yesterday",
      }),
      /to must be "start", "end" or an entry id/,
    );
  });

  test("start: newest makes a group that reads only new entries", async () => {
    const redis = await connected;
    const stream = uniqueKey("newest");
    await addValues(redis, stream, ["old"]);
    const sink = collect<Message<string>>();
    const running = pipeline(
      redisStreamSource<string>({
        url: redisUrl,
        stream,
        group: "g",
        start: "newest",
        blockMs: 20,
      }),
      sink,
    );
    await until(async () => {
      const groups = await redis.sendCommand([
        "XINFO",
        "GROUPS",
        stream,
      ]) as unknown[];
      return groups.length === 1;
    }, "the group to exist");
    await addValues(redis, stream, ["new"]);
    await until(() => sink.records.length >= 1, "the new entry");
    await running.stop();
    assert.deepEqual(sink.records.map((m) => m.value), ["new"]);
  });

  test("an unreachable server and wrong credentials fail at start with a clear error", async () => {
    const unreachable = pipeline(
      redisStreamSource({
        url: "redis://127.0.0.1:1",
        stream: "s",
        group: "g",
      }),
      collect(),
    );
    const error = await Promise.resolve(unreachable).then(
      () => undefined,
      (e: unknown) => e,
    );
    const redisError = findCause(error, RedisStreamError);
    assert.ok(redisError, `a RedisStreamError, got ${error}`);
    assert.equal(redisError.code, "CA_ERR_REDIS");
    assert.match(
      redisError.message,
      /^Cannot connect to redis:\/\/127\.0\.0\.1:1 \(redis-stream-source\): /,
    );

    const url = new URL(redisUrl);
    url.username = "nobody";
    url.password = "s3cret-password";
    const refused = pipeline(
      redisStreamSource({ url: url.href, stream: "s", group: "g" }),
      collect(),
    );
    const authError = await Promise.resolve(refused).then(
      () => undefined,
      (e: unknown) => e,
    );
    const authRedisError = findCause(authError, RedisStreamError);
    assert.ok(authRedisError, `a RedisStreamError, got ${authError}`);
    assert.match(authRedisError.message, /WRONGPASS|NOAUTH|invalid/i);
    assert.match(authRedisError.message, /nobody:\*\*\*@/);
    assert.doesNotMatch(authRedisError.message, /s3cret/);
  });

  test("wrong options are TypeErrors naming the option", () => {
    assert.throws(
      () => redisStreamSource({ url: redisUrl, stream: "", group: "g" }),
      /stream must be a non-empty string/,
    );
    assert.throws(
      () => redisStreamSource({ stream: "s", group: "g" }),
      /client or url is required/,
    );
    assert.throws(
      () => redisStreamSource({ url: "http://x", stream: "s", group: "g" }),
      /url must be a redis:\/\/ or rediss:\/\/ URL/,
    );
    assert.throws(
      () =>
        redisStreamSource({
          url: redisUrl,
          stream: "s",
          group: "g",
          claimIdleMs: -1,
        }),
      /claimIdleMs must be an integer of 0 or more/,
    );
    assert.throws(
      () =>
        redisStreamSource({
          url: redisUrl,
          stream: "s",
          group: "g",
          valueField: "k",
          keyField: "k",
        }),
      /valueField and keyField must differ/,
    );
  });
});
