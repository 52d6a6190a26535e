// Copyright 2026 the @ca/streams authors. MIT license.
// Test support (not part of the package): a TCP proxy on 127.0.0.1 between a
// connector and a real server, that a test can cut, refuse, stop, hold back
// and count. It uses node:net, which every test already loads on Deno and
// Node alike.

import { connect, createServer, type Server, type Socket } from "node:net";

/** Sees every chunk through the proxy: `up` to the server, `down` from it. */
export type ProxyTap = (direction: "up" | "down", chunk: Uint8Array) => void;

/** The server a proxy forwards to: a URL, or a host and port. */
export type ProxyTarget = string | { host: string; port: number };

/** A running proxy; see {@linkcode startTcpProxy}. */
export interface TestTcpProxy {
  /**
   * What to give a connector: the target URL with the proxy's host and port
   * (scheme, credentials and path kept), or `tcp://127.0.0.1:<port>` for a
   * host/port target.
   */
  readonly url: string;
  /** The proxy's port on 127.0.0.1 (the same after down() and up()). */
  readonly port: number;
  /** Connections accepted so far (refused ones not counted). */
  readonly accepted: number;
  /** Connections open now; a cut or ended one no longer counts. */
  readonly open: number;
  /** Bytes read from the server so far, over every connection. */
  readonly fromServer: number;
  /** While true, new connections are closed at once, as by a broken server. */
  refuse: boolean;
  /**
   * While true, what the server sends is not read (TCP holds it back); set
   * to false, it flows on in order.
   */
  hold: boolean;
  /** Sees every chunk going through, when set. */
  tap: ProxyTap | undefined;
  /** Destroys every open connection, both sides, as a network failure would. */
  cut(): void;
  /** Cuts every connection and stops listening: connecting is refused, as to a server that is down. */
  down(): Promise<void>;
  /** Listens again on the same port, after down(). */
  up(): Promise<void>;
  /** Cuts every connection and stops listening. */
  close(): Promise<void>;
}

/** Default ports of the schemes the tests use, for a URL without one. */
const DEFAULT_PORTS: Record<string, number> = {
  "amqp:": 5672,
  "mariadb:": 3306,
  "mqtt:": 1883,
  "mysql:": 3306,
  "nats:": 4222,
  "postgres:": 5432,
  "postgresql:": 5432,
  "redis:": 6379,
};

/**
 * Starts a TCP proxy on a free port of 127.0.0.1 to `target`. Both
 * directions are piped, so a client that stops reading holds the server
 * back (what `fromServer` shows).
 *
 * @param target the server: a URL (its port, else the scheme's default) or a host and port
 * @returns the running proxy; close() it after the test
 */
export async function startTcpProxy(
  target: ProxyTarget,
): Promise<TestTcpProxy> {
  let host: string;
  let port: number;
  let base: URL;
  if (typeof target === "string") {
    base = new URL(target);
    host = base.hostname.replace(/^\[|\]$/g, "");
    port = Number(base.port || DEFAULT_PORTS[base.protocol]);
    if (!port) {
      throw new TypeError(`Cannot proxy ${target}: the URL names no port`);
    }
  } else {
    ({ host, port } = target);
    base = new URL("tcp://127.0.0.1");
  }
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let accepted = 0;
  let fromServer = 0;
  let hold = false;
  const server: Server = createServer((client) => {
    if (proxy.refuse) return void client.destroy();
    accepted++;
    const upstream = connect(port, host);
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    client.on("data", (chunk: Uint8Array) => proxy.tap?.("up", chunk));
    upstream.on("data", (chunk: Uint8Array) => {
      fromServer += chunk.byteLength;
      proxy.tap?.("down", chunk);
    });
    client.pipe(upstream);
    if (hold) upstream.pause();
    else upstream.pipe(client);
  });
  const listen = (on: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(on, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  await listen(0);
  const own = (server.address() as { port: number }).port;
  base.hostname = "127.0.0.1";
  base.port = String(own);
  const cut = () => {
    for (const { client, upstream } of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };
  const down = async () => {
    cut();
    if (!server.listening) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const proxy: TestTcpProxy = {
    url: base.href,
    port: own,
    get accepted() {
      return accepted;
    },
    get open() {
      return pairs.size;
    },
    get fromServer() {
      return fromServer;
    },
    refuse: false,
    get hold() {
      return hold;
    },
    set hold(value: boolean) {
      if (value === hold) return;
      hold = value;
      for (const { client, upstream } of pairs) {
        if (hold) {
          upstream.unpipe(client);
          upstream.pause();
        } else upstream.pipe(client);
      }
    },
    tap: undefined,
    cut,
    down,
    async up() {
      if (!server.listening) await listen(own);
    },
    close: down,
  };
  return proxy;
}
