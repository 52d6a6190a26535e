// Copyright 2026 the @ca/streams authors. MIT license.
// A raw TCP client for the slow-client tests of connectors/channel_tcp and
// connectors/channel_ws: it sends bytes the way no channel or WebSocket
// client would (one at a time), on Deno or Node.

export interface RawClient {
  /** Sends bytes (never throws: a closed socket drops them). */
  write(bytes: Uint8Array | string): void;
  /** Everything received so far. */
  received(): Uint8Array;
  /** Resolves when the server closed the connection (true), or after `ms` (false). */
  closedWithin(ms: number): Promise<boolean>;
  destroy(): void;
}

/** A raw TCP client on 127.0.0.1, connected when it resolves. */
export async function rawClient(port: number): Promise<RawClient> {
  const net = await import("node:net");
  const socket = net.connect({ host: "127.0.0.1", port });
  socket.on("error", () => {});
  const chunks: Uint8Array[] = [];
  socket.on("data", (data: Uint8Array) => chunks.push(new Uint8Array(data)));
  const closed = new Promise<void>((resolve) => socket.on("close", resolve));
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return {
    write(bytes) {
      if (!socket.destroyed) socket.write(bytes);
    },
    received() {
      const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const chunk of chunks) {
        all.set(chunk, at);
        at += chunk.length;
      }
      return all;
    },
    async closedWithin(ms) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const result = await Promise.race([
        closed.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), ms);
        }),
      ]);
      clearTimeout(timer);
      return result;
    },
    destroy() {
      socket.destroy();
    },
  };
}
