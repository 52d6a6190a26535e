// Copyright 2026 the @ca/streams authors. MIT license.
/**
 * The HTTP connectors inside workerd: `http_worker.ts` is bundled with
 * esbuild for a neutral (non-Node) platform and served by Miniflare with no
 * compatibility flags. A signed webhook posted to the worker reaches a
 * `webhookSource()`, whose pipeline forwards each record with `httpSink()`
 * to a `node:http` server of this test: the worker answers 2xx only once
 * that server answered 2xx, after a 503 with `Retry-After: 1` it waited
 * for; a bad signature gets 401, a repeated webhook id is stored once, and
 * a record the server refuses (422) becomes a dead letter.
 *
 * Run with Node 24: `node --test tests/workerd/*_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, test } from "node:test";
import type { Miniflare } from "miniflare";
import { startWorker, TIMEOUT_MS } from "./_start_worker.ts";
import { signWebhook } from "../../connectors/http/sign_webhook.ts";

const WORKER_ENTRY = new URL("./http_worker.ts", import.meta.url);
const SECRET = "whsec_" + btoa("workerd webhook secret!!");

let mf: Miniflare | undefined;
let server: Server | undefined;
let forward = "";

interface Received {
  at: number;
  key: string | undefined;
  body: string;
  status: number;
}
const received: Received[] = [];
/** Answers for the next requests, by record id: status and headers. */
const plan = new Map<string, Array<[number, Record<string, string>]>>();

before(async () => {
  ({ mf } = await startWorker(WORKER_ENTRY));
  server = createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => body += chunk);
    request.on("end", () => {
      const id = (JSON.parse(body) as { id: string }).id;
      const [status, headers] = plan.get(id)?.shift() ?? [201, {}];
      received.push({
        at: performance.now(),
        key: request.headers["idempotency-key"] as string | undefined,
        body,
        status,
      });
      response.writeHead(status, headers).end();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  forward = `http://127.0.0.1:${address.port}/orders`;
}, { timeout: TIMEOUT_MS });

after(async () => {
  await mf?.dispose();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

async function hook(
  path: string,
  id: string,
  body: string,
  secret = SECRET,
) {
  assert.ok(mf, "Miniflare did not start");
  const timestamp = Math.floor(Date.now() / 1000);
  return await mf.dispatchFetch(
    `http://worker.test${path}?forward=${encodeURIComponent(forward)}`,
    {
      method: "POST",
      headers: {
        "content-type": "application/x-ndjson",
        "webhook-id": id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": await signWebhook(secret, id, timestamp, body),
      },
      body,
    },
  );
}

test(
  "a signed webhook is answered 2xx only once httpSink stored its records, after Retry-After",
  {
    timeout: TIMEOUT_MS,
  },
  async () => {
    received.length = 0;
    plan.set("a1", [[503, { "retry-after": "1" }]]);
    const response = await hook(
      "/hooks",
      "msg_1",
      '{"id":"a1","total":1}\n{"id":"a2","total":2}\n',
    );
    const answeredAt = performance.now();
    assert.equal(response.status, 204, await response.text());
    assert.deepEqual(received.map((r) => [r.key, r.status]), [
      ["a1", 503],
      ["a1", 201],
      ["a2", 201],
    ]);
    const waited = received[1]!.at - received[0]!.at;
    assert.ok(waited >= 950, `waited ${waited} ms for Retry-After: 1`);
    assert.ok(answeredAt >= received[2]!.at, "answered after the last store");
    assert.deepEqual(JSON.parse(received[2]!.body), { id: "a2", total: 2 });
  },
);

test("a bad signature gets 401 and nothing is forwarded", {
  timeout: TIMEOUT_MS,
}, async () => {
  received.length = 0;
  const wrong = "whsec_" + btoa("not the worker's secret!");
  const response = await hook("/hooks", "msg_2", '{"id":"b1"}\n', wrong);
  assert.equal(response.status, 401);
  const body = await response.json() as { message: string };
  assert.match(body.message, /Cannot verify/);
  assert.equal(received.length, 0);
});

test("a repeated webhook id is stored once", {
  timeout: TIMEOUT_MS,
}, async () => {
  received.length = 0;
  const response = await hook("/hooks/twice", "msg_3", '{"id":"c1"}\n');
  assert.equal(response.status, 204);
  assert.equal(response.headers.get("x-statuses"), "204,204");
  assert.deepEqual(received.map((r) => r.key), ["c1"]);
});

test(
  "a record the server refuses becomes a dead letter, the others are stored",
  {
    timeout: TIMEOUT_MS,
  },
  async () => {
    received.length = 0;
    plan.set("d2", [[422, {}]]);
    const response = await hook(
      "/hooks",
      "msg_4",
      '{"id":"d1"}\n{"id":"d2"}\n{"id":"d3"}\n',
    );
    assert.equal(response.status, 204, "a dead letter counts as done");
    assert.deepEqual(received.map((r) => [r.key, r.status]), [
      ["d1", 201],
      ["d2", 422],
      ["d3", 201],
    ]);
    const dead = await mf!.dispatchFetch("http://worker.test/hooks/dead");
    assert.deepEqual(await dead.json(), [{ id: "d2", status: 422 }]);
  },
);
