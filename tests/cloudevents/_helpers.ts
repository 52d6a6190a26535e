// Helpers for the CloudEvents tests: a real HTTP server on 127.0.0.1 for a
// fetch handler (Deno.serve on Deno, node:http through the node-server
// connector on Node), and sample events.
import type { CloudEvent } from "@ca/streams/cloudevents";
import { serveNode } from "@ca/streams/node-server";

/** A fetch handler listening on an ephemeral port of 127.0.0.1. */
export interface TestServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves `handler` on 127.0.0.1 with the runtime's own server. */
export async function serve(
  handler: (request: Request) => Promise<Response>,
): Promise<TestServer> {
  if ("Deno" in globalThis) {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen() {},
    }, handler);
    const { port } = server.addr as Deno.NetAddr;
    return {
      url: `http://127.0.0.1:${port}/`,
      port,
      close: () => server.shutdown(),
    };
  }
  const server = await serveNode(handler);
  return { url: server.url.href, port: server.port, close: server.close };
}

/** A valid event with the given id and data. */
export function sample<T>(id: string, data?: T): CloudEvent<T> {
  const event: CloudEvent<T> = {
    specversion: "1.0",
    id,
    source: "/tests/cloudevents",
    type: "com.example.test",
    time: "2026-01-02T03:04:05.678Z",
  };
  if (data !== undefined) event.data = data;
  return event;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
