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
} from "../../src/transport/channel_connection.ts";
import type { TcpRuntime } from "./tcp_runtime.ts";

type Socket = import("node:net").Socket;

async function wrap(socket: Socket): Promise<ChannelConnection> {
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
    const waiting: Array<(socket: Socket | null) => void> = [];
    const queued: Socket[] = [];
    let closed = false;
    server.on("connection", (socket) => {
      const take = waiting.shift();
      if (take) take(socket);
      else queued.push(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, hostname, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const address = server.address();
    const result: ChannelListener = {
      port: typeof address === "object" && address ? address.port : port,
      async *[Symbol.asyncIterator]() {
        while (!closed) {
          const socket = queued.shift() ??
            await new Promise<Socket | null>((resolve) =>
              waiting.push(resolve)
            );
          if (socket === null) return;
          yield await wrap(socket);
        }
      },
      close() {
        closed = true;
        for (const take of waiting.splice(0)) take(null);
        for (const socket of queued.splice(0)) socket.destroy();
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
