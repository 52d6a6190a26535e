// Copyright 2026 the @ca/streams authors. MIT license.

/** The part of a Node `net.Server` (or `http.Server`) that listening needs. */
export interface ListenableServer {
  listen(port: number, hostname: string, callback: () => void): unknown;
  once(event: "error", listener: (error: Error) => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
  address(): unknown;
}

/**
 * Starts a Node server listening and resolves to the port it got (the real
 * one when `port` is 0); rejects with the server's error (`EADDRINUSE`).
 * Internal: shared by the TCP, WebSocket and HTTP adapters on Node.
 *
 * @param server A `net.Server` or `http.Server`, not yet listening.
 * @param port The port; 0 for any free one.
 * @param hostname The address to listen on.
 * @returns The port listened on.
 */
export async function listenServer(
  server: ListenableServer,
  port: number,
  hostname: string,
): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as { port?: number } | string | null;
  return typeof address === "object" && address?.port !== undefined
    ? address.port
    : port;
}
