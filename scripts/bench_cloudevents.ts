/**
 * CloudEvents benchmark: `deno run -A scripts/bench_cloudevents.ts`
 * (also `node_modules/node24/bin/node scripts/bench_cloudevents.ts`).
 *
 * Every figure is measured in this run against a baseline built on the
 * official `cloudevents` SDK, with warm-up, interleaved rounds and the
 * median of them; results are consumed (counted and checked).
 *
 * 1. **decode** (in-process): decoding and validating the same bytes with
 *    `decodeHttpMessage()` and with the SDK's `HTTP.toEvent()` (which gets
 *    the body as text, as its own transport does, with the UTF-8 decoding
 *    timed): a batch of 1000 events (batched mode), and single events in
 *    binary and structured mode. Target: ours >= 1.5x.
 * 2. **http** (real HTTP on 127.0.0.1, one client for both servers:
 *    `fetch()` on Deno, `node:http` with a 16-socket keep-alive agent on
 *    Node, see `agent`): our `cloudEventsReader()` behind `Deno.serve()`
 *    (on Node, the `node-server` connector), in a pipeline with a checkpoint whose sink
 *    counts and checks the events, answering 204 once stored; against an
 *    SDK server (`node:http`, `HTTP.toEvent()`, the same counting sink,
 *    204). Batched mode (100 events per request) and binary mode (one per
 *    request), 16 requests in flight. Target: ours no slower (>= 1.0x).
 *
 * Options: `--rounds N` (default 5), `--ms N` time per measurement (default
 * 400 for decode, 1500 for http), `--only decode|http`, `--json` (one JSON
 * object per line on stdout).
 *
 * @module
 */

import { Agent, createServer, request as httpRequest } from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import { HTTP } from "cloudevents";
import {
  type CloudEvent,
  cloudEventsReader,
  decodeHttpMessage,
  encodeHttpBatch,
  encodeHttpBinary,
  encodeHttpStructured,
} from "../src/cloudevents/mod.ts";
import { pipeline } from "../src/pipeline/pipeline.ts";
import { memoryStore } from "../src/checkpoint/memory_store.ts";
import { batchSink } from "../src/sinks/batch_sink.ts";
import { serveNode } from "../connectors/node_server/serve_node.ts";

const args = typeof Deno !== "undefined"
  ? Deno.args
  : (globalThis as unknown as { process: { argv: string[] } }).process.argv
    .slice(2);
function option(name: string): string | undefined {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? undefined : args[at + 1];
}
const ROUNDS = Number(option("rounds") ?? 5);
const JSON_OUT = args.includes("--json");
const ONLY = option("only");
const RUNTIME = typeof Deno !== "undefined"
  ? `deno ${Deno.version.deno}`
  : `node ${
    (globalThis as unknown as { process: { version: string } }).process
      .version
  }`;

function log(line: string): void {
  if (JSON_OUT) console.error(line);
  else console.log(line);
}

