// Copyright 2026 the @ca/streams authors. MIT license.

import assert from "node:assert/strict";
import { test } from "node:test";
import { collect } from "../../src/sinks/collect.ts";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { memoryStore } from "../../src/checkpoint/memory_store.ts";
import type { Message } from "../../src/messages/message.ts";
import { MessageError } from "../../src/messages/message_error.ts";
import { sourceConformance } from "../../src/testing/source_conformance.ts";
import { HttpError } from "./http_error.ts";
import { httpPollSource } from "./http_poll_source.ts";
import { serve, sleep } from "./_test_server.ts";

interface Hit {
  cursor: string | null;
  ifNoneMatch: string | null;
  status: number;
}

/**
 * A paged API over a log: `?cursor=N` answers up to 3 items from N and the
 * next cursor, with an ETag; 304 when If-None-Match still matches.
 */
async function pagedApi(log: number[]) {
  const hits: Hit[] = [];
  const server = await serve((request) => {
    const url = new URL(request.url);
    const cursor = url.searchParams.get("cursor");
    const from = Number(cursor ?? 0);
    const items = log.slice(from, from + 3);
    const etag = `"${from}-${log.length}"`;
    const ifNoneMatch = request.headers.get("if-none-match");
    const status = ifNoneMatch === etag ? 304 : 200;
    hits.push({ cursor, ifNoneMatch, status });
    if (status === 304) {
      return new Response(null, { status, headers: { etag } });
    }
    return Response.json(
      { data: { items }, next: String(from + items.length) },
      {
        headers: { etag },
      },
    );
  });
  return { hits, url: server.url, close: server.close };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test("httpPollSource() follows the cursor, takes 304 as nothing new, and resumes from the checkpoint", async () => {
  const log = [0, 1, 2, 3, 4, 5, 6];
  const api = await pagedApi(log);
  const store = memoryStore();
  const source = () =>
    httpPollSource<number>(api.url, {
      records: "/data/items",
      cursor: "/next",
      intervalMs: 20,
    });
  try {
    const first = collect<Message<number>>();
    const running = pipeline(source(), first, {
      id: "poll",
      checkpoint: { store },
    });
    await until(() => api.hits.some((h) => h.status === 304), "a 304");
    const summary = await running.stop();
    assert.deepEqual(first.records.map((m) => m.value), log);
    assert.equal(summary.position, "7");
    const seen = api.hits.slice(0, 5);
    assert.deepEqual(seen, [
      { cursor: null, ifNoneMatch: null, status: 200 },
      { cursor: "3", ifNoneMatch: null, status: 200 },
      { cursor: "6", ifNoneMatch: null, status: 200 },
      { cursor: "7", ifNoneMatch: null, status: 200 },
      { cursor: "7", ifNoneMatch: '"7-7"', status: 304 },
    ]);

    log.push(7, 8, 9);
    api.hits.length = 0;
    const second = collect<Message<number>>();
    const rerun = pipeline(source(), second, {
      id: "poll",
      checkpoint: { store },
    });
    await until(() => second.records.length === 3, "the new records");
    const again = await rerun.stop();
    assert.deepEqual(second.records.map((m) => m.value), [7, 8, 9]);
    assert.equal(api.hits[0]!.cursor, "7", "resumed from the checkpoint");
    assert.equal(again.position, "10");
  } finally {
    await api.close();
  }
});

test("httpPollSource() sends the cursor in a header, takes it from a function, and reads NDJSON", async () => {
  const log = ["a", "b", "c", "d"];
  const headers: Array<string | null> = [];
  const server = await serve((request) => {
    const cursor = request.headers.get("x-after");
    headers.push(cursor);
    const from = cursor === null ? 0 : log.indexOf(cursor) + 1;
    const items = log.slice(from, from + 2);
    return new Response(
      items.map((item) => JSON.stringify(item) + "\n").join(""),
      {
        headers: {
          "content-type": "application/x-ndjson",
          "x-last": items.at(-1) ?? cursor ?? "",
        },
      },
    );
  });
  try {
    const sink = collect<Message<string>>();
    const running = pipeline(
      httpPollSource<string>(server.url, {
        cursorHeader: "x-after",
        cursor: (response) => response.headers.get("x-last") || undefined,
        initialCursor: "a",
        intervalMs: 20,
      }),
      sink,
    );
    // The third request (with cursor d) comes an interval after the second.
    await until(
      () => sink.records.length === 3 && headers.length >= 3,
      "three records and three requests",
    );
    await running.stop();
    assert.deepEqual(sink.records.map((m) => m.value), ["b", "c", "d"]);
    assert.deepEqual(headers.slice(0, 3), ["a", "c", "d"]);
  } finally {
    await server.close();
  }
});

test("httpPollSource() retries a 503 after Retry-After, fails at once on 404, and on a body without records", async () => {
  let calls = 0;
  const times: number[] = [];
  const server = await serve((request) => {
    const path = new URL(request.url).pathname;
    if (path === "/missing") return new Response("no", { status: 404 });
    if (path === "/bad") return Response.json({ items: "not an array" });
    times.push(performance.now());
    if (calls++ === 0) {
      return new Response(null, {
        status: 503,
        headers: { "retry-after": "1" },
      });
    }
    return Response.json([{ n: 1 }]);
  });
  try {
    const sink = collect<Message<{ n: number }>>();
    const running = pipeline(
      httpPollSource<{ n: number }>(server.url, {}),
      sink,
    );
    await until(() => sink.records.length === 1, "the record after the retry");
    await running.stop();
    assert.ok(
      times[1]! - times[0]! >= 950,
      `waited ${times[1]! - times[0]!} ms`,
    );

    const missing = await pipeline(
      httpPollSource(new URL("missing", server.url)),
      collect(),
    ).then(() => undefined, (e: unknown) => e);
    const notFound = (missing as Error & { cause?: unknown }).cause ?? missing;
    assert.ok(notFound instanceof HttpError, String(missing));
    assert.equal(notFound.status, 404);
    assert.equal(notFound.attempts, 1);

    const bad = await pipeline(
      httpPollSource(new URL("bad", server.url), { records: "/items" }),
      collect(),
    ).then(() => undefined, (e: unknown) => e);
    const cause = (bad as Error & { cause?: unknown }).cause ?? bad;
    assert.ok(cause instanceof MessageError, String(bad));
    assert.match(cause.message, /"\/items" must be an array/);
  } finally {
    await server.close();
  }
});

test("httpPollSource() polls again when an answer does not come within timeoutMs", async () => {
  let answerLate!: () => void;
  const late = new Promise<void>((resolve) => answerLate = resolve);
  let calls = 0;
  const server = await serve(async (request) => {
    if (calls++ === 0) await late; // the first poll hangs
    const cursor = new URL(request.url).searchParams.get("cursor");
    if (cursor !== null) return Response.json({ items: [], next: cursor });
    return Response.json({ items: [{ n: 1 }], next: "1" });
  });
  try {
    const sink = collect<Message<{ n: number }>>();
    const running = pipeline(
      httpPollSource<{ n: number }>(server.url, {
        records: "/items",
        cursor: "/next",
        timeoutMs: 200,
        retry: { maxAttempts: 3, initialDelayMs: 1 },
      }),
      sink,
    );
    await until(() => sink.records.length === 1, "the record after the retry");
    await running.stop();
    assert.deepEqual(sink.records.map((m) => m.value.n), [1]);
    assert.ok(calls >= 2, `${calls} requests`);
  } finally {
    answerLate();
    await server.close();
  }
});

type Row = Message<{ n: number; text: string }>;

// The conformance kit over the paged API: each write appends to its log.
sourceConformance<Row>({
  name: "httpPollSource",
  record: (n) => ({ value: { n, text: `record ${n} ✓` } }),
  key: (row) => String(row.value.n),
  same: (read, written) =>
    JSON.stringify(read.value) === JSON.stringify(written.value),
  async open() {
    const log: Row["value"][] = [];
    const server = await serve((request) => {
      const from = Number(new URL(request.url).searchParams.get("cursor") ?? 0);
      const items = log.slice(from, from + 10);
      return Response.json({ items, next: String(from + items.length) });
    });
    return {
      source: () =>
        httpPollSource<Row["value"]>(server.url, {
          records: "/items",
          cursor: "/next",
          intervalMs: 10,
        }),
      write: (rows) => void log.push(...rows.map((row) => row.value)),
      close: server.close,
    };
  },
}, { test });
