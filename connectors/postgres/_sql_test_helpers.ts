// Copyright 2026 the @ca/streams authors. MIT license.
// Test helpers of the SQL sink tests (postgres and mariadb; not part of the
// package): table names unique to the run, and a TCP proxy whose open
// connections are what a sink still holds, and which can cut them as a
// network failure would.

import { connect, createServer, type Server, type Socket } from "node:net";

const run = `${Date.now().toString(36)}${
  Math.random().toString(36).slice(2, 6)
}`;
let counter = 0;

/** A table name unique to this test run: `ca_test_<run>_<label>_<n>`. */
export function uniqueTable(label: string): string {
  return `ca_test_${run}_${label}_${++counter}`;
}

/** A TCP proxy to one server, on a free port of 127.0.0.1. */
export class TcpProxy {
  readonly #server: Server;
  readonly #pairs = new Set<[Socket, Socket]>();
  readonly #target: URL;
  #port = 0;
  /** Connections accepted so far. */
  accepted = 0;

  private constructor(target: URL) {
    this.#target = target;
    const port = Number(target.port);
    const host = target.hostname.replace(/^\[|\]$/g, "");
    this.#server = createServer((client) => {
      const upstream = connect(port, host);
      const pair: [Socket, Socket] = [client, upstream];
      this.#pairs.add(pair);
      this.accepted++;
      const end = () => {
        client.destroy();
        upstream.destroy();
        this.#pairs.delete(pair);
      };
      client.pipe(upstream);
      upstream.pipe(client);
      client.on("close", end).on("error", end);
      upstream.on("close", end).on("error", end);
    });
  }

  /** Starts a proxy to the server of `url` (whose port must be given). */
  static async start(url: string): Promise<TcpProxy> {
    const proxy = new TcpProxy(new URL(url));
    await new Promise<void>((resolve) =>
      proxy.#server.listen(0, "127.0.0.1", resolve)
    );
    return proxy;
  }

  /** `url` with the proxy's host and port: what to give a connector. */
  get url(): string {
    const url = new URL(this.#target.href);
    url.hostname = "127.0.0.1";
    url.port = String(
      this.#server.listening
        ? (this.#server.address() as { port: number }).port
        : this.#port,
    );
    return url.href;
  }

  /** Connections through the proxy that are still open. */
  get connections(): number {
    return this.#pairs.size;
  }

  /** Destroys every connection through the proxy, as a network failure would. */
  cut(): void {
    for (const [client, upstream] of [...this.#pairs]) {
      client.destroy();
      upstream.destroy();
    }
  }

  /** Cuts every connection and stops listening: connecting is refused, as to a server that is down. */
  async down(): Promise<void> {
    this.cut();
    if (!this.#server.listening) return;
    this.#port = (this.#server.address() as { port: number }).port;
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Listens again on the same port, after down(). */
  async up(): Promise<void> {
    if (this.#server.listening) return;
    await new Promise<void>((resolve) =>
      this.#server.listen(this.#port, "127.0.0.1", resolve)
    );
  }

  /** Cuts every connection and stops listening. */
  async close(): Promise<void> {
    await this.down();
  }
}
