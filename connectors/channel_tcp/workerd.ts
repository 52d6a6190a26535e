// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * TCP from a Cloudflare worker: `connect()` of `cloudflare:sockets`, for the
 * writer side of a channel (workers cannot listen). Import this module, not
 * `@ca/streams/channel-tcp`, in a worker: it names no `node:*` module, so it
 * bundles without `nodejs_compat`; `cloudflare:sockets` is imported lazily
 * and stays external to the bundle.
 *
 * ```ts ignore
 * import { pipeline } from "@ca/streams";
 * import { channelWriter } from "@ca/streams/channel";
 * import { tcpConnectWorkerd } from "@ca/streams/channel-tcp-workerd";
 *
 * export default {
 *   async fetch(request: Request): Promise<Response> {
 *     const records: unknown[] = await request.json();
 *     await pipeline(records, channelWriter(
 *       (signal) => tcpConnectWorkerd({ hostname: "reader.internal", port: 9000 }, { signal }),
 *       { stream: "orders" },
 *     ));
 *     return new Response(null, { status: 204 });
 *   },
 * };
 * ```
 *
 * @module
 */

import type { ChannelConnection } from "../../src/channel/channel_connection.ts";
import { checkAddress } from "./tcp_address.ts";
import type { TcpAddress } from "./tcp_address.ts";

/** The part of workerd's `Socket` used here. */
interface WorkerdSocket {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly opened: Promise<{ remoteAddress?: string }>;
  close(): Promise<void>;
}

/** The part of `cloudflare:sockets` used here. */
interface WorkerdSockets {
  connect(
    address: { hostname: string; port: number },
    options?: { secureTransport?: "off" | "on" | "starttls" },
  ): WorkerdSocket;
}

/**
 * Options for {@linkcode tcpConnectWorkerd}.
 *
 * @example Give up dialling when the worker's request is cancelled
 * ```ts
 * import { tcpConnectWorkerd } from "@ca/streams/channel-tcp-workerd";
 * import type { TcpConnectWorkerdOptions } from "@ca/streams/channel-tcp-workerd";
 *
 * const cancelled = new AbortController();
 * const options: TcpConnectWorkerdOptions = { signal: cancelled.signal, secureTransport: "on" };
 * cancelled.abort(new Error("request cancelled"));
 * const error = await tcpConnectWorkerd({ hostname: "reader.internal", port: 9000 }, options)
 *   .then(() => undefined, (e: unknown) => e);
 * if (!(error instanceof Error) || error.message !== "request cancelled") {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export interface TcpConnectWorkerdOptions {
  /** Gives up connecting. */
  signal?: AbortSignal;
  /** TLS: `"off"` (default) or `"on"`. */
  secureTransport?: "off" | "on";
}

/**
 * Dials a TCP listener from a Cloudflare worker (the writer side of a
 * channel), with `connect()` of `cloudflare:sockets`.
 *
 * @param address `hostname` (default `"127.0.0.1"`) and `port`.
 * @param options `signal` to give up, `secureTransport` for TLS.
 * @returns The open {@linkcode ChannelConnection}.
 *
 * @example Send a channel's records from a worker
 * ```ts ignore
 * import { pipeline } from "@ca/streams";
 * import { channelWriter } from "@ca/streams/channel";
 * import { tcpConnectWorkerd } from "@ca/streams/channel-tcp-workerd";
 *
 * await pipeline(
 *   [{ id: 1 }],
 *   channelWriter((signal) => tcpConnectWorkerd({ port: 9000 }, { signal }), {
 *     stream: "orders",
 *   }),
 * );
 * ```
 */
export async function tcpConnectWorkerd(
  address: TcpAddress,
  options: TcpConnectWorkerdOptions = {},
): Promise<ChannelConnection> {
  const { hostname, port } = checkAddress("connect over TCP", address);
  const signal = options.signal;
  signal?.throwIfAborted();
  // @ts-ignore: the module exists in workerd only, and has no types here.
  const sockets: WorkerdSockets = await import("cloudflare:sockets");
  const socket = sockets.connect({ hostname, port }, {
    secureTransport: options.secureTransport ?? "off",
  });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    socket.close().catch(() => {});
  };
  const onAbort = () => close();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await socket.opened;
  } catch (error) {
    close();
    signal?.throwIfAborted();
    throw new Error(`Cannot connect over TCP to ${hostname}:${port}`, {
      cause: error,
    });
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  signal?.throwIfAborted();
  return {
    readable: socket.readable,
    writable: socket.writable,
    remote: `${hostname}:${port}`,
    close,
  };
}
