// Copyright 2026 the @ca/streams authors. MIT license.
// Test helpers of the HTTP connectors: a real HTTP server on 127.0.0.1
// (node:http through the node-server connector, on Deno and Node) and
// small waits.
import { serveNode } from "../node_server/serve_node.ts";

/** A fetch handler listening on an ephemeral port of 127.0.0.1. */
export interface TestServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `handler` on 127.0.0.1 with `node:http` (Deno runs it too),
 * through the node-server connector's `serveNode()`.
 */
export async function serve(
  handler: (request: Request) => Response | Promise<Response>,
): Promise<TestServer> {
  const server = await serveNode(handler);
  return { url: server.url.href, close: server.close };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A secret for the signature tests. */
export const SECRET = "whsec_" + btoa("a test secret of 24 bytes");
