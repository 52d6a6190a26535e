// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * TCP on Node: `node:net`, each socket turned into web byte streams with
 * `Duplex.toWeb`. Loaded lazily when not on Deno.
 *
 * @module
 */

import type {
  ChannelConnection,
  ChannelListener,
} from "../../src/channel/channel_connection.ts";
import type { TcpRuntime } from "./tcp_runtime.ts";
import { listenServer } from "../node_server/listen_server.ts";
import { AcceptQueue } from "../../src/channel/accept_queue.ts";

type Socket = import("node:net").Socket;

async function wrap(
  socket: Socket,
  openedAt?: number,
): Promise<ChannelConnection> {
  const { Duplex } = await import("node:stream");
  socket.setNoDelay(true);
  const { readable, writable } = Duplex.toWeb(socket) as {
    readable: ReadableStream<Uint8Array>;
    writable: WritableStream<Uint8Array>;
  };
  return {
    // Node hands out Buffers: views on pooled memory, so copy nothing but
    // present them as plain Uint8Arrays.
    readable,
    writable,
    remote: `${socket.remoteAddress}:${socket.remotePort}`,
    ...(openedAt === undefined ? {} : { openedAt }),
    close() {
      socket.destroy();
    },
  };
}

/** The Node implementation of {@linkcode TcpRuntime}. */
export const nodeTcp: TcpRuntime = {
  async listen({ hostname, port }) {
    const net = await import("node:net");
    const server = net.createServer({ noDelay: true });
    // Each with the time it was accepted, the start of its handshake.
    const queue = new AcceptQueue<[Socket, number]>(([socket]) =>
      socket.destroy()
    );
    server.on("connection", (socket) => queue.push([socket, Date.now()]));
    const listening = await listenServer(server, port, hostname);
    const result: ChannelListener = {
      port: listening,
      async *[Symbol.asyncIterator]() {
        for await (const [socket, openedAt] of queue) {
          yield await wrap(socket, openedAt);
        }
      },
      close() {
        queue.close();
        // server.close()'s callback waits for accepted connections to end;
        // they stay open on purpose, so do not wait for it.
        server.close();
        return Promise.resolve();
      },
    };
    return result;
  },
  async connect({ hostname, port }, signal) {
    const net = await import("node:net");
    // The signal gives up connecting only: handed to net.connect it would
    // also destroy the socket later, in the middle of a channel's close.
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = net.connect({ host: hostname, port, noDelay: true });
      const onAbort = () => {
        s.destroy();
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      s.once("connect", () => {
        signal?.removeEventListener("abort", onAbort);
        s.off("error", reject);
        resolve(s);
      });
      s.once("error", (error) => {
        signal?.removeEventListener("abort", onAbort);
        reject(error);
      });
    });
    return await wrap(socket);
  },
};
