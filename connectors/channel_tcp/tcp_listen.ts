// Copyright 2026 the @ca/streams authors. MIT license.

import type { ChannelListener } from "../../src/channel/channel_connection.ts";
import { checkAddress, loadTcpRuntime } from "./tcp_runtime.ts";
import type { TcpAddress } from "./tcp_runtime.ts";

export type { TcpAddress } from "./tcp_runtime.ts";

/**
 * Listens for TCP connections (the reader side of a channel). Iterate it to
 * accept connections; `port` tells the port when 0 was asked for.
 *
 * @param address `hostname` (default `"127.0.0.1"`) and `port` (0: any free).
 * @returns A listener of {@linkcode ChannelConnection}s.
 *
 * @example Listen on a free port
 * ```ts
 * import { tcpListen } from "@ca/streams/channel-tcp";
 *
 * const listener = await tcpListen({ port: 0 });
 * if (!(listener.port > 0)) throw new Error("no port");
 * await listener.close();
 * ```
 */
export async function tcpListen(address: TcpAddress): Promise<ChannelListener> {
  const checked = checkAddress("listen on TCP", address);
  return await (await loadTcpRuntime()).listen(checked);
}