/** A realistic event: core attributes, an extension, a small JSON payload. */
function makeEvent(i: number): CloudEvent<Record<string, unknown>> {
  return {
    specversion: "1.0",
    id: `8c4b3f1e-${String(i).padStart(8, "0")}`,
    source: "https://shop.example.com/orders",
    type: "com.example.order.paid",
    subject: `orders/${i}`,
    time: "2026-03-04T05:06:07.123Z",
    datacontenttype: "application/json",
    sequence: String(i).padStart(10, "0"),
    tenant: "acme",
    data: {
      order: i,
      customer: `c-${i % 977}`,
      total: Math.round(i * 13.7) / 100,
      items: [{ sku: "A-1", qty: 2 }, { sku: "B-7", qty: 1 }],
      paid: true,
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs `fn` repeatedly for about `ms`; returns records/s. */
function timeSync(fn: () => number, ms: number): number {
  let records = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 10; i++) records += fn();
    now = performance.now();
  }
  return records / ((now - start) / 1000);
}

interface Result {
  bench: string;
  ours: number;
  sdk: number;
  ratio: number;
  target: number;
}
const results: Result[] = [];

function report(bench: string, ours: number[], sdk: number[], target: number) {
  const o = median(ours), s = median(sdk);
  const result = { bench, ours: o, sdk: s, ratio: o / s, target };
  results.push(result);
  if (JSON_OUT) console.log(JSON.stringify({ runtime: RUNTIME, ...result }));
  log(
    `${bench.padEnd(28)} ours ${fmt(o)} rec/s   sdk ${fmt(s)} rec/s   ratio ${
      result.ratio.toFixed(2)
    }x (target >= ${target}x) ${result.ratio >= target ? "met" : "NOT met"}`,
  );
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(1)}k`;
}

// --- 1. in-process decode + validate ------------------------------------

function decodeBench(): void {
  const ms = Number(option("ms") ?? 400);
  const utf8 = new TextDecoder();
  const cases: {
    name: string;
    headers: Headers;
    body: Uint8Array;
    count: number;
  }[] = [];
  const toBytes = (body: string | Uint8Array | null) =>
    typeof body === "string" ? new TextEncoder().encode(body) : body!;
  const batch = encodeHttpBatch(
    Array.from({ length: 1000 }, (_, i) => makeEvent(i)),
  );
  cases.push({
    name: "decode batch of 1000",
    headers: batch.headers,
    body: toBytes(batch.body),
    count: 1000,
  });
  const binary = encodeHttpBinary(makeEvent(1));
  cases.push({
    name: "decode binary event",
    headers: binary.headers,
    body: toBytes(binary.body),
    count: 1,
  });
  const structured = encodeHttpStructured(makeEvent(1));
  cases.push({
    name: "decode structured event",
    headers: structured.headers,
    body: toBytes(structured.body),
    count: 1,
  });
  for (const c of cases) {
    const plain = Object.fromEntries(c.headers) as IncomingHttpHeaders;
    const ours = () => {
      const events = decodeHttpMessage(c.headers, c.body);
      if (events.length !== c.count) throw new Error("ours: wrong count");
      return events.length;
    };
    const sdk = () => {
      const parsed = HTTP.toEvent({
        headers: plain,
        body: utf8.decode(c.body),
      });
      const n = Array.isArray(parsed) ? parsed.length : 1;
      if (n !== c.count) throw new Error("sdk: wrong count");
      return n;
    };
    // Same result first: the SDK reads what we decode.
    const sample = HTTP.toEvent({ headers: plain, body: utf8.decode(c.body) });
    const first = Array.isArray(sample) ? sample[0]! : sample;
    if (first.id !== decodeHttpMessage(c.headers, c.body)[0]!.id) {
      throw new Error(`${c.name}: results differ`);
    }
    timeSync(ours, ms / 2); // warm up
    timeSync(sdk, ms / 2);
    const o: number[] = [], s: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2 === 0) {
        o.push(timeSync(ours, ms));
        s.push(timeSync(sdk, ms));
      } else {
        s.push(timeSync(sdk, ms));
        o.push(timeSync(ours, ms));
      }
    }
    report(c.name, o, s, 1.5);
  }
}

// --- 2. over real HTTP ------------------------------------------------------

interface Server {
  url: string;
  stored(): number;
  close(): Promise<void>;
}

/** The same sink work on both sides: count and check every event. */
function makeCounter() {
  let count = 0;
  return {
    add(events: CloudEvent[]) {
      for (const event of events) {
        if (event.type !== "com.example.order.paid") {
          throw new Error("bad event");
        }
        count++;
      }
    },
    get count() {
      return count;
    },
  };
}

async function oursServer(): Promise<Server> {
  const counter = makeCounter();
  const reader = cloudEventsReader({ maxBodyBytes: 8 << 20 });
  const running = pipeline(
    reader,
    batchSink<CloudEvent>({ write: (events) => counter.add(events) }),
    { id: "bench", checkpoint: { store: memoryStore() } },
  );
  if (typeof Deno !== "undefined") {
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      reader.fetch,
    );
    return {
      url: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}/`,
      stored: () => counter.count,
      async close() {
        reader.close();
        await running;
        await server.shutdown();
      },
    };
  }
  const server = await serveNode(reader.fetch);
  return {
    url: server.url.href,
    stored: () => counter.count,
    async close() {
      reader.close();
      await running;
      await server.close();
    },
  };
}

