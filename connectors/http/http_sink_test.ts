// Copyright 2026 the @ca/streams authors. MIT license.

import assert from "node:assert/strict";
import { test } from "node:test";
import { collect } from "../../src/sinks/collect.ts";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import type { DeadLetter } from "../../src/failures/dead_letter.ts";
import { MessageError } from "../../src/messages/message_error.ts";
import { sinkConformance } from "../../src/testing/sink_conformance.ts";
import { HttpError } from "./http_error.ts";
import { httpSink } from "./http_sink.ts";
import { serve } from "./_test_server.ts";

interface Seen {
  at: number;
  method: string;
  headers: Headers;
  body: string;
}

/** A server that records each request and answers what `reply` says. */
async function recorder(
  reply: (seen: Seen, index: number) => Response,
) {
  const seen: Seen[] = [];
  const server = await serve(async (request) => {
    const entry = {
      at: performance.now(),
      method: request.method,
      headers: request.headers,
      body: await request.text(),
    };
    seen.push(entry);
    return reply(entry, seen.length - 1);
  });
  return { seen, url: server.url, close: server.close };
}

type Order = { id: string; total: number };
const orders = (n: number): Order[] =>
  Array.from({ length: n }, (_, i) => ({ id: `o${i}`, total: i }));

test("httpSink() sends one request per record with its key as Idempotency-Key", async () => {
  const server = await recorder(() => new Response(null, { status: 201 }));
  try {
    await pipeline(
      orders(3),
      httpSink<Order>(server.url, {
        key: "/id",
        headers: (order) => ({ "x-total": String(order.total) }),
        requestHeaders: { authorization: "Bearer t" },
      }),
    );
    assert.deepEqual(
      server.seen.map((s) => [
        s.method,
        s.headers.get("idempotency-key"),
        s.headers.get("x-total"),
        s.headers.get("authorization"),
        s.headers.get("content-type"),
        JSON.parse(s.body).id,
      ]),
      [0, 1, 2].map((i) => [
        "POST",
        `o${i}`,
        String(i),
        "Bearer t",
        "application/json",
        `o${i}`,
      ]),
    );
  } finally {
    await server.close();
  }
});

test("httpSink() sends NDJSON and JSON arrays per batch, keyed by the batch's keys", async () => {
  const server = await recorder(() => new Response(null, { status: 204 }));
  try {
    await pipeline(
      orders(5),
      httpSink<Order>(server.url, {
        mode: "ndjson",
        key: "/id",
        maxBatchRecords: 3,
      }),
    );
    await pipeline(
      orders(2),
      httpSink<Order>(server.url, { mode: "array", value: "/total" }),
    );
    const [first, second, array] = server.seen;
    assert.equal(first!.headers.get("content-type"), "application/x-ndjson");
    assert.deepEqual(
      first!.body.trim().split("\n").map((line) => JSON.parse(line).id),
      ["o0", "o1", "o2"],
    );
    assert.equal(second!.body.trim().split("\n").length, 2);
    assert.match(first!.headers.get("idempotency-key")!, /^[0-9a-f]{64}$/);
    assert.notEqual(
      first!.headers.get("idempotency-key"),
      second!.headers.get("idempotency-key"),
    );
    assert.equal(array!.body, "[0,1]");
    assert.equal(array!.headers.get("idempotency-key"), null, "no keys");
  } finally {
    await server.close();
  }
});

test("httpSink() retries 503 and 429, waiting what Retry-After says (seconds and HTTP date)", async () => {
  const replies = [
    () =>
      new Response("busy", { status: 503, headers: { "retry-after": "1" } }),
    () =>
      new Response("slow down", {
        status: 429,
        headers: {
          // An HTTP date 2 s ahead: second resolution, so 1-2 s from now.
          "retry-after": new Date(Date.now() + 2000).toUTCString(),
        },
      }),
    () => new Response(null, { status: 201 }),
  ];
  const server = await recorder((_seen, i) => replies[i]!());
  try {
    await pipeline(
      [{ id: "a", total: 1 }],
      httpSink<Order>(server.url, {
        key: "/id",
        retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 1 },
      }),
    );
    const [a, b, c] = server.seen.map((s) => s.at);
    assert.equal(server.seen.length, 3);
    assert.ok(b! - a! >= 950, `waited ${b! - a!} ms for Retry-After: 1`);
    assert.ok(c! - b! >= 950, `waited ${c! - b!} ms for the HTTP date`);
    assert.deepEqual(
      server.seen.map((s) => s.headers.get("idempotency-key")),
      ["a", "a", "a"],
    );
  } finally {
    await server.close();
  }
});

test("httpSink() puts a record the server refuses (4xx) in the dead letter, the others stored once", async () => {
  for (const mode of ["record", "ndjson", "array"] as const) {
    const stored: number[] = [];
    let refusals = 0;
    const server = await recorder((seen) => {
      const values = seen.body.startsWith("[")
        ? JSON.parse(seen.body)
        : seen.body.trim().split("\n").map((line) => JSON.parse(line));
      if (values.some((order: Order) => order.total === 3)) {
        refusals++;
        return new Response("total 3 is not allowed", { status: 422 });
      }
      stored.push(...values.map((order: Order) => order.total));
      return new Response(null, { status: 201 });
    });
    try {
      const dead = collect<DeadLetter<Order>>();
      const summary = await pipeline(
        orders(6),
        httpSink<Order>(server.url, { mode, maxBatchRecords: 2 }),
        { deadLetter: dead },
      );
      assert.deepEqual(stored.sort(), [0, 1, 2, 4, 5], mode);
      assert.equal(dead.records.length, 1, mode);
      const [letter] = dead.records;
      assert.equal(letter!.record.total, 3, mode);
      assert.ok(letter!.error instanceof HttpError, mode);
      assert.equal((letter!.error as HttpError).status, 422);
      assert.match(
        (letter!.error as HttpError).message,
        /answered 422: total 3 is not allowed/,
      );
      assert.equal(summary.recordsWritten, 5, mode);
      // Alone in its request, a refused record is not sent again; in a
      // batch request, it is sent again on its own to find it.
      assert.equal(refusals, mode === "record" ? 1 : 2, mode);
    } finally {
      await server.close();
    }
  }
});

