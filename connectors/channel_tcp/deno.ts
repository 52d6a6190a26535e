// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * TCP on Deno: `Deno.listen` and `Deno.connect`, whose connections already
 * are byte streams. Loaded lazily when `Deno` is a global. The Deno API is
 * typed here by the members used, so the package build (Node types only)
 * compiles this file too.
 *
 * @module
 */

import type {
  ChannelConnection,
  ChannelListener,
} from "../../src/channel/channel_connection.ts";
import type { TcpRuntime } from "./tcp_runtime.ts";

interface DenoTcpConn {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly remoteAddr: { hostname: string; port: number };
  setNoDelay?(noDelay?: boolean): void;
  close(): void;
}

interface DenoTcpListener extends AsyncIterable<DenoTcpConn> {
  readonly addr: { port: number };
  close(): void;
}

interface DenoApi {
  listen(options: { hostname: string; port: number }): DenoTcpListener;
  connect(options: { hostname: string; port: number }): Promise<DenoTcpConn>;
}

function deno(): DenoApi {
  return (globalThis as unknown as { Deno: DenoApi }).Deno;
}

function wrap(conn: DenoTcpConn, openedAt?: number): ChannelConnection {
  // Frames are small and latency matters more than packet count.
  conn.setNoDelay?.(true);
  let closed = false;
  return {
    readable: conn.readable,
    writable: conn.writable,
    remote: `${conn.remoteAddr.hostname}:${conn.remoteAddr.port}`,
    ...(openedAt === undefined ? {} : { openedAt }),
    close() {
      if (closed) return;
      closed = true;
      try {
        conn.close();
      } catch {
        // Already closed by the peer or by a stream ending.
      }
    },
  };
}

/** The Deno implementation of {@linkcode TcpRuntime}. */
export const denoTcp: TcpRuntime = {
  listen({ hostname, port }) {
    const listener = deno().listen({ hostname, port });
    let closed = false;
    const result: ChannelListener = {
      port: listener.addr.port,
      async *[Symbol.asyncIterator]() {
        try {
          for await (const conn of listener) yield wrap(conn, Date.now());
        } catch (error) {
          if (!closed) throw error;
        }
      },
      close() {
        closed = true;
        try {
          listener.close();
        } catch {
          // Already closed.
        }
        return Promise.resolve();
      },
    };
    return Promise.resolve(result);
  },
  async connect({ hostname, port }, signal) {
    const conn = await deno().connect({ hostname, port });
    if (signal?.aborted) {
      conn.close();
      signal.throwIfAborted();
    }
    return wrap(conn);
  },
};
