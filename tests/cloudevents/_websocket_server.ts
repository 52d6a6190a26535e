// A real WebSocket server on 127.0.0.1 for the CloudEvents WebSocket tests:
// Deno.serve + Deno.upgradeWebSocket on Deno, the `ws` package's
// WebSocketServer on Node. It chooses `cloudevents.json` when offered and
// hands each server end to `onSocket`.

/** A WebSocket server listening on an ephemeral port of 127.0.0.1. */
export interface WebSocketTestServer {
  /** `ws://127.0.0.1:PORT/`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves WebSockets, choosing `cloudevents.json` when the client offers it
 * (unless `choose` is false: then no subprotocol at all).
 */
export async function serveWebSockets(
  onSocket: (socket: WebSocket) => void,
  choose = true,
): Promise<WebSocketTestServer> {
  if ("Deno" in globalThis) {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen() {},
    }, (request) => {
      const offered = (request.headers.get("sec-websocket-protocol") ?? "")
        .split(",").map((p) => p.trim());
      const { socket, response } = Deno.upgradeWebSocket(
        request,
        choose && offered.includes("cloudevents.json")
          ? { protocol: "cloudevents.json" }
          : {},
      );
      onSocket(socket);
      return response;
    });
    const { port } = server.addr as Deno.NetAddr;
    return {
      url: `ws://127.0.0.1:${port}/`,
      close: () => server.shutdown(),
    };
  }
  const { WebSocketServer } = await import("ws");
  const server = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    handleProtocols: (protocols: Set<string>) =>
      choose && protocols.has("cloudevents.json") ? "cloudevents.json" : false,
  });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  server.on("connection", (socket) => onSocket(socket as unknown as WebSocket));
  const { port } = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

/** Opens a client WebSocket and waits until it is open. */
export async function openClient(
  url: string,
  protocols: string[] = ["cloudevents.json"],
): Promise<WebSocket> {
  const socket = new WebSocket(url, protocols);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener(
      "error",
      () => reject(new Error(`Cannot open ${url}`)),
      { once: true },
    );
  });
  return socket;
}

/** Collects the JSON replies a client receives. */
export function replies(
  socket: WebSocket,
): {
  list: Array<Record<string, unknown>>;
  until(count: number): Promise<void>;
} {
  const list: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  socket.addEventListener("message", (message: MessageEvent) => {
    list.push(JSON.parse(String(message.data)));
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    list,
    async until(count) {
      while (list.length < count) {
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

/** Resolves with the socket's close event. */
export function closed(socket: WebSocket): Promise<CloseEvent> {
  return new Promise((resolve) =>
    socket.addEventListener("close", (event) => resolve(event), {
      once: true,
    })
  );
}
