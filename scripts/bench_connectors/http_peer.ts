/**
 * The other end of the HTTP rows, in a Deno process of its own (so that its
 * work does not share a core with what is measured). Prints `{"port":N}`
 * once it listens on 127.0.0.1, then serves:
 *
 * - `POST /pages` `{records, perPage}`: prepares the pages of `GET /page`.
 * - `GET /page?cursor=K`: page K (none: page 0) as
 *   `{"items":[...perPage records],"next":"K+1"}`; past the last page
 *   `{"items":[],"next":"K"}`. Pages are rendered beforehand.
 * - `POST /ingest`: an NDJSON body whose lines it parses and counts; 204.
 * - `GET /tally`: `{count, sum}` of what `/ingest` got; `POST /reset`
 *   forgets it.
 * - `POST /load` `{url, records, perRequest, concurrency}`: sends the
 *   records to `url` as NDJSON bodies of `perRequest` records, `concurrency`
 *   requests at a time (bodies built before the clock starts), and answers
 *   `{elapsedMs, failures}` once every request was answered: from the first
 *   request sent to the last answer, the webhook rows' figure.
 *
 * @module
 */

import { makeRecords, ndjson, Tally } from "./records.ts";

let pages: string[] = [];
let tally = new Tally();

function emptyPage(cursor: number): string {
  return JSON.stringify({ items: [], next: String(cursor) });
}

async function load(
  url: string,
  records: number,
  perRequest: number,
  concurrency: number,
): Promise<{ elapsedMs: number; failures: string[] }> {
  const all = makeRecords(records);
  const bodies: string[] = [];
  for (let from = 0; from < records; from += perRequest) {
    bodies.push(ndjson(all, from, Math.min(from + perRequest, records)));
  }
  const failures: string[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/x-ndjson" },
          body,
        });
        await response.arrayBuffer();
        if (response.status !== 204) failures.push(`status ${response.status}`);
      } catch (error) {
        failures.push(String(error));
      }
    }
  }));
  return {
    elapsedMs: performance.now() - start,
    failures: failures.slice(0, 5),
  };
}

const server = Deno.serve({
  port: 0,
  hostname: "127.0.0.1",
  onListen({ port }) {
    console.log(JSON.stringify({ port }));
  },
}, async (request) => {
  const url = new URL(request.url);
  switch (`${request.method} ${url.pathname}`) {
    case "GET /page": {
      const cursor = Number(url.searchParams.get("cursor") ?? "0");
      return new Response(pages[cursor] ?? emptyPage(cursor), {
        headers: { "content-type": "application/json" },
      });
    }
    case "POST /ingest":
      tally.addNdjson(await request.text());
      return new Response(null, { status: 204 });
    case "POST /pages": {
      const { records, perPage } = await request.json();
      const all = makeRecords(records);
      pages = [];
      for (let from = 0; from < records; from += perPage) {
        pages.push(JSON.stringify({
          items: all.slice(from, from + perPage),
          next: String(pages.length + 1),
        }));
      }
      return new Response(null, { status: 204 });
    }
    case "GET /tally":
      return Response.json({ count: tally.count, sum: tally.sum });
    case "POST /reset":
      tally = new Tally();
      return new Response(null, { status: 204 });
    case "POST /load": {
      const { url: target, records, perRequest, concurrency } = await request
        .json();
      return Response.json(
        await load(target, records, perRequest, concurrency),
      );
    }
  }
  return new Response("not found", { status: 404 });
});

Deno.addSignalListener("SIGTERM", () => {
  server.shutdown().then(() => Deno.exit(0));
});
