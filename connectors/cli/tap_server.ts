// Copyright 2026 the @ca/streams authors. MIT license.

import type { IncomingMessage, Server } from "node:http";
import type { TapMessage } from "../../src/host/tap_message.ts";
import type { TapUpgrade } from "../../src/host/tap_upgrade.ts";

type Duplex = import("node:stream").Duplex;
type Buffer = import("node:buffer").Buffer;
type WsModule = typeof import("ws");
type WsClient = import("ws").WebSocket;

/** What the tap server needs of a host: `ConnectorHost.tapRequest`. */
export interface TapHost {
  tapRequest(request: Request): Promise<TapUpgrade>;
}

/** Options for {@linkcode serveTaps}. */
export interface ServeTapsOptions {
  /**
   * How many bytes may wait in a socket's send buffer before the next
   * message is read from the tap (default 1 MiB): past it, the tap's own
   * queue fills and drops, so a slow client never slows a pipeline.
   */
  maxBufferedBytes?: number;
  /**
   * How long a socket may take to answer the close of
   * {@linkcode TapServer.close} before it is cut, in ms (default 1000): a
   * client that stopped reading does not hold a stopping server.
   */
  closeGraceMs?: number;
}

/** The taps being served on a server. */
export interface TapServer {
  /** How many tap sockets are open. */
  readonly open: number;
  /**
   * Closes every tap socket (1001, the server is going away; cut after
   * the grace) and takes no more upgrades. Call it before closing the
   * server: `node:http` waits for upgraded sockets to end.
   */
  close(): void;
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  500: "Internal Server Error",
  503: "Service Unavailable",
};
const MAX_POLL_MS = 50;
const SOCKET_OPEN = 1;

let loaded: Promise<WsModule> | undefined;

/** The `ws` package, loaded on the first upgrade. */
function loadWs(): Promise<WsModule> {
  loaded ??= import("ws").then(
    (ws) =>
      ws.WebSocketServer
        ? ws
        : (ws as unknown as { default: WsModule }).default,
    (error) => {
      loaded = undefined;
      throw new Error(
        'Cannot serve the tap: the "ws" package is missing (npm install ws)',
        { cause: error },
      );
    },
  );
  return loaded;
}

/** The upgrade request as a web `Request` (its path and headers count). */
function webRequest(request: IncomingMessage): Request {
  const headers = new Headers();
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i]!, raw[i + 1]!);
    } catch {
      // A header a web Request cannot carry: not one the tap reads.
    }
  }
  return new Request(new URL(request.url ?? "/", "http://localhost"), {
    method: request.method ?? "GET",
    headers,
  });
}

/** Writes an HTTP answer on the socket instead of upgrading, and ends it. */
async function refuse(socket: Duplex, response: Response): Promise<void> {
  const body = new Uint8Array(await response.arrayBuffer());
  let head = `HTTP/1.1 ${response.status} ${
    REASONS[response.status] ?? "Error"
  }\r\nConnection: close\r\nContent-Length: ${body.length}\r\n`;
  response.headers.forEach((value, name) => {
    if (name !== "content-length" && name !== "connection") {
      head += `${name}: ${value}\r\n`;
    }
  });
  socket.write(`${head}\r\n`);
  socket.end(body);
}

/** A message as JSON text; a bigint as its decimal text. */
function encode(message: TapMessage): string {
  const replacer = (_key: string, value: unknown) =>
    typeof value === "bigint" ? value.toString() : value;
  try {
    return JSON.stringify(message, replacer);
  } catch {
    // A record that JSON cannot hold (a cycle): each on its own.
    return JSON.stringify({
      records: message.records.map((record) => {
        try {
          return JSON.parse(JSON.stringify(record, replacer) ?? "null");
        } catch (error) {
          return { unserializable: String((error as Error)?.message) };
        }
      }),
      dropped: message.dropped,
    });
  }
}

/**
 * Serves the connector host's live taps on a `node:http` server (the one
 * `serveNode()` made for `ca serve`, on Deno and Node alike): it takes the
 * server's `upgrade` events, asks the host how to answer each
 * (`host.tapRequest`: the token, the path, the stage), refuses with the
 * host's HTTP answer, or upgrades with the `ws` package (loaded on the
 * first upgrade) and sends each message of the tap as JSON text
 * `{ "records": [...], "dropped": n }`. A message is read from the tap
 * only while the socket's send buffer holds at most `maxBufferedBytes`, so
 * a client that reads slowly or not at all makes the tap's queue drop
 * (counted in `dropped`) and never slows the pipeline. The socket closes
 * with 1000 when the tap ends (the connector stopped), with the host's
 * 4xxx code and reason when the tap cannot open, and with 1001 on
 * {@linkcode TapServer.close}.
 *
 * @param server The HTTP server, listening or not.
 * @param host What answers tap requests: a `ConnectorHost`.
 * @param options The send buffer bound and the close grace.
 * @returns The taps being served; close them before closing the server.
 *
 * @example Serve a host's taps next to its API
 * ```ts
 * import { connectorHost, memoryDefinitionStore } from "@ca/streams/host";
 * import { serveNode } from "@ca/streams/node-server";
 * import { serveTaps } from "./tap_server.ts";
 *
 * const host = connectorHost({ definitions: memoryDefinitionStore(), tokens: { viewer: ["v"] } });
 * await host.start();
 * const server = await serveNode((request) => host.fetch(request));
 * const taps = serveTaps(server.server, host);
 * const answer = await fetch(new URL("/connectors/orders/tap?stage=clean", server.url), {
 *   headers: { authorization: "Bearer v" },
 * });
 * await answer.body?.cancel();
 * if (answer.status !== 426) throw new Error(`unexpected ${answer.status}`);
 * await host.stop();
 * taps.close();
 * await server.close();
 * ```
 */
