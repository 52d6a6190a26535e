// Copyright 2026 the @ca/streams authors. MIT license.
/**
 * A Cloudflare worker that runs the HTTP connectors inside workerd: a
 * `webhookSource()` as the worker's fetch handler, feeding a pipeline whose
 * sink is an `httpSink()` that forwards each record to a URL outside.
 *
 * `http_test.ts` bundles this file with esbuild (platform "neutral") and
 * runs it in Miniflare without `nodejs_compat`. Routes:
 *
 * - `POST /hooks?forward=U`: a Standard Webhooks receiver (secret
 *   {@linkcode SECRET}). A source and a pipeline are made for the request
 *   (a pipeline cannot outlive its request in workerd), so the answer is
 *   2xx only once the sink's requests to U were answered 2xx; 401 for a bad
 *   signature. Records go to U one per request, the record's `value.id` as
 *   `Idempotency-Key`; one U refuses (4xx) becomes a dead letter.
 * - `POST /hooks/twice?forward=U`: the same request handed to one source
 *   twice, one after the other: the repeated webhook id is stored once.
 * - `GET /hooks/dead`: the dead letters so far, as `{ id, status }`.
 *
 * The HTTP connector is imported from the source: the package's `./http`
 * export is added when the connector is integrated.
 *
 * @module
 */

import { collect, type DeadLetter, pipeline } from "@ca/streams";
import { HttpError, httpSink, webhookSource } from "@ca/streams/http";
import type { Message } from "@ca/streams/messages";

/** The webhook secret the test signs with. */
const SECRET = "whsec_" + btoa("workerd webhook secret!!");

type Order = { id: string; total: number };

const deadLetters: Array<{ id: string; status: number | undefined }> = [];

/** The worker's entry point. */
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    try {
      switch (url.pathname) {
        case "/hooks":
          return await receive([request], url);
        case "/hooks/twice": {
          const copy = request.clone();
          return await receive([request, copy], url);
        }
        case "/hooks/dead":
          return Response.json(deadLetters);
        default:
          return new Response("Not found", { status: 404 });
      }
    } catch (error) {
      return Response.json({ unexpected: String(error) }, { status: 500 });
    }
  },
};

/** Hands the requests to one source, in order; answers the last answer. */
async function receive(requests: Request[], url: URL): Promise<Response> {
  const forward = url.searchParams.get("forward");
  if (forward === null) return new Response("forward=?", { status: 400 });
  const source = webhookSource<Order>({ secret: SECRET, ackTimeoutMs: 20_000 });
  const dead = collect<DeadLetter<Message<Order>>>();
  const running = pipeline(
    source,
    httpSink<Message<Order>>(forward, {
      value: "/value",
      key: "/value/id",
      retry: { maxAttempts: 3, initialDelayMs: 10 },
    }),
    { deadLetter: dead },
  );
  const statuses: number[] = [];
  let last: Response | undefined;
  for (const request of requests) {
    last = await source.fetch(request);
    statuses.push(last.status);
  }
  source.close();
  await running;
  for (const letter of dead.records) {
    deadLetters.push({
      id: letter.record.value.id,
      status: letter.error instanceof HttpError
        ? letter.error.status
        : undefined,
    });
  }
  const body = await last!.text();
  return new Response(body === "" ? null : body, {
    status: last!.status,
    headers: { "x-statuses": statuses.join(",") },
  });
}
