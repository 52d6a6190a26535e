/**
 * Which implementations the channel benchmark knows (on each transport,
 * our channel and a raw baseline), and where their readers run.
 *
 * @module
 */

import type { BenchImpl, ImplName, Runtime, Transport } from "./types.ts";

/** Loads one implementation, with only the modules it needs. */
export async function loadImpl(
  transport: Transport,
  impl: ImplName,
): Promise<BenchImpl> {
  if (transport === "tcp") {
    if (impl === "raw") return (await import("./raw_tcp.ts")).rawTcp;
    const { channelImpl } = await import("./channel.ts");
    const { tcpConnect, tcpListen } = await import(
      "../../connectors/channel_tcp/mod.ts"
    );
    return channelImpl({
      listen: () => tcpListen({ port: 0 }),
      // No signal: on Node, `tcpConnect()` hands it to `net.connect()`,
      // which destroys the socket when the writer aborts it at close(),
      // before CLOSE 1000 goes out (the reader then waits for a reconnect).
      connect: (port) => tcpConnect({ port }),
    });
  }
  if (impl === "raw") return (await import("./raw_ws.ts")).rawWs;
  const { channelImpl } = await import("./channel.ts");
  const { wsChannelTransport } = await import("./channel_ws.ts");
  return channelImpl(wsChannelTransport());
}

/**
 * Whether the reader of `transport` runs on `runtime`: the raw WebSocket
 * baseline reads with a `ws` server on Node only (on Deno's Node
 * compatibility it works, but one run in a few stalled until killed).
 */
export function readerRuns(transport: Transport, runtime: Runtime): boolean {
  return transport === "tcp" || runtime === "node";
}
