/**
 * HTTP rows, on the runtime's own `fetch` and HTTP server, with the other
 * end in a Deno process of its own (`http_peer.ts`). Records travel as
 * NDJSON or JSON; no client package.
 *
 * - `webhook-source`: the peer POSTs the records as NDJSON bodies of 100,
 *   16 requests at a time, and its clock runs from the first request to
 *   the last answer. The connector (`webhookSource()` with its defaults,
 *   served by `Deno.serve()`, or `serveNode()` on Node, in a pipeline into
 *   the counting sink: 204 once stored) against a hand-written handler on
 *   the same server that reads the body, parses and counts each line, and
 *   answers 204.
 * - `http-poll-source`: the peer serves pages of 500 records with a cursor
 *   to the next page. The connector (`httpPollSource()`, records at
 *   `/items`, cursor at `/next`) against a loop: `fetch()` the page of the
 *   cursor, parse, count its records, follow `next`. The clock runs from
 *   the first request to the last record counted.
 * - `http-sink`: records POSTed to the peer as NDJSON bodies of 500: the
 *   connector (`httpSink()` in mode `ndjson`, default `maxBatchRecords`
 *   500, the pipeline's `batchSize` set to 500 so that each write is one
 *   request) against a loop POSTing the same bodies one after the other
 *   with `fetch()`. The peer must have counted every record.
 *
 * @module
 */

import { webhookSource } from "../../connectors/http/webhook_source.ts";
import { httpPollSource } from "../../connectors/http/http_poll_source.ts";
import { httpSink } from "../../connectors/http/http_sink.ts";
import type { Message } from "../../src/messages/message.ts";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { batchSink } from "../../src/sinks/batch_sink.ts";
import { chunks, pipeSink, pipeSource } from "./measure.ts";
import {
  type BenchRecord,
  makeRecords,
  ndjson,
  Tally,
  verify,
} from "./records.ts";
import { type Peer, startDenoPeer } from "./spawn_peer.ts";
import type { Impl, Row, RowRun, RowSession } from "./types.ts";

const WEBHOOK_RECORDS_PER_REQUEST = 100;
const WEBHOOK_CONCURRENCY = 16;
const PAGE_RECORDS = 500;
const SINK_RECORDS_PER_REQUEST = 500;

const deno = (globalThis as { Deno?: typeof Deno }).Deno;
const PEER_SERVER = "a Deno peer process on 127.0.0.1";

/** A server of this process, on 127.0.0.1. */
interface LocalServer {
  url: string;
  close(): Promise<void>;
}

/** Serves a fetch handler: `Deno.serve()` on Deno, `serveNode()` on Node. */
async function serveFetch(
  handler: (request: Request) => Response | Promise<Response>,
): Promise<LocalServer> {
  if (deno) {
    let listening!: (port: number) => void;
    const port = new Promise<number>((resolve) => listening = resolve);
    const server = deno.serve({
      port: 0,
      hostname: "127.0.0.1",
      onListen: ({ port }) => listening(port),
    }, handler);
    return {
      url: `http://127.0.0.1:${await port}/`,
      close: () => server.shutdown(),
    };
  }
  const { serveNode } = await import(
    "../../connectors/node_server/serve_node.ts"
  );
  const server = await serveNode(handler);
  return { url: server.url.href, close: () => server.close() };
}

/**
 * The hand-written webhook receiver: parse and count every NDJSON line of
 * a POST, answer 204. On Deno a `Deno.serve()` handler; on Node a
 * `node:http` listener, as one writes it there.
 */
