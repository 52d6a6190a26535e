/**
 * A Cloudflare worker that runs channels and CloudEvents inside workerd.
 *
 * `channels_test.ts` bundles this file with esbuild (platform "neutral",
 * `cloudflare:sockets` external) and runs it in Miniflare without
 * `nodejs_compat`. Routes:
 *
 * - `POST /events`: the CloudEvents HTTP binding. `cloudEventsReader()` is
 *   the fetch handler and feeds a pipeline made for the request (a pipeline
 *   cannot outlive the request that runs it in workerd: work left pending
 *   when a request ends is cancelled), so the answer is 2xx only once the
 *   sink stored the events, 400 naming the bad attribute, 415 for an
 *   unknown content type.
 * - `GET /events` with `Upgrade: websocket`: the CloudEvents WebSocket
 *   binding, subprotocol `cloudevents.json` (400 when not offered). One
 *   event per message, read by `cloudEventsWebSocketReader()` into a
 *   pipeline that lives as long as the socket. The binding defines no
 *   reply; the reader answers every message with a text message of its
 *   own: `{"type":"ack","id":...}` once the sink stored the event, or
 *   `{"type":"error","code":"CA_ERR_CLOUDEVENT","message":...,"issues":
 *   [...]}` for an invalid one. The socket stays open either way.
 * - `GET /events/stored`: what the sinks stored, in order.
 * - `POST /events/ws-client?url=U&events=N`: `cloudEventsWebSocketWriter()`
 *   sends N events over a WebSocket the worker opens (`fetch()` with
 *   `Upgrade: websocket`, offering `cloudevents.json`) to a reader at U.
 * - `GET /channel` with `Upgrade: websocket`: a channel reader
 *   (`webSocketConnection()` on a `WebSocketPair`) for a writer outside;
 *   subprotocol `ca-streams.v1`, else accepted and closed with 4002. Each
 *   connection gets its own reader, as each upgrade is its own request: a
 *   writer that reconnects meets a new reader, which cannot drop what the
 *   old one accepted.
 * - `GET /channel/stored?stream=S`: what that reader stored.
 * - `POST /tcp?port=P&records=N`: a channel writer sending N records over
 *   TCP (`cloudflare:sockets`) to a reader on 127.0.0.1:P.
 * - `POST /ws-client?url=U&records=N`: a channel writer sending N records
 *   over a WebSocket the worker opens (`fetch()` with `Upgrade: websocket`)
 *   to a reader at U.
 *
 * @module
 */

import { batchSink, memoryStore, pipeline } from "@ca/streams";
import {
  CHANNEL_PROTOCOL,
  channelReader,
  channelWriter,
  CLOSE_CODES,
  webSocketConnection,
} from "@ca/streams/channel";
import type { ChannelConnection } from "@ca/streams/channel";
import {
  type CloudEvent,
  cloudEventsReader,
  cloudEventsWebSocketReader,
  cloudEventsWebSocketWriter,
  selectWebSocketSubprotocol,
} from "@ca/streams/cloudevents";
import { tcpConnectWorkerd } from "@ca/streams/channel-tcp-workerd";

/** The part of the workers `ExecutionContext` this worker uses. */
interface Context {
  waitUntil(promise: Promise<unknown>): void;
}

/** workerd's `WebSocketPair` and the server end's `accept()`. */
interface WorkerdWebSocket extends WebSocket {
  accept(): void;
}
declare const WebSocketPair: {
  new (): { 0: WorkerdWebSocket; 1: WorkerdWebSocket };
};

/** One stored event, and how it came. */
interface StoredEvent {
  via: "http" | "websocket";
  id: string;
  source: string;
  type: string;
  data: unknown;
}

/** What a channel reader stored, per stream. */
interface ChannelStore {
  count: number;
  inOrder: boolean;
  last: number;
  done: boolean;
  error?: string;
}

// Module state lives as long as the isolate: Miniflare keeps one.
const storedEvents: StoredEvent[] = [];
const channelStores = new Map<string, ChannelStore>();

