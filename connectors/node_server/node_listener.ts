// Copyright 2026 the @ca/streams authors. MIT license.

import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * A web fetch handler: what `Deno.serve()` and workers call.
 *
 * @example One handler for `serveNode()`, `Deno.serve()` or a worker
 * ```ts
 * import { serveNode } from "@ca/streams/node-server";
 * import type { FetchHandler } from "@ca/streams/node-server";
 *
 * const handler: FetchHandler = (request) => new Response(new URL(request.url).pathname);
 * const server = await serveNode(handler);
 * try {
 *   const text = await (await fetch(new URL("/health", server.url))).text();
 *   if (text !== "/health") throw new Error(`unexpected ${text}`);
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/**
 * A `node:http` request listener.
 *
 * @example Add the listener to a `node:http` server of your own
 * ```ts
 * import { createServer } from "node:http";
 * import { nodeListener } from "@ca/streams/node-server";
 * import type { NodeRequestListener } from "@ca/streams/node-server";
 *
 * const listener: NodeRequestListener = nodeListener(() => new Response("ok"));
 * const server = createServer();
 * server.on("request", listener);
 * await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
 * const { port } = server.address() as { port: number };
 * const text = await (await fetch(`http://127.0.0.1:${port}/`)).text();
 * await new Promise((resolve) => server.close(resolve));
 * if (text !== "ok") throw new Error(`unexpected ${text}`);
 * ```
 */
export type NodeRequestListener = (
  request: IncomingMessage,
  response: ServerResponse,
) => void;

/**
 * Options for {@linkcode nodeListener} and `serveNode()`.
 *
 * @example Give each request a signal that aborts on disconnect
 * ```ts
 * import { serveNode } from "@ca/streams/node-server";
 * import type { NodeListenerOptions } from "@ca/streams/node-server";
 *
 * const options: NodeListenerOptions = { requestSignal: true };
 * const server = await serveNode(
 *   (request) => new Response(String(request.signal.aborted)),
 *   options,
 * );
 * try {
 *   const text = await (await fetch(server.url)).text();
 *   if (text !== "false") throw new Error(`unexpected ${text}`);
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export interface NodeListenerOptions {
  /**
   * Give each `Request` a `signal` that aborts when the client goes away
   * (default false). It costs about 5-8 µs per request in Node's `Request`,
   * so it is off unless the handler watches `request.signal`.
   */
  requestSignal?: boolean;
}

/** Bytes of request body buffered ahead of the handler before `node:http` is paused. */
const BODY_HIGH_WATER_MARK = 64 * 1024;

/**
 * Turns a web fetch handler into a `node:http` request listener: the Node
 * request becomes a `Request` (its body a byte stream that pauses the
 * socket when the handler reads slowly; with `requestSignal`, its `signal`
 * aborted when the client goes away), and the `Response` is written back,
 * body streamed with backpressure. A handler that throws answers 500.
 *
 * It imports nothing from Node at run time, so it also serves any server
 * with the same `(request, response)` shape.
 *
 * @param handler The fetch handler, such as a CloudEvents reader's `fetch`.
 * @param options `requestSignal`: abort `request.signal` on disconnect.
 * @returns A listener for `http.createServer()` or `server.on("request")`.
 *
 * @example Serve a fetch handler with node:http
 * ```ts
 * import { createServer } from "node:http";
 * import { nodeListener } from "@ca/streams/node-server";
 *
 * const server = createServer(nodeListener(() => new Response("hi")));
 * await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
 * const { port } = server.address() as { port: number };
 * const text = await (await fetch(`http://127.0.0.1:${port}/`)).text();
 * await new Promise((resolve) => server.close(resolve));
 * if (text !== "hi") throw new Error("unexpected");
 * ```
 */
export function nodeListener(
  handler: FetchHandler,
  options: NodeListenerOptions = {},
): NodeRequestListener {
  if (typeof handler !== "function") {
    throw new TypeError(
      `Cannot create nodeListener(): handler must be a function, got ${typeof handler}`,
    );
  }
  const requestSignal = options.requestSignal === true;
  return (incoming, outgoing) => {
    void respond(handler, incoming, outgoing, requestSignal);
  };
}

async function respond(
  handler: FetchHandler,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  requestSignal: boolean,
): Promise<void> {
  let signal: AbortSignal | undefined;
  if (requestSignal) {
    const abort = new AbortController();
    outgoing.once("close", () => {
      if (!outgoing.writableFinished) abort.abort();
    });
    signal = abort.signal;
  }
  let response: Response;
  try {
    const method = incoming.method ?? "GET";
    const body = method === "GET" || method === "HEAD"
      ? null
      : bodyStream(incoming);
    response = await handler(toRequest(incoming, method, body, signal));
  } catch (error) {
    if (!outgoing.headersSent) {
      outgoing.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
    }
    outgoing.end(
      `Cannot handle request: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
    return;
  }
  await writeResponse(response, incoming.method === "HEAD", outgoing);
}

function toRequest(
  incoming: IncomingMessage,
  method: string,
  body: ReadableStream<Uint8Array> | null,
  signal: AbortSignal | undefined,
): Request {
  const raw = incoming.rawHeaders;
  const headers = new Headers();
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const secure =
    (incoming.socket as { encrypted?: boolean }).encrypted === true;
  const host = incoming.headers.host ?? "localhost";
  const url = `${secure ? "https" : "http"}://${host}${incoming.url ?? "/"}`;
  const init: RequestInit & { duplex?: "half" } = { method, headers };
  if (signal !== undefined) init.signal = signal;
  if (body !== null) {
    init.body = body;
    init.duplex = "half";
  }
  return new Request(url, init);
}

function bodyStream(incoming: IncomingMessage): ReadableStream<Uint8Array> {
  /** The handler cancelled the body: what still arrives is drained, not queued. */
  let cancelled = false;
  return new ReadableStream<Uint8Array>({
    type: "bytes",
    start(controller) {
      incoming.on("data", (chunk: Uint8Array) => {
        if (cancelled) return;
        controller.enqueue(
          // Node's Buffers sit on ArrayBuffers (never shared ones here).
          new Uint8Array(
            chunk.buffer as ArrayBuffer,
            chunk.byteOffset,
            chunk.byteLength,
          ),
        );
        if ((controller.desiredSize ?? 0) <= 0) incoming.pause();
      });
      incoming.once("end", () => {
        try {
          controller.close();
        } catch {
          // Cancelled by the handler already.
        }
      });
      incoming.once("error", (error) => {
        try {
          controller.error(error);
        } catch {
          // Cancelled by the handler already.
        }
      });
    },
    pull() {
      incoming.resume();
    },
    cancel() {
      cancelled = true;
      incoming.resume(); // drain what the client still sends
    },
  }, { highWaterMark: BODY_HIGH_WATER_MARK });
}

async function writeResponse(
  response: Response,
  head: boolean,
  outgoing: ServerResponse,
): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  outgoing.writeHead(
    response.status,
    response.statusText || undefined,
    headers,
  );
  const body = response.body;
  if (body === null || head) {
    await body?.cancel().catch(() => {});
    outgoing.end();
    return;
  }
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!outgoing.write(value)) {
        await new Promise<void>((resolve) => {
          const go = () => {
            outgoing.off("drain", go);
            outgoing.off("close", go);
            resolve();
          };
          outgoing.on("drain", go);
          outgoing.on("close", go);
        });
        if (outgoing.destroyed) {
          await reader.cancel().catch(() => {});
          return;
        }
      }
    }
    outgoing.end();
  } catch (error) {
    outgoing.destroy(error as Error);
  }
}
