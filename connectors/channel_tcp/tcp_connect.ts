// Copyright 2026 the @ca/streams authors. MIT license.

import type { ChannelConnection } from "../../src/channel/channel_connection.ts";
import { checkAddress, loadTcpRuntime } from "./tcp_runtime.ts";
import type { TcpAddress } from "./tcp_runtime.ts";

/** Options for {@linkcode tcpConnect}. */
export interface TcpConnectOptions {
  /** Gives up connecting. */
  signal?: AbortSignal;
}

/**
 * Dials a TCP listener (the writer side of a channel).
 *
 * @param address `hostname` (default `"127.0.0.1"`) and `port`.
 * @param options `signal` to give up.
 * @returns The open {@linkcode ChannelConnection}.
 *
 * @example Dial and hang up
 * ```ts
 * import { tcpConnect, tcpListen } from "@ca/streams/channel-tcp";
 *
 * const listener = await tcpListen({ port: 0 });
 * const connection = await tcpConnect({ port: listener.port });
 * connection.close();
 * await listener.close();
 * ```
 */
export async function tcpConnect(
  address: TcpAddress,
  options: TcpConnectOptions = {},
): Promise<ChannelConnection> {
  const checked = checkAddress("connect over TCP", address);
  options.signal?.throwIfAborted();
  return await (await loadTcpRuntime()).connect(checked, options.signal);
}
