// Copyright 2026 the @ca/streams authors. MIT license.

import type { Server } from "node:http";
import { nodeListener } from "./node_listener.ts";
import type { FetchHandler, NodeListenerOptions } from "./node_listener.ts";
import { listenServer } from "./listen_server.ts";

/**
 * Options for {@linkcode serveNode}.
 *
 * @example Listen on a chosen address, and stop with a signal
 * ```ts
 * import { serveNode } from "@ca/streams/node-server";
 * import type { ServeNodeOptions } from "@ca/streams/node-server";
 *
 * const controller = new AbortController();
 * const options: ServeNodeOptions = { hostname: "127.0.0.1", port: 0, signal: controller.signal };
 * const server = await serveNode(() => new Response("up"), options);
 * const text = await (await fetch(server.url)).text();
 * controller.abort(); // closes the server, like server.close()
 * await server.close();
 * if (text !== "up" || server.server.listening) throw new Error("unexpected");
 * ```
 */
export interface ServeNodeOptions extends NodeListenerOptions {
  /** The port to listen on (default 0: one the system picks). */
  port?: number;
  /** The address to listen on (default `"127.0.0.1"`). */
  hostname?: string;
  /** Aborting it closes the server, like `close()`. */
  signal?: AbortSignal;
}

/**
 * A running `node:http` server serving a fetch handler.
 *
 * @example Where a server listens
 * ```ts
 * import { serveNode } from "@ca/streams/node-server";
 * import type { NodeServer } from "@ca/streams/node-server";
 *
 * const server: NodeServer = await serveNode(() => new Response(null, { status: 204 }));
 * try {
 *   if (server.url.port !== String(server.port)) throw new Error("unexpected url");
 *   const response = await fetch(server.url);
 *   if (response.status !== 204 || !server.server.listening) throw new Error("unexpected");
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export interface NodeServer {
  /** The address it listens on, such as `http://127.0.0.1:40123/`. */
  readonly url: URL;
  /** The port it listens on. */
  readonly port: number;
  /** The underlying `node:http` server. */
  readonly server: Server;
  /** Stops listening, closes every connection, and resolves once closed. */
  close(): Promise<void>;
}

/**
 * Serves a web fetch handler with `node:http`, the way `Deno.serve()` does
 * on Deno: a CloudEvents reader's `fetch`, for instance. `node:http` is
 * imported on first use, so nothing else loads it.
 *
 * @param handler The fetch handler.
 * @param options `port` (default 0), `hostname` (default `"127.0.0.1"`),
 * `signal`, `requestSignal`.
 * @returns The listening server.
 *
 * @example Serve on an ephemeral port
 * ```ts
 * import { serveNode } from "@ca/streams/node-server";
 *
 * const server = await serveNode((request) =>
 *   new Response(`you sent ${request.method}`)
 * );
 * try {
 *   const response = await fetch(server.url, { method: "POST", body: "x" });
 *   if ((await response.text()) !== "you sent POST") throw new Error("unexpected");
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export async function serveNode(
  handler: FetchHandler,
  options: ServeNodeOptions = {},
): Promise<NodeServer> {
  const listener = nodeListener(handler, {
    requestSignal: options.requestSignal,
  });
  const { createServer } = await import("node:http");
  const hostname = options.hostname ?? "127.0.0.1";
  const server = createServer(listener);
  const port = await listenServer(server, options.port ?? 0, hostname);
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };
  options.signal?.addEventListener("abort", () => void close(), {
    once: true,
  });
  if (options.signal?.aborted) void close();
  return { url: new URL(`http://${host}:${port}/`), port, server, close };
}