function store(via: StoredEvent["via"], events: CloudEvent[]): void {
  for (const event of events) {
    storedEvents.push({
      via,
      id: event.id,
      source: event.source,
      type: event.type,
      data: event.data,
    });
  }
}

/** The worker's entry point. */
export default {
  async fetch(
    request: Request,
    _env: unknown,
    ctx: Context,
  ): Promise<Response> {
    const url = new URL(request.url);
    const upgrade = request.headers.get("upgrade")?.toLowerCase() ===
      "websocket";
    try {
      switch (url.pathname) {
        case "/events":
          return upgrade
            ? cloudEventsSocket(request, ctx)
            : await cloudEventsHttp(request);
        case "/events/stored":
          return Response.json(storedEvents);
        case "/events/ws-client":
          return Response.json(await writeEventsOverWebSocket(url));
        case "/channel":
          return channelSocket(request, url, ctx);
        case "/channel/stored":
          return Response.json(
            channelStores.get(url.searchParams.get("stream") ?? "") ?? null,
          );
        case "/tcp":
          return Response.json(await writeOverTcp(url));
        case "/ws-client":
          return Response.json(await writeOverWebSocket(url));
        default:
          return new Response("Not found", { status: 404 });
      }
    } catch (error) {
      return Response.json({ unexpected: String(error) }, { status: 500 });
    }
  },
};

/** CloudEvents over HTTP: a reader and a pipeline for this request. */
async function cloudEventsHttp(request: Request): Promise<Response> {
  const reader = cloudEventsReader({ ackTimeoutMs: 10_000 });
  const running = pipeline(
    reader,
    batchSink<CloudEvent>({
      write(events) {
        store("http", events);
      },
    }),
    { id: "events-http", checkpoint: { store: memoryStore() } },
  );
  const response = await reader.fetch(request);
  reader.close();
  await running;
  return response;
}

/** CloudEvents over WebSocket: one event per message, acked once stored. */
function cloudEventsSocket(request: Request, ctx: Context): Response {
  const protocol = selectWebSocketSubprotocol(request);
  if (protocol === undefined) {
    return Response.json({
      code: "CA_ERR_CLOUDEVENT",
      message:
        'Cannot accept CloudEvents over WebSocket: offer the subprotocol "cloudevents.json"',
      issues: [],
    }, { status: 400 });
  }
  const pair = new WebSocketPair();
  const socket = pair[1];
  socket.accept();
  // The reader answers each message: an ack once the sink stored the
  // event, an error naming the bad attribute for an invalid one.
  const running = Promise.resolve(pipeline(
    cloudEventsWebSocketReader(socket),
    batchSink<CloudEvent>({
      write(batch) {
        store("websocket", batch);
      },
    }),
  )).catch(() => {});
  ctx.waitUntil(running);
  return new Response(null, {
    status: 101,
    webSocket: pair[0],
    headers: { "sec-websocket-protocol": protocol },
  } as ResponseInit);
}

/** CloudEvents sent over a WebSocket that the worker opens with fetch(). */
async function writeEventsOverWebSocket(
  url: URL,
): Promise<Record<string, unknown>> {
  const target = url.searchParams.get("url")!.replace(/^ws/, "http");
  const count = Number(url.searchParams.get("events"));
  const events: CloudEvent[] = Array.from({ length: count }, (_, i) => ({
    specversion: "1.0",
    id: String(i),
    source: "/tests/workerd",
    type: "com.example.test",
    data: { n: i },
  }));
  let protocol: string | null = null;
  const summary = await pipeline(
    events,
    cloudEventsWebSocketWriter(async () => {
      const response = await fetch(target, {
        headers: {
          upgrade: "websocket",
          "sec-websocket-protocol": "cloudevents.json",
        },
      });
      const socket = (response as Response & {
        webSocket: WorkerdWebSocket | null;
      }).webSocket;
      if (!socket) {
        throw new Error(
          `Cannot connect over WebSocket: the server answered ${response.status}`,
        );
      }
      socket.accept();
      protocol = response.headers.get("sec-websocket-protocol");
      return socket;
    }),
  );
  return { recordsWritten: summary.recordsWritten, protocol };
}

