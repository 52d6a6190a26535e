/**
 * Channels and CloudEvents inside workerd: `channels_worker.ts` is bundled
 * with esbuild for a neutral (non-Node) platform, `cloudflare:sockets` left
 * to the runtime, and served by Miniflare with no compatibility flags.
 *
 * - CloudEvents reach a pipeline in the worker over HTTP (binary,
 *   structured, batch; 400 and 415 for bad ones) and over WebSocket
 *   (`cloudevents.json`, one event per message, an ack or an error per
 *   message);
 * - a channel writer here (Node's global `WebSocket`) sends to a channel
 *   reader in the worker (`WebSocketPair` + `webSocketConnection()`);
 * - a channel writer in the worker sends to a reader here, over TCP
 *   (`cloudflare:sockets`) and over a WebSocket the worker opens.
 *
 * Run with Node 24: `node --test tests/workerd/*_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Miniflare } from "miniflare";
import { startWorker, TIMEOUT_MS } from "./_start_worker.ts";
import { collect, pipeline } from "@ca/streams";
import { channelReader, channelWriter } from "@ca/streams/channel";
import {
  type CloudEvent,
  encodeHttpBatch,
  encodeHttpBinary,
  encodeHttpStructured,
  encodeWebSocketMessage,
} from "@ca/streams/cloudevents";
import { tcpListen } from "@ca/streams/channel-tcp";
import { wsConnect, wsListen } from "@ca/streams/channel-ws";

const WORKER_ENTRY = new URL("./channels_worker.ts", import.meta.url);

let mf: Miniflare | undefined;
let base: URL;

before(async () => {
  let code: string;
  ({ mf, base, code } = await startWorker(WORKER_ENTRY, {
    external: ["cloudflare:sockets"],
  }));
  assert.match(code, /import\("cloudflare:sockets"\)/, "imported lazily");
}, { timeout: TIMEOUT_MS });

after(async () => {
  await mf?.dispose();
});

function event(id: string, data: unknown = { n: Number(id) }): CloudEvent {
  return {
    specversion: "1.0",
    id,
    source: "/tests/workerd",
    type: "com.example.test",
    datacontenttype: "application/json",
    data,
  };
}

async function post(
  message: { headers: HeadersInit; body: BodyInit | null },
): Promise<{ status: number; body: string }> {
  const response = await fetch(new URL("/events", base), {
    method: "POST",
    headers: message.headers,
    body: message.body,
  });
  return { status: response.status, body: await response.text() };
}

async function stored(): Promise<
  Array<{ via: string; id: string; data: unknown }>
> {
  return await (await fetch(new URL("/events/stored", base))).json();
}

/** Opens a client WebSocket to the worker; rejects if it does not open. */
async function open(path: string, protocols: string[]): Promise<WebSocket> {
  const socket = new WebSocket(
    new URL(path, base.href.replace(/^http/, "ws")),
    protocols,
  );
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve());
    socket.addEventListener("error", () => reject(new Error("no upgrade")));
  });
  return socket;
}

test(
  "CloudEvents over HTTP reach the worker's pipeline: 2xx once stored, 400 and 415 for bad requests",
  {
    timeout: TIMEOUT_MS,
  },
  async () => {
    const binary = await post(encodeHttpBinary(event("1")));
    assert.equal(binary.status, 204, binary.body);
    const structured = await post(encodeHttpStructured(event("2")));
    assert.equal(structured.status, 204, structured.body);
    const batch = await post(encodeHttpBatch([event("3"), event("4")]));
    assert.equal(batch.status, 204, batch.body);

    const invalid = await post({
      headers: {
        "content-type": "application/cloudevents+json",
      },
      body: JSON.stringify({ specversion: "1.0", id: "5", type: "t" }),
    });
    assert.equal(invalid.status, 400);
    const error = JSON.parse(invalid.body);
    assert.equal(error.code, "CA_ERR_CLOUDEVENT");
    assert.ok(
      error.issues.some((issue: { path: string[] }) =>
        issue.path[0] === "source"
      ),
      `names the missing source: ${invalid.body}`,
    );
    const unknown = await post({
      headers: { "content-type": "application/x-unknown" },
      body: "???",
    });
    assert.equal(unknown.status, 415);

    const http = (await stored()).filter((e) => e.via === "http");
    assert.deepEqual(http.map((e) => e.id), ["1", "2", "3", "4"]);
    assert.deepEqual(http[0]!.data, { n: 1 });
  },
);

