// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * WebSocket listening on Node: a `node:http` server (`upgrade_server.ts`)
 * whose upgrades the `ws` package's `WebSocketServer` takes (`noServer`,
 * `maxPayload` set to the frame limit). Loaded lazily when not on Deno;
 * `ws` is an optional peer dependency, needed only here.
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
  UNSUPPORTED_REASON,
  type WsRuntime,
} from "./ws_runtime.ts";
import { listenForUpgrades } from "./upgrade_server.ts";

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

/** The Node implementation of {@linkcode WsRuntime}. */
export const nodeWs: WsRuntime = {
  async listen(address, limits) {
    const { maxFrameBytes, maxBufferedBytes, handshakeTimeoutMs } = limits;
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
    const server = await listenForUpgrades(
      address,
      handshakeTimeoutMs,
      ({ request, socket, head, upgrade, remote, openedAt }) => {
        // ws answers 400 itself to a malformed upgrade request.
        wss.handleUpgrade(request, socket, head, (client) => {
          if (upgrade.action === "unsupported") {
            // The protocol's answer to a client that speaks another version.
            client.close(CLOSE_CODES.UnsupportedVersion, UNSUPPORTED_REASON);
            return;
          }
          queue.push(
            webSocketConnection(client as unknown as WebSocket, {
              maxFrameBytes,
              maxBufferedBytes,
              remote,
              openedAt,
            }),
          );
        });
      },
    );
    const listener: ChannelListener = {
      port: server.port,
      [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator](),
      close() {
        queue.close();
        server.close();
        wss.close();
        return Promise.resolve();
      },
    };
    return listener;
  },
};
