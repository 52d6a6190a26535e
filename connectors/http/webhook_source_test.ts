// Copyright 2026 the @ca/streams authors. MIT license.

import assert from "node:assert/strict";
import { test } from "node:test";
import { batchSink } from "../../src/sinks/batch_sink.ts";
import { collect } from "../../src/sinks/collect.ts";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { memoryStore } from "../../src/checkpoint/memory_store.ts";
import type { Message } from "../../src/messages/message.ts";
import { sourceConformance } from "../../src/testing/source_conformance.ts";
import type { SourceHarness } from "../../src/testing/source_harness.ts";
import { signWebhook } from "./sign_webhook.ts";
import { webhookSource } from "./webhook_source.ts";
import type { WebhookSource } from "./webhook_source.ts";
import { SECRET, serve, sleep } from "./_test_server.ts";

type Order = { order: number };

function post(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

async function signed(
  id: string,
  body: string,
  secret = SECRET,
  timestamp = Math.floor(Date.now() / 1000),
): Promise<Record<string, string>> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await signWebhook(secret, id, timestamp, body),
  };
}

test("webhookSource() answers 2xx only once the sink stored the records", async () => {
  const source = webhookSource<Order>({ headers: ["x-trace"] });
  const server = await serve(source.fetch);
  let release!: () => void;
  const stored: Message<Order>[] = [];
  const gate = new Promise<void>((resolve) => release = resolve);
  const running = pipeline(
    source,
    batchSink<Message<Order>>({
      async write(records) {
        await gate;
        stored.push(...records);
      },
    }),
  );
  try {
    const answer = post(server.url, '{"order":7}', {
      "webhook-id": "msg_1",
      "webhook-timestamp": "1767225600",
      "x-trace": "t-1",
    });
    const early = await Promise.race([answer, sleep(200).then(() => "wait")]);
    assert.equal(early, "wait", "answered before the sink stored");
    assert.equal(source.pending, 1);
    release();
    const response = await answer;
    assert.equal(response.status, 204);
    await response.body?.cancel();
    assert.deepEqual(stored, [{
      value: { order: 7 },
      id: "msg_1",
      time: "2026-01-01T00:00:00.000Z",
      headers: { "x-trace": "t-1" },
    }]);
  } finally {
    source.close();
    await running;
    await server.close();
  }
});

test("webhookSource() reads NDJSON lines and split JSON arrays as records", async () => {
  const source = webhookSource<Order>({ splitArrays: true });
  const sink = collect<Message<Order>>();
  const running = pipeline(source, sink);
  const ndjson = await source.fetch(
    new Request("http://hooks.test/", {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: '{"order":1}\n\n{"order":2}\n',
    }),
  );
  const array = await source.fetch(
    new Request("http://hooks.test/", {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body: '[{"order":3},{"order":4}]',
    }),
  );
  source.close();
  await running;
  assert.equal(ndjson.status, 204);
  assert.equal(array.status, 204);
  assert.deepEqual(sink.records.map((m) => m.value.order), [1, 2, 3, 4]);
});

test("webhookSource() reads NDJSON with CRLF, padded and blank lines", async () => {
  const source = webhookSource<Order>();
  const sink = collect<Message<Order>>();
  const running = pipeline(source, sink);
  const response = await source.fetch(
    new Request("http://hooks.test/", {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: '{"order":1}\r\n  \r\n\t{"order":2} \n\uFEFF{"order":3}',
    }),
  );
  source.close();
  await running;
  assert.equal(response.status, 204);
  assert.deepEqual(sink.records.map((m) => m.value.order), [1, 2, 3]);
});

test("webhookSource() refuses invalid UTF-8 with 400 and keeps a U+FFFD the sender wrote", async () => {
  const source = webhookSource<{ text: string }>();
  const sink = collect<Message<{ text: string }>>();
  const running = pipeline(source, sink);
  const send = (body: Uint8Array<ArrayBuffer>) =>
    source.fetch(
      new Request("http://hooks.test/", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      }),
    );
  const encoder = new TextEncoder();
  const invalid = await send(
    Uint8Array.from([
      ...encoder.encode('{"text":"a'),
      0xff,
      ...encoder.encode('"}'),
    ]),
  );
  const replacement = await send(encoder.encode('{"text":"a\uFFFD"}'));
  source.close();
  await running;
  assert.equal(invalid.status, 400);
  assert.match((await invalid.json()).message, /not valid UTF-8/);
  assert.equal(replacement.status, 204);
  assert.deepEqual(sink.records.map((m) => m.value.text), ["a\uFFFD"]);
});

