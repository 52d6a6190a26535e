// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * HTTP connectors on web-standard `fetch`, `Request`, `Response` and
 * `crypto.subtle`, so they run on Deno, Node and in workers:
 * `webhookSource` (a fetch handler that answers 2xx once the records are
 * stored, Standard Webhooks signatures, id deduplication),
 * `httpPollSource` (GET on an interval with a cursor and ETags, resumable
 * from the checkpoint) and `httpSink` (one record, NDJSON or a JSON array
 * per request; retries honouring `Retry-After`; the key as
 * `Idempotency-Key`; refused records to the dead letter).
 *
 * ```ts
 * import { pipeline } from "@ca/streams";
 * import { httpSink, webhookSource } from "@ca/streams/http";
 *
 * const hooks = webhookSource<{ order: number }>();
 * const forwarded: string[] = [];
 * const running = pipeline(hooks, httpSink("http://localhost/orders", {
 *   value: "/value",
 *   key: "/id",
 *   fetch: async (request) => { // a stand-in for the next hop
 *     forwarded.push(`${request.headers.get("idempotency-key")} ${await request.text()}`);
 *     return new Response(null, { status: 201 });
 *   },
 * }));
 * // Deno.serve(hooks.fetch), serveNode(hooks.fetch) or a worker's fetch serves it.
 * const answer = await hooks.fetch(new Request("http://localhost/hooks", {
 *   method: "POST",
 *   headers: { "content-type": "application/json", "webhook-id": "msg_1" },
 *   body: '{"order":7}',
 * }));
 * hooks.close();
 * await running;
 * if (answer.status !== 204 || forwarded[0] !== 'msg_1 {"order":7}') throw new Error("unexpected");
 * ```
 *
 * @module
 */

export * from "./webhook_source.ts";
export * from "./http_poll_source.ts";
export * from "./http_sink.ts";
export * from "./http_error.ts";
export * from "./sign_webhook.ts";