async function sdkServer(): Promise<Server> {
  const counter = makeCounter();
  const server = createServer((request, response) => {
    const chunks: Uint8Array[] = [];
    request.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    request.on("end", () => {
      try {
        const body = new TextDecoder().decode(concat(chunks));
        const parsed = HTTP.toEvent({ headers: request.headers, body });
        counter.add((Array.isArray(parsed) ? parsed : [parsed]) as never);
        response.writeHead(204).end();
      } catch (error) {
        response.writeHead(400).end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    stored: () => counter.count,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * The load client's keep-alive pool on Node, shared by both servers. Node's
 * `fetch()` (undici) streams every request body through an async generator
 * and drops the connection when a response completes before that generator
 * has finished, so against a fast 204 it falls, at random and for either
 * server, into one new connection per request (about 4x slower, thousands
 * of sockets in TIME_WAIT). `node:http` with a keep-alive agent writes the
 * body at once and keeps its 16 connections.
 */
const agent = typeof Deno === "undefined"
  ? new Agent({ keepAlive: true, maxSockets: 16 })
  : undefined;

/** One POST with `node:http` on the keep-alive `agent`; resolves to the status. */
function post(
  url: string,
  headers: Record<string, string>,
  body: Uint8Array,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method: "POST", headers, agent });
    outgoing.once("error", reject);
    outgoing.once("response", (response) => {
      const chunks: Uint8Array[] = [];
      response.on("data", (chunk: Uint8Array) => chunks.push(chunk));
      response.once("error", reject);
      response.once("end", () => {
        const status = response.statusCode ?? 0;
        if (status === 204) resolve(status);
        else {
          reject(
            new Error(
              `status ${status}: ${new TextDecoder().decode(concat(chunks))}`,
            ),
          );
        }
      });
    });
    outgoing.end(body);
  });
}

/** Posts `message` from 16 loops for about `ms`; returns records/s stored. */
async function load(
  server: Server,
  message: { headers: Headers; body: string | Uint8Array | null },
  perRequest: number,
  ms: number,
): Promise<number> {
  const before = server.stored();
  const headers = Object.fromEntries(message.headers);
  const bytes = typeof message.body === "string"
    ? new TextEncoder().encode(message.body)
    : message.body ?? new Uint8Array(0);
  if (agent !== undefined) headers["content-length"] = String(bytes.length);
  const start = performance.now();
  let sent = 0;
  const loop = async () => {
    while (performance.now() - start < ms) {
      if (agent !== undefined) await post(server.url, headers, bytes);
      else {
        const response = await fetch(server.url, {
          method: "POST",
          headers,
          body: bytes as BodyInit,
        });
        if (response.status !== 204) {
          throw new Error(
            `status ${response.status}: ${await response.text()}`,
          );
        }
        await response.arrayBuffer();
      }
      sent += perRequest;
    }
  };
  await Promise.all(Array.from({ length: 16 }, loop));
  const seconds = (performance.now() - start) / 1000;
  const stored = server.stored() - before;
  if (stored !== sent) throw new Error(`stored ${stored}, answered ${sent}`);
  return stored / seconds;
}

async function httpBench(): Promise<void> {
  const ms = Number(option("ms") ?? 1500);
  const workloads = [
    {
      name: "http batch (100/request)",
      message: encodeHttpBatch(
        Array.from({ length: 100 }, (_, i) => makeEvent(i)),
      ),
      perRequest: 100,
    },
    {
      name: "http binary (1/request)",
      message: encodeHttpBinary(makeEvent(1)),
      perRequest: 1,
    },
  ];
  const ours = await oursServer();
  const sdk = await sdkServer();
  try {
    for (const w of workloads) {
      await load(ours, w.message, w.perRequest, ms / 3); // warm up
      await load(sdk, w.message, w.perRequest, ms / 3);
      const o: number[] = [], s: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        if (r % 2 === 0) {
          o.push(await load(ours, w.message, w.perRequest, ms));
          s.push(await load(sdk, w.message, w.perRequest, ms));
        } else {
          s.push(await load(sdk, w.message, w.perRequest, ms));
          o.push(await load(ours, w.message, w.perRequest, ms));
        }
      }
      report(w.name, o, s, 1.0);
    }
  } finally {
    agent?.destroy();
    await ours.close();
    await sdk.close();
  }
}

log(
  `CloudEvents benchmark on ${RUNTIME}, ${ROUNDS} interleaved rounds, medians`,
);
if (ONLY === undefined || ONLY === "decode") decodeBench();
if (ONLY === undefined || ONLY === "http") await httpBench();
const missed = results.filter((r) => r.ratio < r.target).length;
log(`targets: ${results.length - missed} met, ${missed} not met`);