/** A channel reader on this connection, storing what it reads. */
function channelSocket(request: Request, url: URL, ctx: Context): Response {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return new Response("Upgrade required", {
      status: 426,
      headers: { upgrade: "websocket" },
    });
  }
  const offered = (request.headers.get("sec-websocket-protocol") ?? "")
    .split(",").map((p) => p.trim());
  const pair = new WebSocketPair();
  const socket = pair[1];
  socket.accept();
  if (!offered.includes(CHANNEL_PROTOCOL.subprotocol)) {
    socket.close(CLOSE_CODES.UnsupportedVersion, "supported versions: 1");
    return new Response(
      null,
      { status: 101, webSocket: pair[0] } as ResponseInit,
    );
  }
  const stream = url.searchParams.get("stream") ?? "to-worker";
  const stored: ChannelStore = {
    count: 0,
    inOrder: true,
    last: -1,
    done: false,
  };
  channelStores.set(stream, stored);
  const connection = webSocketConnection(socket, { remote: "client" });
  const listener = {
    async *[Symbol.asyncIterator](): AsyncGenerator<ChannelConnection> {
      yield connection;
    },
    close() {},
  };
  const running = Promise.resolve(pipeline(
    channelReader<{ id: number }>(listener, {
      stream,
      token: url.searchParams.get("token") ?? "",
      window: 8,
    }),
    batchSink<{ id: number }>({
      write(records) {
        for (const { id } of records) {
          if (id !== stored.last + 1) stored.inOrder = false;
          stored.last = id;
          stored.count++;
        }
      },
    }),
  )).then(
    () => {
      stored.done = true;
    },
    (error) => {
      stored.error = String(error);
    },
  );
  ctx.waitUntil(running);
  return new Response(null, {
    status: 101,
    webSocket: pair[0],
    headers: { "sec-websocket-protocol": CHANNEL_PROTOCOL.subprotocol },
  } as ResponseInit);
}

function* ids(count: number): Generator<{ id: number }> {
  for (let id = 0; id < count; id++) yield { id };
}

/** A channel writer over TCP, `cloudflare:sockets`. */
async function writeOverTcp(url: URL): Promise<Record<string, unknown>> {
  const port = Number(url.searchParams.get("port"));
  const records = Number(url.searchParams.get("records"));
  let connects = 0;
  const summary = await pipeline(
    ids(records),
    channelWriter<{ id: number }>((signal) => {
      connects++;
      return tcpConnectWorkerd({ hostname: "127.0.0.1", port }, { signal });
    }, {
      stream: url.searchParams.get("stream") ?? "from-worker",
      token: url.searchParams.get("token") ?? "",
      batchRecords: 256,
    }),
    { batchSize: 256 },
  );
  return { recordsWritten: summary.recordsWritten, connects };
}

/** A channel writer over a WebSocket that the worker opens with fetch(). */
async function writeOverWebSocket(
  url: URL,
): Promise<Record<string, unknown>> {
  const target = url.searchParams.get("url")!.replace(/^ws/, "http");
  const records = Number(url.searchParams.get("records"));
  let protocol: string | null = null;
  const summary = await pipeline(
    ids(records),
    channelWriter<{ id: number }>(async () => {
      const response = await fetch(target, {
        headers: {
          upgrade: "websocket",
          "sec-websocket-protocol": CHANNEL_PROTOCOL.subprotocol,
        },
      });
      const socket = (response as Response & {
        webSocket: WorkerdWebSocket | null;
      }).webSocket;
      if (!socket) {
        throw new Error(
          `Cannot connect over WebSocket: the server answered ${response.status}`,
        );
      }
      socket.accept();
      protocol = response.headers.get("sec-websocket-protocol");
      return webSocketConnection(socket, { remote: target });
    }, {
      stream: url.searchParams.get("stream") ?? "from-worker-ws",
      batchRecords: 256,
    }),
    { batchSize: 256 },
  );
  return { recordsWritten: summary.recordsWritten, protocol };
}