test("webhookSource() answers 413 for a body without content-length once it passes maxBodyBytes", async () => {
  const source = webhookSource({ maxBodyBytes: 64 });
  const running = pipeline(source, collect());
  const chunk = new TextEncoder().encode(`{"text":"${"x".repeat(100)}"}`);
  const request = new Request("http://hooks.test/", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: new ReadableStream({
      start(controller) {
        controller.enqueue(chunk);
        controller.close();
      },
    }),
    duplex: "half",
  } as RequestInit);
  assert.equal(request.headers.get("content-length"), null);
  const response = await source.fetch(request);
  source.close();
  await running;
  assert.equal(response.status, 413);
  assert.match((await response.json()).message, /larger than 64 bytes/);
});

test("webhookSource() answers 4xx naming what is wrong, 503 once closed", async () => {
  const source = webhookSource({ maxBodyBytes: 64 });
  const server = await serve(source.fetch);
  const running = pipeline(source, collect());
  try {
    const cases: Array<[string, Promise<Response>, number, RegExp]> = [
      ["bad JSON", post(server.url, "{oops"), 400, /not JSON/],
      [
        "bad NDJSON line",
        post(server.url, '{"a":1}\n{oops\n', {
          "content-type": "application/x-ndjson",
        }),
        400,
        /line 2 is not JSON/,
      ],
      [
        "text body",
        post(server.url, "hello", { "content-type": "text/plain" }),
        415,
        /content-type must be/,
      ],
      [
        "latin-1 body",
        post(server.url, "{}", {
          "content-type": "application/json; charset=iso-8859-1",
        }),
        415,
        /charset must be utf-8/,
      ],
      [
        "large body",
        post(server.url, JSON.stringify({ text: "x".repeat(100) })),
        413,
        /larger than 64 bytes/,
      ],
      ["GET", fetch(server.url), 405, /use POST/],
    ];
    for (const [name, answer, status, pattern] of cases) {
      const response = await answer;
      assert.equal(response.status, status, name);
      const body = await response.json();
      assert.equal(body.code, "CA_ERR_WEBHOOK", name);
      assert.match(body.message, pattern, name);
    }
    source.close();
    const late = await post(server.url, "{}");
    assert.equal(late.status, 503);
    assert.equal(late.headers.get("retry-after"), "1");
    await late.body?.cancel();
  } finally {
    source.close();
    await running;
    await server.close();
  }
});

test("webhookSource() checks Standard Webhooks signatures: 401 on failure", async () => {
  const rotated = "whsec_" + btoa("the new secret, 24 bytes");
  const source = webhookSource<Order>({ secret: [rotated, SECRET] });
  const server = await serve(source.fetch);
  const sink = collect<Message<Order>>();
  const running = pipeline(source, sink);
  try {
    const body = '{"order":1}';
    const good = await post(server.url, body, await signed("msg_a", body));
    assert.equal(good.status, 204);
    const wrongSecret = "whsec_" + btoa("somebody else's secret!!");
    const refused: Array<[string, Record<string, string>, string]> = [
      ["wrong secret", await signed("msg_b", body, wrongSecret), body],
      ["body changed", await signed("msg_c", body), '{"order":666}'],
      [
        "old timestamp",
        await signed(
          "msg_d",
          body,
          SECRET,
          Math.floor(Date.now() / 1000) - 301,
        ),
        body,
      ],
      ["no signature", { "webhook-id": "msg_e" }, body],
      [
        "id changed",
        { ...await signed("msg_f", body), "webhook-id": "msg_g" },
        body,
      ],
    ];
    for (const [name, headers, sent] of refused) {
      const response = await post(server.url, sent, headers);
      assert.equal(response.status, 401, name);
      assert.match((await response.json()).message, /Cannot verify/, name);
    }
    // Several signatures in one header: one valid one is enough.
    const both = await signed("msg_h", body, rotated);
    both["webhook-signature"] = `v1,AAAA ${both["webhook-signature"]}`;
    const rotatedAnswer = await post(server.url, body, both);
    assert.equal(rotatedAnswer.status, 204);
  } finally {
    source.close();
    await running;
    await server.close();
  }
  assert.deepEqual(sink.records.map((m) => m.id), ["msg_a", "msg_h"]);
  assert.throws(
    () => webhookSource({ secret: "not-prefixed" }),
    /secret must be a string starting with "whsec_"/,
  );
});

