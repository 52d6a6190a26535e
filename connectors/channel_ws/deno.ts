// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * WebSocket listening on Deno: a `node:http` server (`upgrade_server.ts`),
 * whose upgrades `Deno.upgradeWebSocket` performs on the request's socket.
 * Not `Deno.serve`: it gives no way to time out a request whose head
 * arrives slowly (see `upgrade_server.ts`). Loaded lazily when `Deno` is a
 * global. The Deno API is typed here by the members used, so the package
 * build (Node types only) compiles this file too.
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
import { UNSUPPORTED_REASON, type WsRuntime } from "./ws_runtime.ts";
import { listenForUpgrades, refuseUpgrade } from "./upgrade_server.ts";

interface DenoApi {
  upgradeWebSocket(
    request: Request,
    options: { protocol?: string; socket: unknown; head: Uint8Array },
  ): { socket: WebSocket; response: Response };
}

function deno(): DenoApi {
  return (globalThis as unknown as { Deno: DenoApi }).Deno;
}

/** The Deno implementation of {@linkcode WsRuntime}. */
export const denoWs: WsRuntime = {
  async listen(address, limits) {
    const { maxFrameBytes, maxBufferedBytes, handshakeTimeoutMs } = limits;
    const queue = new AcceptQueue<ChannelConnection>((c) => c.close());
    const server = await listenForUpgrades(
      address,
      handshakeTimeoutMs,
      ({ request, socket, head, upgrade, remote, openedAt }) => {
        const headers = new Headers();
        const raw = request.rawHeaders;
        for (let i = 0; i + 1 < raw.length; i += 2) {
          headers.append(raw[i]!, raw[i + 1]!);
        }
        let client: WebSocket;
        try {
          // The 101 answer is written on the socket by Deno itself.
          client = deno().upgradeWebSocket(
            new Request(`http://localhost${address.path}`, { headers }),
            {
              ...(upgrade.protocol ? { protocol: upgrade.protocol } : {}),
              socket,
              head,
            },
          ).socket;
        } catch (error) {
          return refuseUpgrade(
            socket,
            400,
            `Bad request: ${error instanceof Error ? error.message : error}`,
          );
        }
        if (upgrade.action === "unsupported") {
          // The protocol's answer to a client that speaks another version.
          client.addEventListener("open", () => {
            client.close(CLOSE_CODES.UnsupportedVersion, UNSUPPORTED_REASON);
          });
          return;
        }
        queue.push(webSocketConnection(client, {
          maxFrameBytes,
          maxBufferedBytes,
          remote,
          openedAt,
        }));
      },
    );
    const listener: ChannelListener = {
      port: server.port,
      [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator](),
      close() {
        queue.close();
        server.close();
        return Promise.resolve();
      },
    };
    return listener;
  },
};
