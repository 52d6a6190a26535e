// Copyright 2026 the @ca/streams authors. MIT license.
// cloudEventsWebSocketWriter() over real sockets (Deno.serve on Deno, the
// `ws` package on Node), round trips with cloudEventsWebSocketReader(), and
// a stand-in socket for the send buffer.
import assert from "node:assert/strict";
import { test } from "node:test";
import { pipeline } from "../pipeline/pipeline.ts";
import { collect } from "../sinks/collect.ts";
import type { CloudEvent } from "./cloud_event.ts";
import { CloudEventError } from "./cloud_event_error.ts";
import { CloudEventsWebSocketError } from "./cloud_events_websocket_error.ts";
import { cloudEventsWebSocketReader } from "./cloud_events_websocket_reader.ts";
import { cloudEventsWebSocketWriter } from "./cloud_events_websocket_writer.ts";
import { decodeWebSocketMessage } from "./decode_websocket_message.ts";
import {
  closed,
  serveWebSockets,
} from "../../tests/cloudevents/_websocket_server.ts";

function event(id: string, data: unknown = { n: Number(id) }): CloudEvent {
  return {
    specversion: "1.0",
    id,
    source: "/tests/websocket",
    type: "com.example.test",
    data,
  };
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

test("cloudEventsWebSocketWriter() to cloudEventsWebSocketReader(): every event arrives, in order, one message each", async () => {
  const count = 5000;
  const received = collect<CloudEvent>();
  let reading!: Promise<unknown>;
  const messages: number[] = [];
  const server = await serveWebSockets((socket) => {
    socket.addEventListener("message", () => messages.push(1));
    reading = Promise.resolve(
      pipeline(cloudEventsWebSocketReader(socket), received),
    );
  });
  try {
    const events = Array.from(
      { length: count },
      (_, i) =>
        i % 1000 === 7
          ? {
            ...event(String(i), new Uint8Array([i & 255, 1])),
            datacontenttype: "application/octet-stream",
          }
          : event(String(i)),
    );
    const summary = await pipeline(
      events,
      cloudEventsWebSocketWriter(server.url),
      { batchSize: 256 },
    );
    assert.equal(summary.recordsWritten, count);
    // The writer closed the socket once all was sent: the reader ends.
    await reading;
    assert.equal(messages.length, count);
    assert.deepEqual(received.records, events);
  } finally {
    await server.close();
  }
});

test("cloudEventsWebSocketWriter() sends from a server end, and a reader on the client end reads it", async () => {
  const server = await serveWebSockets((socket) => {
    void pipeline(
      [event("1"), event("2")],
      cloudEventsWebSocketWriter(socket),
    );
  });
  try {
    const client = new WebSocket(server.url, "cloudevents.json");
    const events = await Array.fromAsync(cloudEventsWebSocketReader(client));
    assert.deepEqual(events.map((e) => e.id), ["1", "2"]);
  } finally {
    await server.close();
  }
});

test("cloudEventsWebSocketWriter() fails with a clear error once the socket closed", async () => {
  const server = await serveWebSockets((socket) => {
    socket.addEventListener("message", (message: MessageEvent) => {
      if (decodeWebSocketMessage(message.data).id === "1") {
        socket.close(4000, "go away");
      }
    });
  });
  try {
    let opened: WebSocket | undefined;
    const sink = cloudEventsWebSocketWriter((signal) => {
      assert.ok(signal instanceof AbortSignal);
      return opened = new WebSocket(server.url, "cloudevents.json");
    });
    const writer = sink.getWriter();
    await writer.write(event("1"));
    await closed(opened!);
    await assert.rejects(
      writer.write(event("2")),
      (error: unknown) =>
        error instanceof CloudEventsWebSocketError &&
        error.code === "CA_ERR_CLOUDEVENTS_WEBSOCKET" &&
        error.closeCode === 4000 &&
        error.message ===
          "Cannot send CloudEvents over WebSocket: it closed with code 4000 (go away)",
    );
  } finally {
    await server.close();
  }
});

test("cloudEventsWebSocketWriter() fails when the server does not choose cloudevents.json", async () => {
  const server = await serveWebSockets(() => {}, false);
  try {
    await assert.rejects(
      Promise.resolve(
        pipeline([event("1")], cloudEventsWebSocketWriter(server.url)),
      ),
      (error: unknown) => {
        const cause = (error as { cause?: unknown }).cause ?? error;
        // Deno's client opens without a subprotocol; Node's (undici) fails
        // the handshake when none was chosen (Node 22 with "error" alone).
        return cause instanceof CloudEventsWebSocketError &&
          /did not accept the subprotocol "cloudevents.json"|(closed with code 1006|failed) before it opened/
            .test(cause.message);
      },
    );
  } finally {
    await server.close();
  }
});

/** The members of a WebSocket the writer uses, driven by the test. */
class FakeSocket extends EventTarget {
  readyState = 1;
  bufferedAmount = 0;
  protocol = "cloudevents.json";
  sent: string[] = [];
  closedWith: unknown[] | undefined;
  /** Bytes added to `bufferedAmount` by each send. */
  buffers = 0;

  send(data: string): void {
    this.sent.push(data);
    this.bufferedAmount += this.buffers;
  }
  close(...args: unknown[]): void {
    const [code] = args;
    if (code !== undefined && code !== 1000 && !((code as number) >= 3000)) {
      throw new DOMException("invalid code", "InvalidAccessError");
    }
    this.closedWith = args;
    this.readyState = 3;
  }
  hangUp(code: number, reason = ""): void {
    this.readyState = 3;
    this.dispatchEvent(
      Object.assign(new Event("close"), { code, reason, wasClean: true }),
    );
  }
}

test("cloudEventsWebSocketWriter() waits for bufferedAmount to drain, and fails when the socket closes meanwhile", async () => {
  const socket = new FakeSocket();
  socket.buffers = 1000;
  const writer = cloudEventsWebSocketWriter(
    socket as unknown as WebSocket,
    { maxBufferedBytes: 100 },
  ).getWriter();
  let done = false;
  const writing = writer.write(event("1")).then(() => done = true);
  await sleep(20);
  assert.equal(done, false, "waits while the buffer is above the bound");
  socket.bufferedAmount = 50;
  await writing;
  assert.equal(socket.sent.length, 1);

  const stuck = writer.write(event("2"));
  await sleep(5);
  socket.hangUp(1006);
  await assert.rejects(
    stuck,
    (error: unknown) =>
      error instanceof CloudEventsWebSocketError && error.closeCode === 1006 &&
      /before the events were sent/.test(error.message),
  );
});

test("cloudEventsWebSocketWriter() checks every event before sending, closes the socket at the end, and on abort", async () => {
  const socket = new FakeSocket();
  const sink = cloudEventsWebSocketWriter(socket as unknown as WebSocket);
  await assert.rejects(
    Promise.resolve(pipeline([event("1"), { ...event("2"), type: "" }], sink)),
    (error: unknown) =>
      ((error as { cause?: unknown }).cause ?? error) instanceof
        CloudEventError,
  );
  assert.deepEqual(socket.sent, [], "nothing of the batch was sent");

  const ending = new FakeSocket();
  await pipeline(
    [event("1")],
    cloudEventsWebSocketWriter(ending as unknown as WebSocket),
  );
  assert.deepEqual(ending.closedWith, [1000, ""]);

  const abort = new AbortController();
  const aborted = new FakeSocket();
  const writer = cloudEventsWebSocketWriter(
    aborted as unknown as WebSocket,
    { signal: abort.signal },
  ).getWriter();
  await writer.write(event("1"));
  abort.abort(new Error("stop"));
  // 1011 is refused by the WebSocket API here: 4011 instead.
  assert.equal(aborted.closedWith?.[0], 4011);
  await assert.rejects(writer.write(event("2")), /stop/);

  assert.throws(
    () => cloudEventsWebSocketWriter("http://localhost/"),
    (error: unknown) =>
      error instanceof TypeError &&
      error.message.startsWith(
        "Cannot create cloudEventsWebSocketWriter(): the URL must be",
      ),
  );
  assert.throws(
    () => cloudEventsWebSocketWriter(42 as unknown as string),
    TypeError,
  );
});