test("webhookSource() stores a repeated webhook id once within the window", async () => {
  const source = webhookSource<Order>({ dedupWindowMs: 300 });
  const server = await serve(source.fetch);
  let release!: () => void;
  let gate = new Promise<void>((resolve) => release = resolve);
  const stored: Message<Order>[] = [];
  const running = pipeline(
    source,
    batchSink<Message<Order>>({
      async write(records) {
        await gate;
        stored.push(...records);
      },
    }),
  );
  try {
    const headers = { "webhook-id": "msg_1" };
    // A repeat while the first is being stored gets the first's answer.
    const first = post(server.url, '{"order":1}', headers);
    await sleep(50);
    const during = post(server.url, '{"order":1}', headers);
    await sleep(50);
    release();
    assert.equal((await first).status, 204);
    assert.equal((await during).status, 204);
    const after = await post(server.url, '{"order":1}', headers);
    assert.equal(after.status, 204);
    assert.equal(stored.length, 1, "stored once within the window");
    gate = Promise.resolve();
    await sleep(350);
    const later = await post(server.url, '{"order":1}', headers);
    assert.equal(later.status, 204);
    assert.equal(stored.length, 2, "stored again after the window");
    // Another id is another webhook.
    const other = await post(server.url, '{"order":1}', {
      "webhook-id": "msg_2",
    });
    assert.equal(other.status, 204);
    assert.equal(stored.length, 3);
  } finally {
    source.close();
    await running;
    await server.close();
  }
});

test("webhookSource() answers 503 for records a stopped pipeline never stored, and the retry is stored", async () => {
  const source = webhookSource<Order>({ ackTimeoutMs: 5000 });
  let reached!: () => void;
  const read = new Promise<void>((resolve) => reached = resolve);
  const first = pipeline(
    source,
    batchSink<Message<Order>>({
      write(_records, { signal }) {
        reached();
        return new Promise<void>((_resolve, reject) => {
          signal.addEventListener("abort", () => reject(signal.reason));
        });
      },
    }),
    { id: "hooks", checkpoint: { store: memoryStore() } },
  );
  const request = () =>
    new Request("http://hooks.test/", {
      method: "POST",
      headers: { "content-type": "application/json", "webhook-id": "msg_9" },
      body: '{"order":9}',
    });
  const answer = source.fetch(request());
  await read;
  await first.abort();
  const sink = collect<Message<Order>>();
  const second = pipeline(source, sink);
  assert.equal((await answer).status, 503);
  // Not remembered: it was never stored, so the retry is stored.
  assert.equal((await source.fetch(request())).status, 204);
  source.close();
  await second;
  assert.deepEqual(sink.records.map((m) => m.value.order), [9]);
});

type Row = Message<{ n: number; text: string }>;

/**
 * The conformance kit: a sender posts each write as one NDJSON request to
 * the source's fetch, in order, and sends a request not answered 2xx again
 * once the next run reads the source.
 */
function harness(): SourceHarness<Row> {
  return {
    name: "webhookSource",
    record: (n) => ({ value: { n, text: `record ${n} ✓` } }),
    key: (row) => String(row.value.n),
    same: (read, written) =>
      JSON.stringify(read.value) === JSON.stringify(written.value),
    acknowledges: "server",
    open() {
      let source: WebhookSource<Row["value"]> | undefined;
      const sources: WebhookSource<Row["value"]>[] = [];
      let runs = 0;
      let stopped = false;
      const queue: Row[][] = [];
      let wake: (() => void) | undefined;
      const changed = () => {
        wake?.();
        wake = undefined;
      };
      const waitForChange = () =>
        new Promise<void>((resolve) => wake = resolve);
      let idle: Promise<void> = Promise.resolve();
      let sending = false;
      let requests = 0;

      async function send(): Promise<void> {
        while (queue.length > 0 && !stopped) {
          const rows = queue[0]!;
          const id = `msg_${requests++}`;
          for (;;) {
            while (source === undefined && !stopped) await waitForChange();
            if (stopped) return;
            const run = runs;
            const response = await source!.fetch(
              new Request("http://hooks.test/", {
                method: "POST",
                headers: {
                  "content-type": "application/x-ndjson",
                  "webhook-id": id,
                },
                body: rows.map((row) => JSON.stringify(row.value) + "\n")
                  .join(""),
              }),
            );
            await response.body?.cancel();
            if (response.ok) break;
            while (runs === run && !stopped) await waitForChange();
            if (stopped) return;
          }
          queue.shift();
        }
      }

      return {
        source() {
          // One server keeps serving one source while its pipeline restarts.
          if (source === undefined) {
            source = webhookSource<Row["value"]>({ ackTimeoutMs: 500 });
            sources.push(source);
          }
          runs++;
          changed();
          return source;
        },
        write(rows) {
          queue.push([...rows]);
          if (!sending) {
            sending = true;
            idle = send().finally(() => sending = false);
          }
        },
        acknowledged: () => idle,
        leaks: () =>
          sources.filter((s) => s.pending > 0)
            .map((s) => `${s.pending} request(s) unanswered`),
        async close() {
          stopped = true;
          changed();
          for (const s of sources) s.close();
          await idle;
        },
      };
    },
  };
}

sourceConformance(harness(), { test });
