// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * Serves web fetch handlers (`(request) => Response`) with `node:http`, so
 * that what runs under `Deno.serve()` and as a worker's `fetch` runs on
 * Node too: a CloudEvents reader, for instance.
 *
 * ```ts
 * import { memoryStore, pipeline } from "@ca/streams";
 * import { cloudEventsReader, cloudEventsWriter } from "@ca/streams/cloudevents";
 * import { serveNode } from "@ca/streams/node-server";
 *
 * const reader = cloudEventsReader();
 * const server = await serveNode(reader.fetch);
 * const stored: unknown[] = [];
 * const running = pipeline(reader, cloudEventsWriter("http://127.0.0.1:9/", {
 *   fetch: async (request) => { // a stand-in for the next hop
 *     stored.push(await request.text());
 *     return new Response(null, { status: 204 });
 *   },
 * }), { id: "relay", checkpoint: { store: memoryStore() } });
 * const response = await fetch(server.url, {
 *   method: "POST",
 *   headers: {
 *     "ce-specversion": "1.0",
 *     "ce-id": "1",
 *     "ce-source": "/s",
 *     "ce-type": "t",
 *     "content-type": "text/plain",
 *   },
 *   body: "hello",
 * });
 * reader.close();
 * await running;
 * await server.close();
 * if (response.status !== 204 || stored[0] !== "hello") throw new Error("unexpected");
 * ```
 *
 * @module
 */

export * from "./node_listener.ts";
export * from "./serve_node.ts";
