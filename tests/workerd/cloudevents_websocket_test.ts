/**
 * `cloudEventsWebSocketWriter()` inside workerd: the worker of
 * `channels_worker.ts` (bundled with esbuild for a neutral platform, served
 * by Miniflare with no compatibility flags) opens a WebSocket with
 * `fetch()` and sends CloudEvents over it to a `cloudEventsWebSocketReader()`
 * here (the `ws` package's server). The reader side in workerd is tested by
 * `channels_test.ts` (`GET /events` with `Upgrade: websocket`).
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
import {
  type CloudEvent,
  cloudEventsWebSocketReader,
} from "@ca/streams/cloudevents";
import { serveWebSockets } from "../cloudevents/_websocket_server.ts";

const WORKER_ENTRY = new URL("./channels_worker.ts", import.meta.url);

let mf: Miniflare | undefined;
let base: URL;

before(async () => {
  ({ mf, base } = await startWorker(WORKER_ENTRY, {
    external: ["cloudflare:sockets"],
  }));
}, { timeout: TIMEOUT_MS });

after(async () => {
  await mf?.dispose();
});

test(
  "cloudEventsWebSocketWriter() in the worker sends over a WebSocket it opens, one event per message, to a reader here",
  { timeout: TIMEOUT_MS },
  async () => {
    const count = 2000;
    const received = collect<CloudEvent<{ n: number }>>();
    let reading!: Promise<unknown>;
    const server = await serveWebSockets((socket) => {
      reading = Promise.resolve(
        pipeline(cloudEventsWebSocketReader<{ n: number }>(socket), received),
      );
    });
    try {
      const target = encodeURIComponent(server.url);
      const response = await fetch(
        new URL(`/events/ws-client?url=${target}&events=${count}`, base),
        { method: "POST" },
      );
      const body = await response.json();
      assert.equal(response.status, 200, JSON.stringify(body));
      assert.deepEqual(body, {
        recordsWritten: count,
        protocol: "cloudevents.json",
      });
      // The writer closed the socket (1000) once all was sent: the reader ends.
      await reading;
      assert.deepEqual(
        received.records.map((event) => event.data?.n),
        Array.from({ length: count }, (_, i) => i),
      );
      assert.equal(received.records[0]!.source, "/tests/workerd");
    } finally {
      await server.close();
    }
  },
);
