/**
 * The channel's WebSocket transport for the benchmark:
 * `connectors/channel_ws/` (`wsListen()`: `node:http` with the `ws` server
 * on Node, with `Deno.upgradeWebSocket` on Deno; `wsConnect()` with the
 * global `WebSocket`).
 *
 * @module
 */

import { wsConnect, wsListen } from "../../connectors/channel_ws/mod.ts";
import type { ChannelTransport } from "./channel.ts";

/** Listens on 127.0.0.1 and dials it, with the connector's defaults. */
export function wsChannelTransport(): ChannelTransport {
  return {
    listen: () => wsListen({ port: 0 }),
    connect: (port, signal) => wsConnect(`ws://127.0.0.1:${port}/`, { signal }),
  };
}
