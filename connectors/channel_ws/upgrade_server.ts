// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * The HTTP side of a WebSocket listener, shared by Deno and Node: a
 * `node:http` server that answers what it will not upgrade, bounds how long
 * a request may take, and hands the upgrades it accepts to the runtime's
 * WebSocket server (`ws` on Node, `Deno.upgradeWebSocket` on Deno).
 *
 * Deno too serves with `node:http` rather than `Deno.serve`: `Deno.serve`
 * has no timeout for a request's head, so a client sending an upgrade
 * request one byte a second held its connection for as long as it liked,
 * before any token was checked. `node:http`'s `headersTimeout` and
 * `requestTimeout` answer it 408 and close it, on both runtimes.
 *
 * @module
 */

import { listenServer } from "../node_server/listen_server.ts";
import { chooseUpgrade, REFUSED_TEXT, type Upgrade } from "./ws_runtime.ts";

type IncomingMessage = import("node:http").IncomingMessage;
type Duplex = import("node:stream").Duplex;
type Buffer = import("node:buffer").Buffer;

/** An upgrade request for the channel's path that offers a ca-streams version. */
export interface UpgradeRequest {
  request: IncomingMessage;
  socket: Duplex;
  /** Bytes that arrived after the request head. */
  head: Buffer;
  /** How to answer, by the subprotocols offered: never `"refuse"`. */
  upgrade: Exclude<Upgrade, { action: "refuse" }>;
  /** Where the client is (`127.0.0.1:50312`). */
  remote: string;
  /** When its TCP connection opened, as `Date.now()`. */
  openedAt: number;
}

/** A listening upgrade server. */
export interface UpgradeServer {
  /** The port it listens on. */
  port: number;
  /** Stops listening; upgraded connections stay open. */
  close(): void;
}

/** Answers a request that will not be upgraded, on the raw socket. */
export function refuseUpgrade(
  socket: Duplex,
  status: 400 | 404,
  text: string,
): void {
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${status === 404 ? "Not Found" : "Bad Request"}\r\n` +
      "Connection: close\r\n" +
      "Content-Type: text/plain; charset=utf-8\r\n" +
      `Content-Length: ${new TextEncoder().encode(body).length}\r\n\r\n${body}`,
  );
}

/**
 * Listens on `hostname`:`port` and calls `onUpgrade` for each upgrade
 * request for `path` that offers a ca-streams version. Other paths get 404,
 * plain requests 426, an upgrade offering only other protocols 400, and a
 * connection whose request is not complete within `handshakeTimeoutMs` of
 * its opening 408. Every answer but an upgrade closes the connection, so an
 * upgrade is always a connection's first request and its opening time is
 * the start of its handshake.
 *
 * @param address Where to listen, and the only path upgraded.
 * @param handshakeTimeoutMs How long a request may take from the TCP connection.
 * @param onUpgrade Takes an accepted upgrade: it must answer on the socket.
 * @returns The server, once listening.
 */
export async function listenForUpgrades(
  address: { hostname: string; port: number; path: string },
  handshakeTimeoutMs: number,
  onUpgrade: (upgrade: UpgradeRequest) => void,
): Promise<UpgradeServer> {
  const { hostname, port, path } = address;
  const http = await import("node:http");
  const server = http.createServer({
    // Both bound the request head; the upgrade has no body to wait for.
    headersTimeout: handshakeTimeoutMs,
    requestTimeout: handshakeTimeoutMs,
    // Node looks for late requests on this interval (default 30 s, which
    // would let a request live up to 30 s past its timeout).
    connectionsCheckingInterval: Math.max(
      10,
      Math.min(1000, Math.ceil(handshakeTimeoutMs / 8)),
    ),
  }, (request, response) => {
    const found = new URL(request.url ?? "/", "http://localhost")
      .pathname === path;
    response.writeHead(found ? 426 : 404, {
      "content-type": "text/plain; charset=utf-8",
      connection: "close",
      ...(found ? { upgrade: "websocket" } : {}),
    });
    response.end(
      found
        ? "Upgrade required: this is a WebSocket channel\n"
        : `Not found: WebSocket channels are at ${path}\n`,
    );
  });
  const openedAt = new WeakMap<object, number>();
  server.on("connection", (socket: Duplex) => {
    openedAt.set(socket, Date.now());
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
      const upgrade = chooseUpgrade(request.headers["sec-websocket-protocol"]);
      if (upgrade.action === "refuse") {
        return refuseUpgrade(socket, 400, REFUSED_TEXT);
      }
      onUpgrade({
        request,
        socket,
        head,
        upgrade,
        remote: `${request.socket.remoteAddress}:${request.socket.remotePort}`,
        openedAt: openedAt.get(request.socket) ?? Date.now(),
      });
    },
  );
  const listening = await listenServer(server, port, hostname);
  return {
    port: listening,
    close() {
      // close()'s callback waits for accepted connections to end; they
      // stay open on purpose, so do not wait for it.
      server.close();
    },
  };
}