test(
  "CloudEvents over WebSocket (cloudevents.json): one event per message, an ack once stored, an error for an invalid one",
  {
    timeout: TIMEOUT_MS,
  },
  async () => {
    const socket = await open("/events", ["cloudevents.json"]);
    assert.equal(socket.protocol, "cloudevents.json");
    const replies: Array<Record<string, unknown>> = [];
    const got = (count: number) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (replies.length >= count) resolve();
        };
        socket.addEventListener("message", (message) => {
          replies.push(JSON.parse(String(message.data)));
          check();
        });
        check();
      });
    const all = got(4);
    socket.send(encodeWebSocketMessage(event("ws-1")));
    socket.send(encodeWebSocketMessage(event("ws-2", "text")));
    socket.send('{"specversion":"1.0","id":"ws-bad","source":"/s"}');
    socket.send(encodeWebSocketMessage(event("ws-3")));
    await all;
    socket.close(1000);
    const acks = replies.filter((r) => r.type === "ack").map((r) => r.id);
    assert.deepEqual(acks, ["ws-1", "ws-2", "ws-3"]);
    const errors = replies.filter((r) => r.type === "error");
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, "CA_ERR_CLOUDEVENT");
    assert.ok(
      (errors[0]!.issues as Array<{ path: string[] }>).some((issue) =>
        issue.path[0] === "type"
      ),
      `names the missing type: ${JSON.stringify(errors[0])}`,
    );
    const ws = (await stored()).filter((e) => e.via === "websocket");
    assert.deepEqual(ws.map((e) => e.id), ["ws-1", "ws-2", "ws-3"]);
    assert.equal(ws[1]!.data, "text");

    // Without the subprotocol the worker refuses the upgrade.
    // (Miniflare's dispatchFetch sends an upgrade; Node's fetch will not.)
    const refused = await mf!.dispatchFetch(new URL("/events", base), {
      headers: { upgrade: "websocket" },
    });
    assert.equal(refused.status, 400);
    assert.equal(
      (await refused.json() as { code: string }).code,
      "CA_ERR_CLOUDEVENT",
    );
  },
);

test(
  "a channel reader in the worker receives from a writer here over WebSocket",
  {
    timeout: TIMEOUT_MS,
  },
  async () => {
    const records = 20_000;
    const url = new URL(
      "/channel?stream=to-worker&token=t0ken",
      base.href.replace(/^http/, "ws"),
    );
    const summary = await pipeline(
      Array.from({ length: records }, (_, id) => ({ id })),
      channelWriter<{ id: number }>((signal) => wsConnect(url, { signal }), {
        stream: "to-worker",
        token: "t0ken",
        batchRecords: 500,
      }),
      { batchSize: 500 },
    );
    assert.equal(summary.recordsWritten, records);
    // Every batch was acknowledged, so the worker stored it before this.
    let result: Record<string, unknown> | null = null;
    for (let i = 0; i < 100; i++) {
      result = await (await fetch(
        new URL("/channel/stored?stream=to-worker", base),
      )).json();
      if (result?.done) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(result, {
      count: records,
      inOrder: true,
      last: records - 1,
      done: true,
    });

    // A wrong token is refused by the reader in the worker.
    await assert.rejects(
      Promise.resolve(pipeline(
        [{ id: 0 }],
        channelWriter<{ id: number }>(() => wsConnect(url), {
          stream: "to-worker",
          token: "wrong",
        }),
      )),
      (error: unknown) =>
        (error as { cause?: { code?: string } }).cause?.code === "CA_ERR_AUTH",
    );
    // A client that does not offer ca-streams.v1 is closed with 4002.
    const socket = await open("/channel", []);
    const closed = await new Promise<CloseEvent>((resolve) =>
      socket.addEventListener("close", resolve)
    );
    assert.equal(closed.code, 4002);
  },
);

test(
  "a channel writer in the worker sends to a reader here over TCP (cloudflare:sockets)",
  {
    timeout: TIMEOUT_MS,
  },
  async () => {
    const records = 20_000;
    const listener = await tcpListen({ port: 0 });
    const received = collect<{ id: number }>();
    const reading = pipeline(
      channelReader<{ id: number }>(listener, {
        stream: "from-worker",
        token: "s3cret",
      }),
      received,
    );
    const response = await fetch(
      new URL(
        `/tcp?port=${listener.port}&records=${records}&token=s3cret`,
        base,
      ),
      { method: "POST" },
    );
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(body.recordsWritten, records);
    await reading;
    assert.deepEqual(
      received.records.map((r) => r.id),
      Array.from({ length: records }, (_, id) => id),
    );
  },
);

test(
  "a channel writer in the worker sends to a reader here over a WebSocket it opens",
  {
    timeout: TIMEOUT_MS,
  },
  async () => {
    const records = 20_000;
    const listener = await wsListen({ port: 0, path: "/in" });
    const received = collect<{ id: number }>();
    const reading = pipeline(
      channelReader<{ id: number }>(listener, { stream: "from-worker-ws" }),
      received,
    );
    const target = encodeURIComponent(`ws://127.0.0.1:${listener.port}/in`);
    const response = await fetch(
      new URL(`/ws-client?url=${target}&records=${records}`, base),
      { method: "POST" },
    );
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(body.recordsWritten, records);
    assert.equal(body.protocol, "ca-streams.v1");
    await reading;
    assert.deepEqual(
      received.records.map((r) => r.id),
      Array.from({ length: records }, (_, id) => id),
    );
  },
);
