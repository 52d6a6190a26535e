// cloudEventsWriter(): POSTs in three modes, retries with backoff, an
// injected fetch (no sockets).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type CloudEvent,
  CloudEventError,
  CloudEventsDeliveryError,
  cloudEventsReader,
  cloudEventsWriter,
  decodeHttp,
} from "@ca/streams/cloudevents";
import { collect, type DeadLetter, memoryStore, pipeline } from "@ca/streams";
import { sample, serve, sleep } from "./_helpers.ts";

const fast = { initialDelayMs: 1, maxDelayMs: 5 };
const URL_ = "http://receiver.test/events";

/** A fake receiver: records requests, answers with `statuses` in turn (then 204). */
function receiver(statuses: (number | "network")[] = []) {
  const requests: { headers: Headers; body: string; events: CloudEvent[] }[] =
    [];
  let call = 0;
  const fetch = async (request: Request): Promise<Response> => {
    const answer = statuses[call++] ?? 204;
    const body = await request.clone().text();
    if (answer === "network") throw new TypeError("connection refused");
    if (answer >= 200 && answer < 300) {
      requests.push({
        headers: request.headers,
        body,
        events: await decodeHttp(request),
      });
    }
    return new Response(answer === 204 ? null : `status ${answer}`, {
      status: answer,
    });
  };
  return { fetch, requests, calls: () => call };
}

const events = (n: number) =>
  Array.from({ length: n }, (_, i) => sample(String(i), { n: i }));

