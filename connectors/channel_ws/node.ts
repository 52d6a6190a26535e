// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * WebSocket listening on Node: a `node:http` server whose upgrades the `ws`
 * package's `WebSocketServer` takes (`noServer`, `maxPayload` set to the
 * frame limit). Loaded lazily when not on Deno; `ws` is an optional peer
 * dependency, needed only here.
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
import { listenServer } from "../node_server/listen_server.ts";

type IncomingMessage = import("node:http").IncomingMessage;
type Duplex = import("node:stream").Duplex;
type Buffer = import("node:buffer").Buffer;

async function loadWs(): Promise<typeof import("ws")> {
  try {
    return await import("ws");
  } catch (error) {
    throw new Error(
      'Cannot listen for WebSockets on Node: the "ws" package is missing (npm install ws)',
      { cause: error },
    );
  }
}

/** Answers a request that will not be upgraded, on the raw socket. */
function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${status === 404 ? "Not Found" : "Bad Request"}\r\n` +
      "Connection: close\r\n" +
      "Content-Type: text/plain; charset=utf-8\r\n" +
      `Content-Length: ${new TextEncoder().encode(body).length}\r\n\r\n${body}`,
  );
}

/** The Node implementation of {@linkcode WsRuntime}. */
export const nodeWs: WsRuntime = {
  async listen({ hostname, port, path }, { maxFrameBytes, maxBufferedBytes }) {
    const http = await import("node:http");
    const ws = await loadWs();
    const WebSocketServer = ws.WebSocketServer ??
      (ws as unknown as { default: typeof ws }).default.WebSocketServer;
    const queue = new AcceptQueue<ChannelConnection>((c) => c.close());
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: maxFrameBytes,
      clientTracking: false,
      handleProtocols: (_protocols, request) =>
        chooseUpgrade(request.headers["sec-websocket-protocol"]).protocol ??
          false,
    });
    const server = http.createServer((request, response) => {
      const found = new URL(request.url ?? "/", "http://localhost")
        .pathname === path;
      response.writeHead(found ? 426 : 404, {
        "content-type": "text/plain; charset=utf-8",
        ...(found ? { upgrade: "websocket" } : {}),
      });
      response.end(
        found
          ? "Upgrade required: this is a WebSocket channel\n"
          : `Not found: WebSocket channels are at ${path}\n`,
      );
    });
    server.on(
      "upgrade",
      (request: IncomingMessage, socket: Duplex, head: Buffer) => {
        socket.on("error", () => {});
        const url = new URL(request.url ?? "/", "http://localhost");
        if (url.pathname !== path) {
          return refuseUpgrade(
            socket,
            404,
            `Not found: WebSocket channels are at ${path}`,
          );
        }
        const upgrade = chooseUpgrade(
          request.headers["sec-websocket-protocol"],
        );
        if (upgrade.action === "refuse") {
          return refuseUpgrade(socket, 400, REFUSED_TEXT);
        }
        // ws answers 400 itself to a malformed upgrade request.
        wss.handleUpgrade(request, socket, head, (client) => {
          if (upgrade.action === "unsupported") {
            // The protocol's answer to a client that speaks another version.
            client.close(CLOSE_CODES.UnsupportedVersion, UNSUPPORTED_REASON);
            return;
          }
          const remote =
            `${request.socket.remoteAddress}:${request.socket.remotePort}`;
          queue.push(
            webSocketConnection(client as unknown as WebSocket, {
              maxFrameBytes,
              maxBufferedBytes,
              remote,
            }),
          );
        });
      },
    );
    const listening = await listenServer(server, port, hostname);
    const listener: ChannelListener = {
      port: listening,
      [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator](),
      close() {
        queue.close();
        // close()'s callback waits for accepted connections to end; they
        // stay open on purpose, so do not wait for it.
        server.close();
        wss.close();
        return Promise.resolve();
      },
    };
    return listener;
  },
};
