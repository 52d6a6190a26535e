// cloudEventsReader(): a fetch handler that answers 2xx only once the
// pipeline stored the events, and the error statuses.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type CloudEvent,
  cloudEventsReader,
  encodeHttpBatch,
  encodeHttpBinary,
  encodeHttpStructured,
} from "@ca/streams/cloudevents";
import { batchSink, collect, filter, memoryStore, pipeline } from "@ca/streams";
import { sample, serve, sleep } from "./_helpers.ts";

const checkpoint = () => ({ store: memoryStore() });

function post(
  message: { headers: Headers; body: BodyInit | null },
  url = "http://reader.test/",
): Request {
  const init: RequestInit & { duplex?: "half" } = {
    method: "POST",
    ...message,
  };
  if (message.body instanceof ReadableStream) init.duplex = "half";
  return new Request(url, init);
}

/** Whether a promise is still pending after the event loop turned. */
async function isPending(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol("pending");
  const winner = await Promise.race([promise, sleep(20).then(() => marker)]);
  return winner === marker;
}

describe("cloudEventsReader() answers", () => {
  test("2xx only once the sink's deferred acknowledgement arrived", async () => {
    const reader = cloudEventsReader<number>();
    const acks: (() => void)[] = [];
    const stored: CloudEvent<number>[] = [];
    const sink = batchSink<CloudEvent<number>>({
      write(records, context) {
        stored.push(...records);
        acks.push(context.defer());
      },
    });
    const running = pipeline(reader, sink, {
      id: "r",
      checkpoint: checkpoint(),
    });
    const answer = reader.fetch(post(encodeHttpBinary(sample("1", 1))));
    assert.equal(await isPending(answer), true, "answered before the ack");
    assert.equal(stored.length, 1, "the sink has it");
    assert.equal(reader.pending, 1);
    acks[0]!();
    assert.equal((await answer).status, 204);
    assert.equal(reader.pending, 0);
    reader.close();
    await running;
  });

  test("2xx only after a slow sink's write resolved", async () => {
    const reader = cloudEventsReader();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => release = resolve);
    const sink = batchSink<CloudEvent>({ write: () => gate });
    const running = pipeline(reader, sink, {
      id: "r",
      checkpoint: checkpoint(),
    });
    const answer = reader.fetch(post(encodeHttpStructured(sample("1"))));
    assert.equal(await isPending(answer), true);
    release();
    assert.equal((await answer).status, 204);
    reader.close();
    await running;
  });

  test("events a processor drops count as accepted", async () => {
    const reader = cloudEventsReader<number>({ successStatus: 202 });
    const sink = collect<CloudEvent<number>>();
    const running = pipeline(
      reader,
      filter((event: CloudEvent<number>) => event.data! % 2 === 0),
      sink,
      { id: "r", checkpoint: checkpoint() },
    );
    const events = [1, 2, 3].map((n) => sample(String(n), n));
    const response = await reader.fetch(post(encodeHttpBatch(events)));
    assert.equal(response.status, 202);
    assert.deepEqual(sink.records.map((event) => event.data), [2]);
    reader.close();
    await running;
  });

  test("400 with a JSON error naming the bad attribute", async () => {
    const reader = cloudEventsReader();
    const message = encodeHttpBinary(sample("1"));
    message.headers.set("ce-time", "not a time");
    const response = await reader.fetch(post(message));
    assert.equal(response.status, 400);
    assert.equal(response.headers.get("content-type"), "application/json");
    const body = await response.json();
    assert.equal(body.code, "CA_ERR_CLOUDEVENT");
    assert.deepEqual(body.issues, [{
      path: ["time"],
      expected: "an RFC 3339 timestamp",
      received: '"not a time"',
      message: 'time: expected an RFC 3339 timestamp, received "not a time"',
    }]);
    const batch = encodeHttpBatch([sample("1")]);
    const bad = await reader.fetch(post({
      headers: batch.headers,
      body: JSON.stringify([sample("1"), { ...sample("2"), source: "" }]),
    }));
    assert.equal(bad.status, 400);
    assert.deepEqual((await bad.json()).issues[0].path, [1, "source"]);
  });

  test("405 for methods other than POST, with Allow", async () => {
    const reader = cloudEventsReader();
    for (const method of ["GET", "PUT", "DELETE", "OPTIONS"]) {
      const response = await reader.fetch(
        new Request("http://reader.test/", { method }),
      );
      assert.equal(response.status, 405, method);
      assert.equal(response.headers.get("allow"), "POST");
      await response.body?.cancel();
    }
  });

  test("413 for a body over maxBodyBytes", async () => {
    const reader = cloudEventsReader({ maxBodyBytes: 100 });
    const response = await reader.fetch(
      post(encodeHttpStructured(sample("1", "x".repeat(200)))),
    );
    assert.equal(response.status, 413);
    assert.match((await response.json()).message, /larger than 100 bytes/);
  });

  test("415 for an unknown content type", async () => {
    const reader = cloudEventsReader();
    for (
      const type of [
        "text/plain",
        "application/cloudevents+avro",
        "application/json",
      ]
    ) {
      const response = await reader.fetch(post({
        headers: new Headers({ "content-type": type }),
        body: "{}",
      }));
      assert.equal(response.status, 415, type);
      await response.body?.cancel();
    }
  });

  test("an empty batch is answered at once", async () => {
    const reader = cloudEventsReader();
    const response = await reader.fetch(post(encodeHttpBatch([])));
    assert.equal(response.status, 204);
  });

  test("2xx without a checkpoint too: the pipeline acknowledges stored events", async () => {
    const reader = cloudEventsReader({ ackTimeoutMs: 1000 });
    const sink = collect<CloudEvent>();
    const running = pipeline(reader, sink);
    const response = await reader.fetch(post(encodeHttpBinary(sample("1"))));
    assert.equal(response.status, 204);
    assert.equal(sink.records.length, 1);
    reader.close();
    await running;
  });

  test("503 after ackTimeoutMs when the sink never acknowledges", async () => {
    const reader = cloudEventsReader({ ackTimeoutMs: 50 });
    const stored: CloudEvent[] = [];
    const running = pipeline(
      reader,
      batchSink<CloudEvent>({
        write(events, context) {
          context.defer(); // accepted, but the acknowledgement never comes
          stored.push(...events);
        },
      }),
    );
    const response = await reader.fetch(post(encodeHttpBinary(sample("1"))));
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("retry-after"), "1");
    assert.equal(stored.length, 1, "written, but never acknowledged");
    reader.close();
    await running.abort();
  });

  test("503 for requests after close(); close() lets the pipeline finish", async () => {
    const reader = cloudEventsReader();
    const sink = collect<CloudEvent>();
    const running = pipeline(reader, sink, {
      id: "r",
      checkpoint: checkpoint(),
    });
    const first = reader.fetch(post(encodeHttpBinary(sample("1"))));
    reader.close();
    const late = await reader.fetch(post(encodeHttpBinary(sample("2"))));
    assert.equal(late.status, 503);
    assert.equal((await first).status, 204, "received before close: stored");
    const summary = await running;
    assert.equal(summary.recordsWritten, 1);
  });

  test("a failed pipeline: unread requests 503 at once, read ones at their timeout", async () => {
    const reader = cloudEventsReader({ ackTimeoutMs: 200 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => release = resolve);
    const sink = batchSink<CloudEvent>({
      async write() {
        await gate;
        throw new Error("disk full");
      },
    });
    const running = pipeline(reader, sink, {
      id: "r",
      checkpoint: checkpoint(),
      batchSize: 1,
    });
    running.catch(() => {});
    const answers = [];
    for (let i = 0; i < 6; i++) {
      answers.push(reader.fetch(post(encodeHttpBinary(sample(String(i))))));
      await sleep(5);
    }
    release();
    await assert.rejects(Promise.resolve(running), /disk full/);
    const statuses = (await Promise.all(answers)).map((r) => r.status);
    assert.deepEqual(new Set(statuses), new Set([503]));
  });

  test("several small requests travel as one batch, in order", async () => {
    const reader = cloudEventsReader<number>();
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => release = resolve);
    const sink = batchSink<CloudEvent<number>>({
      async write(records) {
        batches.push(records.map((event) => event.data!));
        await gate;
      },
    });
    const running = pipeline(reader, sink, {
      id: "r",
      checkpoint: checkpoint(),
    });
    const first = reader.fetch(post(encodeHttpBinary(sample("0", 0))));
    await sleep(20); // the first batch is being written
    const rest = [];
    for (let n = 1; n <= 5; n++) {
      rest.push(reader.fetch(post(encodeHttpBinary(sample(String(n), n)))));
    }
    await sleep(20);
    release();
    const statuses = await Promise.all([first, ...rest]);
    assert.deepEqual(statuses.map((r) => r.status), [
      204,
      204,
      204,
      204,
      204,
      204,
    ]);
    assert.deepEqual(batches.flat(), [0, 1, 2, 3, 4, 5]);
    assert.ok(
      batches.length < 6,
      `expected coalescing, got ${batches.length} batches`,
    );
    reader.close();
    await running;
  });

  test("maxQueuedEvents holds senders back before their body is read", async () => {
    const reader = cloudEventsReader({ maxQueuedEvents: 2 });
    const answers = [1, 2].map((n) =>
      reader.fetch(post(encodeHttpBinary(sample(String(n)))))
    );
    await sleep(10);
    let pulled = false;
    const { headers, body } = encodeHttpStructured(sample("3"));
    const bytes = new TextEncoder().encode(body as string);
    answers.push(reader.fetch(post({
      headers,
      body: new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled = true;
          controller.enqueue(bytes);
          controller.close();
        },
      }, { highWaterMark: 0 }),
    })));
    await sleep(20);
    assert.equal(reader.pending, 3);
    assert.equal(
      pulled,
      false,
      "the third body was read while the queue was full",
    );
    const sink = collect<CloudEvent>();
    const running = pipeline(reader, sink, {
      id: "r",
      checkpoint: checkpoint(),
    });
    assert.deepEqual((await Promise.all(answers)).map((r) => r.status), [
      204,
      204,
      204,
    ]);
    assert.deepEqual(sink.records.map((event) => event.id), ["1", "2", "3"]);
    reader.close();
    await running;
  });

  test("one pipeline at a time", async () => {
    const reader = cloudEventsReader();
    const running = pipeline(reader, collect(), {
      id: "a",
      checkpoint: checkpoint(),
    });
    await sleep(10);
    const second = pipeline(reader, collect(), {
      id: "b",
      checkpoint: checkpoint(),
    });
    await assert.rejects(
      Promise.resolve(second),
      /already read by another pipeline/,
    );
    reader.close();
    await running;
  });

  test("iterated directly, a request is accepted when the loop asks for more", async () => {
    const reader = cloudEventsReader<number>();
    const seen: number[] = [];
    const loop = (async () => {
      for await (const event of reader) {
        seen.push(event.data!);
        if (seen.length === 2) break;
      }
    })();
    const first = reader.fetch(post(encodeHttpBinary(sample("1", 1))));
    assert.equal((await first).status, 204);
    const second = reader.fetch(post(encodeHttpBinary(sample("2", 2))));
    await loop;
    assert.deepEqual(seen, [1, 2]);
    // The loop broke on the second event: it never asked for more.
    assert.equal((await second).status, 503);
  });

  test("rejects bad options", () => {
    assert.throws(() => cloudEventsReader({ maxBodyBytes: 0 }), RangeError);
    assert.throws(() => cloudEventsReader({ ackTimeoutMs: -1 }), RangeError);
    assert.throws(
      () => cloudEventsReader({ successStatus: 201 as 200 }),
      RangeError,
    );
  });
});