describe("cloudEventsWriter()", () => {
  test("binary mode (the default): one request per event, in order", async () => {
    const target = receiver();
    await pipeline(events(3), cloudEventsWriter(URL_, { fetch: target.fetch }));
    assert.equal(target.requests.length, 3);
    assert.equal(target.requests[0]!.headers.get("ce-id"), "0");
    // Binary mode states the JSON format's implied content type.
    assert.deepEqual(
      target.requests.flatMap((r) => r.events),
      events(3).map((e) => ({ ...e, datacontenttype: "application/json" })),
    );
  });

  test("structured mode: one JSON event per request", async () => {
    const target = receiver();
    await pipeline(
      events(2),
      cloudEventsWriter(URL_, { fetch: target.fetch, mode: "structured" }),
    );
    assert.equal(
      target.requests[0]!.headers.get("content-type"),
      "application/cloudevents+json; charset=utf-8",
    );
    assert.deepEqual(target.requests.flatMap((r) => r.events), events(2));
  });

  test("batch mode: up to maxBatchEvents per request", async () => {
    const target = receiver();
    await pipeline(
      events(25),
      cloudEventsWriter(URL_, {
        fetch: target.fetch,
        mode: "batch",
        maxBatchEvents: 10,
      }),
    );
    assert.deepEqual(target.requests.map((r) => r.events.length), [10, 10, 5]);
    assert.deepEqual(target.requests.flatMap((r) => r.events), events(25));
  });

  test("extra headers travel with every request", async () => {
    const target = receiver();
    await pipeline(
      events(1),
      cloudEventsWriter(URL_, {
        fetch: target.fetch,
        headers: { authorization: "Bearer t" },
      }),
    );
    assert.equal(target.requests[0]!.headers.get("authorization"), "Bearer t");
  });

  test("retries 503, 429 and network errors, then succeeds", async () => {
    const target = receiver([503, 429, "network", 204]);
    await pipeline(
      events(1),
      cloudEventsWriter(URL_, {
        fetch: target.fetch,
        retry: { maxAttempts: 4, ...fast },
      }),
    );
    assert.equal(target.calls(), 4);
    assert.equal(target.requests.length, 1);
  });

  test("a 400 fails at once with a CloudEventsDeliveryError", async () => {
    const target = receiver([400]);
    await assert.rejects(
      Promise.resolve(pipeline(
        events(1),
        cloudEventsWriter(URL_, { fetch: target.fetch, retry: fast }),
      )),
      (error: unknown) => {
        const cause = (error as { cause?: unknown }).cause;
        assert.ok(cause instanceof CloudEventsDeliveryError, String(error));
        assert.equal(cause.code, "CA_ERR_CLOUDEVENTS_DELIVERY");
        assert.equal(cause.status, 400);
        assert.equal(cause.attempts, 1);
        assert.equal(cause.body, "status 400");
        return true;
      },
    );
    assert.equal(target.calls(), 1);
  });

  test("gives up after maxAttempts, naming the attempts", async () => {
    const target = receiver([503, 503, 503, 503]);
    await assert.rejects(
      Promise.resolve(pipeline(
        events(1),
        cloudEventsWriter(URL_, {
          fetch: target.fetch,
          retry: { maxAttempts: 3, ...fast },
        }),
      )),
      (error: unknown) => {
        const cause = (error as { cause?: unknown }).cause;
        assert.ok(cause instanceof CloudEventsDeliveryError);
        assert.equal(cause.attempts, 3);
        assert.match(cause.message, /answered 503.*after 3 attempts/);
        return true;
      },
    );
  });

  test("retryable can veto a retry", async () => {
    const target = receiver([503, 204]);
    await assert.rejects(
      Promise.resolve(pipeline(
        events(1),
        cloudEventsWriter(URL_, {
          fetch: target.fetch,
          retry: { ...fast, retryable: () => false },
        }),
      )),
    );
    assert.equal(target.calls(), 1);
  });

  test("an invalid event becomes a dead letter, the others go out", async () => {
    const target = receiver();
    const dead = collect<DeadLetter>();
    const input: CloudEvent[] = [
      sample("ok1"),
      { ...sample("bad"), time: "noon" },
      sample("ok2"),
    ];
    await pipeline(
      input,
      cloudEventsWriter(URL_, { fetch: target.fetch, mode: "batch" }),
      { deadLetter: dead },
    );
    assert.deepEqual(
      target.requests.flatMap((r) => r.events.map((e) => e.id)),
      [
        "ok1",
        "ok2",
      ],
    );
    assert.equal(dead.records.length, 1);
    assert.ok(dead.records[0]!.error instanceof CloudEventError);
  });

  test("concurrency: requests overlap, the checkpoint waits for the answers", async () => {
    let inFlight = 0;
    let most = 0;
    const fetch = async (request: Request) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await request.arrayBuffer();
      await sleep(5);
      inFlight--;
      return new Response(null, { status: 204 });
    };
    const store = memoryStore();
    const { resumableSource } = await import("@ca/streams");
    const source = resumableSource<CloudEvent>({
      async *open() {
        for (let i = 0; i < 4; i++) {
          yield {
            records: events(5).map((e) => ({ ...e, id: `${i}-${e.id}` })),
            position: i,
          };
        }
      },
    });
    const summary = await pipeline(
      source,
      cloudEventsWriter(URL_, { fetch, concurrency: 4 }),
      { id: "w", checkpoint: { store } },
    );
    assert.equal(most, 4);
    assert.equal(summary.recordsWritten, 20);
    assert.equal(summary.position, 3);
  });

  test("aborting the signal aborts requests in flight", async () => {
    const abort = new AbortController();
    // As a real fetch() does, it also rejects a signal aborted before the
    // call: under load the abort can come first, and waiting for an "abort"
    // event that already fired hung this test.
    const fetch = (request: Request) =>
      new Promise<Response>((_, reject) => {
        if (request.signal.aborted) reject(request.signal.reason);
        request.signal.addEventListener("abort", () =>
          reject(request.signal.reason));
      });
    const running = pipeline(
      events(1),
      cloudEventsWriter(URL_, { fetch, signal: abort.signal }),
    );
    await sleep(10);
    abort.abort(new Error("shutting down"));
    await assert.rejects(Promise.resolve(running), /shutting down/);
  });

  test("standalone (pipeTo), a failure surfaces on the next write or close", async () => {
    const target = receiver([400]);
    const writer = cloudEventsWriter(URL_, {
      fetch: target.fetch,
      concurrency: 2,
    });
    const readable = new ReadableStream<CloudEvent>({
      start(controller) {
        for (const event of events(3)) controller.enqueue(event);
        controller.close();
      },
    });
    await assert.rejects(readable.pipeTo(writer), CloudEventsDeliveryError);
  });

  test("rejects bad options", () => {
    assert.throws(() => cloudEventsWriter("/relative"), TypeError);
    assert.throws(
      () => cloudEventsWriter(URL_, { mode: "grouped" as "batch" }),
      TypeError,
    );
    assert.throws(
      () => cloudEventsWriter(URL_, { concurrency: 0 }),
      RangeError,
    );
    assert.throws(
      () => cloudEventsWriter(URL_, { retry: { maxAttempts: 0 } }),
      RangeError,
    );
  });

  test("writer to reader over real HTTP in all three modes", async () => {
    const reader = cloudEventsReader<{ n: number }>();
    const sink = collect<CloudEvent<{ n: number }>>();
    const running = pipeline(reader, sink, {
      id: "in",
      checkpoint: { store: memoryStore() },
    });
    const server = await serve(reader.fetch);
    try {
      for (const mode of ["binary", "structured", "batch"] as const) {
        await pipeline(events(3), cloudEventsWriter(server.url, { mode }));
      }
      assert.equal(sink.records.length, 9);
      assert.deepEqual(sink.records.slice(6), events(3));
    } finally {
      reader.close();
      await running;
      await server.close();
    }
  });
});
