// Copyright 2026 the @ca/streams authors. MIT license.

import type { ChannelConnection } from "../../src/channel/channel_connection.ts";
import { checkAddress, loadTcpRuntime } from "./tcp_runtime.ts";
import type { TcpAddress } from "./tcp_runtime.ts";

/**
 * Options for {@linkcode tcpConnect}.
 *
 * @example Give up dialling once a signal is aborted
 * ```ts
 * import { tcpConnect, tcpListen } from "@ca/streams/channel-tcp";
 * import type { TcpConnectOptions } from "@ca/streams/channel-tcp";
 *
 * const listener = await tcpListen({ port: 0 });
 * const controller = new AbortController();
 * const options: TcpConnectOptions = { signal: controller.signal };
 * (await tcpConnect({ port: listener.port }, options)).close();
 * controller.abort(new Error("shutting down"));
 * const error = await tcpConnect({ port: listener.port }, options)
 *   .then(() => undefined, (e: unknown) => e);
 * await listener.close();
 * if (error !== controller.signal.reason) throw new Error(`unexpected ${error}`);
 * ```
 */
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