describe("cloudEventsReader() over real HTTP", () => {
  test("serves binary, structured and batched requests on 127.0.0.1", async () => {
    const reader = cloudEventsReader<{ n: number }>();
    const sink = collect<CloudEvent<{ n: number }>>();
    const running = pipeline(reader, sink, {
      id: "r",
      checkpoint: checkpoint(),
    });
    const server = await serve(reader.fetch);
    try {
      const messages = [
        encodeHttpBinary(sample("1", { n: 1 })),
        encodeHttpStructured(sample("2", { n: 2 })),
        encodeHttpBatch([sample("3", { n: 3 }), sample("4", { n: 4 })]),
      ];
      for (const message of messages) {
        const response = await fetch(server.url, {
          method: "POST",
          ...message,
        });
        assert.equal(response.status, 204);
        await response.body?.cancel();
      }
      const bad = await fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/cloudevents+json" },
        body: JSON.stringify({ ...sample("5"), type: 5 }),
      });
      assert.equal(bad.status, 400);
      assert.deepEqual((await bad.json()).issues[0].path, ["type"]);
      assert.deepEqual(sink.records.map((event) => event.data?.n), [
        1,
        2,
        3,
        4,
      ]);
    } finally {
      reader.close();
      await running;
      await server.close();
    }
  });
});