test("httpSink() fails the pipeline when 5xx outlast the retries, even with a dead letter", async () => {
  const server = await recorder(() => new Response("down", { status: 502 }));
  try {
    const dead = collect<DeadLetter<Order>>();
    const error = await pipeline(
      orders(2),
      httpSink<Order>(server.url, {
        mode: "ndjson",
        retry: { maxAttempts: 3, initialDelayMs: 1 },
      }),
      { deadLetter: dead },
    ).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof Error, "the pipeline failed");
    const cause = (error as Error & { cause?: unknown }).cause;
    assert.ok(cause instanceof HttpError, String(error));
    assert.equal(cause.status, 502);
    assert.equal(cause.attempts, 3);
    assert.equal(server.seen.length, 3);
    assert.equal(dead.records.length, 0, "an outage is no record's fault");
  } finally {
    await server.close();
  }
});

test("httpSink() sends a URL's user info as Basic authorization, not in the URL", async () => {
  const server = await recorder(() => new Response(null, { status: 204 }));
  try {
    const url = new URL(server.url);
    url.username = "user";
    url.password = "p@ss word";
    await pipeline(orders(1), httpSink<Order>(url));
    const expected = `Basic ${btoa("user:p@ss word")}`;
    assert.equal(server.seen[0]!.headers.get("authorization"), expected);
  } finally {
    await server.close();
  }
});

test("httpSink() retries network errors, then fails naming the URL without its password", async () => {
  const server = await recorder(() => new Response(null, { status: 204 }));
  const url = new URL(server.url);
  await server.close(); // nothing listens there now
  url.username = "user";
  url.password = "s3cret";
  const error = await pipeline(
    orders(1),
    httpSink<Order>(url, { retry: { maxAttempts: 2, initialDelayMs: 1 } }),
  ).then(() => undefined, (e: unknown) => e);
  const cause = (error as Error & { cause?: unknown }).cause;
  assert.ok(cause instanceof HttpError, String(error));
  assert.equal(cause.status, undefined);
  assert.equal(cause.attempts, 2);
  assert.doesNotMatch(cause.message, /s3cret/);
  assert.match(cause.message, /no answer from http:\/\/127\.0\.0\.1/);
});

test("httpSink() sends again a request the server does not answer within timeoutMs", async () => {
  let answerLate!: () => void;
  const late = new Promise<void>((resolve) => answerLate = resolve);
  const bodies: string[] = [];
  const server = await serve(async (request) => {
    bodies.push(await request.text());
    if (bodies.length === 1) await late; // the first attempt hangs
    return new Response(null, { status: 204 });
  });
  try {
    const summary = await pipeline(
      orders(2),
      httpSink<Order>(server.url, {
        mode: "ndjson",
        timeoutMs: 200,
        retry: { maxAttempts: 3, initialDelayMs: 1 },
      }),
    );
    assert.equal(summary.recordsWritten, 2);
    assert.equal(bodies.length, 2);
    assert.equal(bodies[1], bodies[0]);
  } finally {
    answerLate();
    await server.close();
  }
});

test("httpSink() encodes the whole batch first: a record JSON cannot hold is a MessageError dead letter", async () => {
  const server = await recorder(() => new Response(null, { status: 204 }));
  try {
    const dead = collect<DeadLetter<unknown>>();
    await pipeline(
      [{ n: 1 }, { n: 2n }, { n: 3 }],
      httpSink<{ n: number | bigint }>(server.url, { mode: "ndjson" }),
      { deadLetter: dead },
    );
    assert.ok(dead.records[0]!.error instanceof MessageError);
    assert.deepEqual(
      server.seen.map((s) => s.body.trim()),
      ['{"n":1}', '{"n":3}'],
      "nothing sent for the failed batch, then the rest one by one",
    );
  } finally {
    await server.close();
  }
});

interface Row {
  id: number;
  text: string;
  big?: bigint;
}

sinkConformance<Row>({
  name: "httpSink",
  record: (id) => ({ id, text: `record ${id} ✓` }),
  badRecord: (id) => ({ id, text: "JSON cannot hold a bigint", big: 1n }),
  key: (row) => String(row.id),
  async open() {
    const received: Row[] = [];
    const server = await serve(async (request) => {
      const rows = (await request.text()).trim().split("\n")
        .map((line) => JSON.parse(line) as Row);
      received.push(...rows);
      return new Response(null, { status: 201 });
    });
    return {
      sink: () =>
        httpSink<Row>(server.url, {
          mode: "ndjson",
          key: "/id",
          maxBatchRecords: 7,
        }),
      read: () => received,
      close: server.close,
    };
  },
}, { test });
