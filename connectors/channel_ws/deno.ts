// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * WebSocket listening on Deno: `Deno.serve` and `Deno.upgradeWebSocket`.
 * Loaded lazily when `Deno` is a global. The Deno API is typed here by the
 * members used, so the package build (Node types only) compiles this file
 * too.
 *
 * @module
 */

import { CLOSE_CODES } from "../../src/channel/close_codes.ts";
import type {
  ChannelConnection,
  ChannelListener,
} from "../../src/channel/channel_connection.ts";
import { AcceptQueue } from "../../src/channel/accept_queue.ts";
import { webSocketConnection } from "../../src/channel/websocket_connection.ts";
import {
  chooseUpgrade,
  REFUSED_TEXT,
  UNSUPPORTED_REASON,
  type WsRuntime,
} from "./ws_runtime.ts";

interface DenoServer {
  readonly addr: { port: number };
  shutdown(): Promise<void>;
}

interface DenoServeInfo {
  readonly remoteAddr: { hostname: string; port: number };
}

interface DenoApi {
  serve(
    options: {
      hostname: string;
      port: number;
      onListen?(): void;
      onError?(error: unknown): Response;
    },
    handler: (request: Request, info: DenoServeInfo) => Response,
  ): DenoServer;
  upgradeWebSocket(
    request: Request,
    options?: { protocol?: string },
  ): { socket: WebSocket; response: Response };
}

function deno(): DenoApi {
  return (globalThis as unknown as { Deno: DenoApi }).Deno;
}

function refuse(status: number, text: string, headers = {}): Response {
  return new Response(`${text}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  });
}

/** The Deno implementation of {@linkcode WsRuntime}. */
export const denoWs: WsRuntime = {
  listen({ hostname, port, path }, { maxFrameBytes, maxBufferedBytes }) {
    const queue = new AcceptQueue<ChannelConnection>((c) => c.close());
    // Deno's shutdown() closes upgraded sockets too (1001), so a closed
    // listener refuses new requests and shuts down once its last socket
    // has closed: accepted connections stay open, as on TCP.
    let open = 0;
    let closing = false;
    let shutdown: Promise<void> | undefined;
    const stopWhenIdle = () => {
      if (closing && open === 0) {
        shutdown ??= server.shutdown().catch(() => {});
      }
    };
    const server = deno().serve(
      { hostname, port, onListen() {} },
      (request, info) => {
        if (closing) {
          return refuse(503, "Service unavailable: the listener is closed");
        }
        if (new URL(request.url).pathname !== path) {
          return refuse(404, `Not found: WebSocket channels are at ${path}`);
        }
        if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
          return refuse(426, "Upgrade required: this is a WebSocket channel", {
            upgrade: "websocket",
          });
        }
        // Read before upgrading: the request is spent afterwards.
        const remote = `${info.remoteAddr.hostname}:${info.remoteAddr.port}`;
        const upgrade = chooseUpgrade(
          request.headers.get("sec-websocket-protocol"),
        );
        if (upgrade.action === "refuse") return refuse(400, REFUSED_TEXT);
        let upgraded: { socket: WebSocket; response: Response };
        try {
          upgraded = deno().upgradeWebSocket(
            request,
            upgrade.protocol ? { protocol: upgrade.protocol } : {},
          );
        } catch (error) {
          return refuse(
            400,
            `Bad request: ${error instanceof Error ? error.message : error}`,
          );
        }
        const { socket, response } = upgraded;
        open++;
        socket.addEventListener("close", () => {
          open--;
          stopWhenIdle();
        });
        if (upgrade.action === "unsupported") {
          // The protocol's answer to a client that speaks another version.
          socket.addEventListener("open", () => {
            socket.close(CLOSE_CODES.UnsupportedVersion, UNSUPPORTED_REASON);
          });
          return response;
        }
        queue.push(webSocketConnection(socket, {
          maxFrameBytes,
          maxBufferedBytes,
          remote,
        }));
        return response;
      },
    );
    const listener: ChannelListener = {
      port: server.addr.port,
      [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator](),
      close() {
        queue.close();
        closing = true;
        stopWhenIdle();
        return Promise.resolve();
      },
    };
    return Promise.resolve(listener);
  },
};