export function serveTaps(
  server: Server,
  host: TapHost,
  options: ServeTapsOptions = {},
): TapServer {
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  const closeGraceMs = options.closeGraceMs ?? 1000;
  const clients = new Set<WsClient>();
  /** The subprotocol to select, by upgrade request. */
  const protocols = new WeakMap<IncomingMessage, string | undefined>();
  let wss: import("ws").WebSocketServer | undefined;
  let closed = false;

  /** Closes a socket; it may take `ws`'s time (30 s) to answer. */
  const closeClient = (client: WsClient, code: number, reason: string) => {
    if (client.readyState === SOCKET_OPEN) client.close(code, reason);
  };

  /** Sends the tap's messages while the socket has room, then closes. */
  const pump = async (
    client: WsClient,
    messages: ReadableStream<TapMessage>,
  ) => {
    const reader = messages.getReader();
    let open = true;
    client.once("close", () => {
      open = false;
      reader.cancel().catch(() => {});
    });
    try {
      for (;;) {
        const step = await reader.read();
        if (step.done || !open) break;
        client.send(encode(step.value));
        let wait = 1;
        while (open && client.bufferedAmount > maxBufferedBytes) {
          await new Promise((resolve) => setTimeout(resolve, wait));
          wait = Math.min(wait * 2, MAX_POLL_MS);
        }
      }
      if (open) {
        closeClient(client, 1000, "the tap ended: the connector stopped");
      }
    } catch (error) {
      reader.cancel().catch(() => {});
      if (open) {
        closeClient(
          client,
          1011,
          `the tap failed: ${String((error as Error)?.message ?? error)}`
            .slice(0, 100),
        );
      }
    }
  };

  const onUpgrade = async (
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ) => {
    socket.on("error", () => {});
    if (closed) return void socket.destroy();
    let answer: TapUpgrade;
    let ws: WsModule;
    try {
      answer = await host.tapRequest(webRequest(request));
      if (answer.action === "refuse") {
        return await refuse(socket, answer.response);
      }
      ws = await loadWs();
    } catch (error) {
      return await refuse(
        socket,
        new Response(
          JSON.stringify({
            error: {
              code: "CA_ERR_HOST_INTERNAL",
              message: String((error as Error)?.message ?? error),
            },
          }),
          { status: 500, headers: { "content-type": "application/json" } },
        ),
      ).catch(() => socket.destroy());
    }
    if (closed || socket.destroyed) {
      if (answer.action === "open") answer.messages.cancel().catch(() => {});
      return void socket.destroy();
    }
    protocols.set(request, answer.protocol);
    wss ??= new ws.WebSocketServer({
      noServer: true,
      clientTracking: false,
      // A tap client sends nothing but control frames.
      maxPayload: 4096,
      handleProtocols: (_offered, upgrade) => protocols.get(upgrade) ?? false,
    });
    wss.handleUpgrade(request, socket, head, (client) => {
      clients.add(client);
      client.once("close", () => clients.delete(client));
      client.on("error", () => {});
      if (answer.action === "close") {
        client.send(JSON.stringify({ error: answer.error }));
        closeClient(client, answer.code, answer.reason);
      } else if (closed) {
        answer.messages.cancel().catch(() => {});
        closeClient(client, 1001, "the server is stopping");
      } else {
        void pump(client, answer.messages);
      }
    });
  };

  server.on(
    "upgrade",
    (request: IncomingMessage, socket: Duplex, head: Buffer) =>
      void onUpgrade(request, socket, head).catch(() => socket.destroy()),
  );
  return {
    get open() {
      return clients.size;
    },
    close() {
      if (closed) return;
      closed = true;
      for (const client of clients) {
        closeClient(client, 1001, "the server is stopping");
        const timer = setTimeout(() => client.terminate(), closeGraceMs);
        client.once("close", () => clearTimeout(timer));
      }
    },
  };
}