async function serveBaseline(tally: Tally): Promise<LocalServer> {
  if (deno) {
    return serveFetch(async (request) => {
      if (request.method !== "POST") return new Response(null, { status: 405 });
      tally.addNdjson(await request.text());
      return new Response(null, { status: 204 });
    });
  }
  const { createServer } = await import("node:http");
  const server = createServer((request, response) => {
    if (request.method !== "POST") {
      response.writeHead(405).end();
      return;
    }
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => body += chunk);
    request.on("end", () => {
      tally.addNdjson(body);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function startHttpPeer(): Promise<{ peer: Peer; base: string }> {
  const peer = await startDenoPeer("http_peer.ts", []);
  const { port } = JSON.parse(peer.firstLine) as { port: number };
  return { peer, base: `http://127.0.0.1:${port}` };
}

async function post(url: string, body: unknown): Promise<Response> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    throw new Error(
      `Cannot ${url}: ${response.status} ${await response.text()}`,
    );
  }
  return response;
}

/** The webhook source row. */
export const webhookSourceRow: Row = {
  name: "webhook-source",
  records: 200_000,
  multipleOf: WEBHOOK_RECORDS_PER_REQUEST,
  workload: "NDJSON POSTs of 100 records, 16 at a time, from a peer process",
  baseline: "server handler: read the body, parse + count each line, 204",
  clients: [],
  async open(records: number): Promise<RowSession> {
    const { peer, base } = await startHttpPeer();
    const loadTo = async (url: string) => {
      const response = await post(`${base}/load`, {
        url,
        records,
        perRequest: WEBHOOK_RECORDS_PER_REQUEST,
        concurrency: WEBHOOK_CONCURRENCY,
      });
      const result = await response.json() as {
        elapsedMs: number;
        failures: string[];
      };
      if (result.failures.length > 0) {
        throw new Error(
          `Cannot trust webhook-source: ${result.failures.join("; ")}`,
        );
      }
      return result.elapsedMs;
    };
    return {
      server: PEER_SERVER,
      async run(impl: Impl): Promise<RowRun> {
        const tally = new Tally();
        let elapsedMs: number;
        if (impl === "connector") {
          const source = webhookSource<BenchRecord>();
          const server = await serveFetch(source.fetch);
          const running = pipeline(
            source,
            batchSink<Message<BenchRecord>>({
              write(messages) {
                for (let i = 0; i < messages.length; i++) {
                  tally.add(messages[i]!.value);
                }
              },
            }),
          );
          elapsedMs = await loadTo(server.url);
          source.close();
          await running;
          await server.close();
        } else {
          const server = await serveBaseline(tally);
          elapsedMs = await loadTo(server.url);
          await server.close();
        }
        verify(tally, records, `webhook-source ${impl}`);
        return { elapsedMs, records };
      },
      close: () => peer.stop(),
    };
  },
};

/** The HTTP polling source row. */
export const httpPollSourceRow: Row = {
  name: "http-poll-source",
  records: 500_000,
  multipleOf: PAGE_RECORDS,
  workload:
    "GET pages of 500 JSON records, following a cursor, from a peer process",
  baseline: "fetch() the cursor's page, parse, count its records, follow next",
  clients: [],
  async open(records: number): Promise<RowSession> {
    const { peer, base } = await startHttpPeer();
    await post(`${base}/pages`, { records, perPage: PAGE_RECORDS });
    const url = `${base}/page`;
    return {
      server: PEER_SERVER,
      async run(impl: Impl): Promise<RowRun> {
        let run: { elapsedMs: number; tally: Tally };
        if (impl === "connector") {
          run = await pipeSource(
            httpPollSource<BenchRecord>(url, {
              records: "/items",
              cursor: "/next",
            }),
            records,
          );
        } else {
          const tally = new Tally();
          const start = performance.now();
          let cursor: string | undefined;
          while (tally.count < records) {
            const response = await fetch(
              cursor === undefined ? url : `${url}?cursor=${cursor}`,
            );
            const page = await response.json() as {
              items: BenchRecord[];
              next: string;
            };
            for (const record of page.items) tally.add(record);
            cursor = page.next;
          }
          run = { elapsedMs: performance.now() - start, tally };
        }
        verify(run.tally, records, `http-poll-source ${impl}`);
        return { elapsedMs: run.elapsedMs, records };
      },
      close: () => peer.stop(),
    };
  },
};

/** The HTTP sink row. */
export const httpSinkRow: Row = {
  name: "http-sink",
  records: 400_000,
  multipleOf: SINK_RECORDS_PER_REQUEST,
  workload:
    "records from an array, POSTed as NDJSON bodies of 500 to a peer process",
  baseline: "per chunk of 500: fetch() POST of its NDJSON, await the answer",
  clients: [],
  async open(records: number): Promise<RowSession> {
    const { peer, base } = await startHttpPeer();
    const input = makeRecords(records);
    const url = `${base}/ingest`;
    return {
      server: PEER_SERVER,
      async run(impl: Impl): Promise<RowRun> {
        await (await post(`${base}/reset`, {})).body?.cancel();
        let elapsedMs: number;
        if (impl === "connector") {
          elapsedMs = await pipeSink(
            input,
            httpSink<BenchRecord>(url, { mode: "ndjson" }),
            { batchSize: SINK_RECORDS_PER_REQUEST },
          );
        } else {
          const start = performance.now();
          for (const chunk of chunks(input, SINK_RECORDS_PER_REQUEST)) {
            const response = await fetch(url, {
              method: "POST",
              headers: { "content-type": "application/x-ndjson" },
              body: ndjson(chunk, 0, chunk.length),
            });
            await response.body?.cancel();
            if (!response.ok) {
              throw new Error(`Cannot POST: ${response.status}`);
            }
          }
          elapsedMs = performance.now() - start;
        }
        const counted = await (await fetch(`${base}/tally`)).json();
        verify(counted, records, `http-sink ${impl}`);
        return { elapsedMs, records };
      },
      close: () => peer.stop(),
    };
  },
};
