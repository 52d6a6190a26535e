// Copyright 2026 the @ca/streams authors. MIT license.

import * as z from "zod/mini";
import { defineProcessor } from "../../src/config/define_processor.ts";
import type { Definition } from "../../src/config/definition_kinds.ts";
import {
  fieldSelectorArg,
  messageFormatArg,
} from "../../src/config/message_args.ts";
import { httpPollSource } from "./http_poll_source.ts";
import { httpSink } from "./http_sink.ts";
import { webhookSource } from "./webhook_source.ts";

const positiveInt = () => z.optional(z.int().check(z.positive()));
const httpUrl = () => z.url({ protocol: /^https?$/ });
const headerRecord = () => z.optional(z.record(z.string(), z.string()));

const webhook = defineProcessor({
  name: "webhook-source",
  kind: "source",
  delivery: "at-least-once",
  description:
    "Receives JSON and NDJSON webhooks over HTTP, answering 2xx once stored; Standard Webhooks signatures and id deduplication.",
  args: z.strictObject({
    port: z._default(z.int().check(z.gte(0), z.lte(65535)), 8080),
    hostname: z._default(z.string(), "127.0.0.1"),
    path: z.optional(z.string().check(z.startsWith("/"))),
    secret: z.optional(z.union([z.string(), z.array(z.string())])),
    toleranceSeconds: positiveInt(),
    dedupWindowMs: positiveInt(),
    idHeader: z.optional(z.string()),
    headers: z.optional(z.array(z.string())),
    splitArrays: z.optional(z.boolean()),
    maxBodyBytes: positiveInt(),
    ackTimeoutMs: positiveInt(),
    successStatus: z.optional(z.literal([200, 202, 204])),
  }),
  // Served with node:http (Deno runs it too), loaded here, not on import.
  async create({ port, hostname, path, ...options }, { signal }) {
    const source = webhookSource({ ...options, signal });
    const { serveNode } = await import("../node_server/serve_node.ts");
    const handler = path === undefined
      ? source.fetch
      : async (request: Request) => {
        if (new URL(request.url).pathname === path) {
          return source.fetch(request);
        }
        await request.body?.cancel().catch(() => {});
        return new Response(null, { status: 404 });
      };
    const server = await serveNode(
      handler,
      { port, hostname, signal },
    );
    // The server closes once the source is read to its end or aborted.
    signal.addEventListener("abort", () => void server.close(), {
      once: true,
    });
    return source;
  },
});

const poll = defineProcessor({
  name: "http-poll-source",
  kind: "source",
  delivery: "at-least-once",
  description:
    "Polls an HTTP endpoint with GET, a cursor from each answer into the next request, ETag/If-None-Match; resumes from the checkpointed cursor.",
  args: z.strictObject({
    url: httpUrl(),
    records: z.optional(fieldSelectorArg()),
    cursor: z.optional(fieldSelectorArg()),
    cursorParam: z.optional(z.string()),
    cursorHeader: z.optional(z.string()),
    initialCursor: z.optional(z.string()),
    bodyFormat: z.optional(z.enum(["json", "ndjson"])),
    intervalMs: positiveInt(),
    requestHeaders: headerRecord(),
    maxAttempts: positiveInt(),
    timeoutMs: positiveInt(),
  }),
  create({ url, maxAttempts, ...options }) {
    return httpPollSource(url, {
      ...options,
      retry: maxAttempts === undefined ? undefined : { maxAttempts },
    });
  },
});

const sink = defineProcessor({
  name: "http-sink",
  kind: "sink",
  delivery: "at-least-once",
  description:
    "Sends records over HTTP, one per request, NDJSON or a JSON array per batch; retries honouring Retry-After, the key as Idempotency-Key, refused records to the dead letter.",
  args: z.strictObject({
    url: httpUrl(),
    mode: z.optional(z.enum(["record", "ndjson", "array"])),
    method: z.optional(z.enum(["POST", "PUT", "PATCH"])),
    format: messageFormatArg(),
    value: z.optional(fieldSelectorArg()),
    key: z.optional(fieldSelectorArg()),
    headers: z.optional(fieldSelectorArg()),
    requestHeaders: headerRecord(),
    idempotencyHeader: z.optional(z.string()),
    maxBatchRecords: positiveInt(),
    maxAttempts: positiveInt(),
    maxRetryAfterMs: positiveInt(),
    timeoutMs: positiveInt(),
  }),
  create({ url, maxAttempts, ...options }, { signal }) {
    return httpSink(url, {
      ...options,
      retry: maxAttempts === undefined ? undefined : { maxAttempts },
      signal,
    });
  },
});

/**
 * The HTTP connector's definitions for pipeline configs: `webhook-source`
 * (served on `hostname:port`, at `path` when given), `http-poll-source` and
 * `http-sink`. Importing this file opens nothing: the webhook server's
 * `node:http` loads when a run creates it.
 *
 * @returns A new array of the definitions.
 *
 * @example List them
 * ```ts
 * import { httpDefinitions } from "./http_definitions.ts";
 *
 * const names = httpDefinitions().map((d) => `${d.kind}:${d.name}`);
 * if (names.join() !== "source:webhook-source,source:http-poll-source,sink:http-sink") {
 *   throw new Error(`unexpected ${names}`);
 * }
 * ```
 */
export function httpDefinitions(): Definition[] {
  return [webhook, poll, sink] as Definition[];
}
