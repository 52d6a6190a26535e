// Copyright 2026 the @ca/streams authors. MIT license.
// cloudEventsWebSocketReader() over real sockets (Deno.serve on Deno, the
// `ws` package on Node) and, for what a real peer cannot easily provoke, a
// stand-in socket.
import assert from "node:assert/strict";
import { test } from "node:test";
import { pipeline } from "../pipeline/pipeline.ts";
import { batchSink } from "../sinks/batch_sink.ts";
import type { CloudEvent } from "./cloud_event.ts";
import { CloudEventsWebSocketError } from "./cloud_events_websocket_error.ts";
import { cloudEventsWebSocketReader } from "./cloud_events_websocket_reader.ts";
import { encodeWebSocketMessage } from "./websocket_message.ts";
import {
  closed,
  openClient,
  replies,
  serveWebSockets,
} from "../../tests/cloudevents/_websocket_server.ts";

function event(id: string, data: unknown = { n: id }): CloudEvent {
  return {
    specversion: "1.0",
    id,
    source: "/tests/websocket",
    type: "com.example.test",
    data,
  };
}

/** Serves one connection and hands its reader over. */
async function oneReader(
  options: Parameters<typeof cloudEventsWebSocketReader>[1] = {},
) {
  let resolve!: (reader: ReturnType<typeof cloudEventsWebSocketReader>) => void;
  const reader = new Promise<ReturnType<typeof cloudEventsWebSocketReader>>(
    (r) => resolve = r,
  );
  const server = await serveWebSockets((socket) =>
    resolve(cloudEventsWebSocketReader(socket, options))
  );
  const client = await openClient(server.url);
  return { server, client, reader: await reader };
}

test("cloudEventsWebSocketReader() yields the events in order and ends when the socket closes cleanly", async () => {
  const { server, client, reader } = await oneReader();
  try {
    assert.equal(client.protocol, "cloudevents.json");
    for (let i = 0; i < 50; i++) {
      client.send(encodeWebSocketMessage(event(String(i))));
    }
    client.close(1000);
    const events = await Array.fromAsync(reader);
    assert.deepEqual(
      events.map((e) => e.id),
      Array.from({ length: 50 }, (_, i) => String(i)),
    );
    assert.deepEqual(events[3]!.data, { n: "3" });
  } finally {
    await server.close();
  }
});

test("cloudEventsWebSocketReader() in pipeline(): an ack once stored, an error naming the attribute for an invalid event, and the stream goes on", async () => {
  const { server, client, reader } = await oneReader();
  try {
    const stored: string[] = [];
    const storedAtAck: number[] = [];
    const running = pipeline(
      reader,
      batchSink<CloudEvent>({
        async write(events) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          stored.push(...events.map((e) => e.id));
        },
      }),
    );
    const answers = replies(client);
    client.addEventListener("message", (message: MessageEvent) => {
      if (JSON.parse(String(message.data)).type === "ack") {
        storedAtAck.push(stored.length);
      }
    });
    client.send(encodeWebSocketMessage(event("1")));
    client.send('{"specversion":"1.0","id":"bad","source":"/s"}');
    client.send("not json");
    client.send(encodeWebSocketMessage(event("2", "text")));
    client.send(new TextEncoder().encode(encodeWebSocketMessage(event("3"))));
    await answers.until(5);
    const acks = answers.list.filter((r) => r.type === "ack");
    assert.deepEqual(acks.map((r) => r.id), ["1", "2", "3"]);
    // Each ack came after its event was stored.
    storedAtAck.forEach((count, i) => assert.ok(count >= i + 1));
    const errors = answers.list.filter((r) => r.type === "error");
    assert.equal(errors.length, 2);
    assert.equal(errors[0]!.code, "CA_ERR_CLOUDEVENT");
    assert.equal(errors[0]!.id, "bad");
    assert.match(String(errors[0]!.message), /^Cannot read CloudEvent: type/);
    assert.deepEqual(
      (errors[0]!.issues as Array<{ path: unknown[] }>).map((i) => i.path),
      [["type"]],
    );
    assert.equal(errors[1]!.code, "CA_ERR_CLOUDEVENT");
    assert.equal(errors[1]!.id, undefined);
    client.close(1000);
    const summary = await running;
    assert.equal(summary.recordsWritten, 3);
    assert.deepEqual(stored, ["1", "2", "3"]);
  } finally {
    await server.close();
  }
});

test("cloudEventsWebSocketReader() cuts off a peer that overruns the queue (1008) and errors the stream", async () => {
  const { server, client, reader } = await oneReader({ maxQueuedEvents: 3 });
  try {
    const closing = closed(client);
    // Nothing reads yet: the fourth event overruns the queue. (No more are
    // sent: Deno 2.9's server end drops the connection, close code 1006,
    // when messages still arrive after it sent its close frame.)
    for (let i = 0; i < 4; i++) {
      client.send(encodeWebSocketMessage(event(String(i))));
    }
    const close = await closing;
    assert.equal(close.code, 1008);
    assert.match(close.reason, /more than 3 events were waiting/);
    await assert.rejects(
      reader.getReader().read(),
      (error: unknown) =>
        error instanceof CloudEventsWebSocketError &&
        error.code === "CA_ERR_CLOUDEVENTS_WEBSOCKET" &&
        error.closeCode === 1008 &&
        error.message.startsWith("Cannot read CloudEvents over WebSocket:"),
    );
  } finally {
    await server.close();
  }
});

test("cloudEventsWebSocketReader() closes with 1009 on a message above maxMessageBytes", async () => {
  const { server, client, reader } = await oneReader({ maxMessageBytes: 512 });
  try {
    const closing = closed(client);
    client.send(encodeWebSocketMessage(event("big", "x".repeat(600))));
    const close = await closing;
    assert.equal(close.code, 1009);
    await assert.rejects(
      Array.fromAsync(reader),
      (error: unknown) =>
        error instanceof CloudEventsWebSocketError && error.closeCode === 1009,
    );
  } finally {
    await server.close();
  }
});

test("cloudEventsWebSocketReader() closes the socket when its signal aborts, and ends after the events received", async () => {
  const abort = new AbortController();
  const { server, client, reader } = await oneReader({ signal: abort.signal });
  try {
    const answers = replies(client);
    for (const id of ["1", "2", "3"]) {
      client.send(encodeWebSocketMessage(event(id)));
    }
    const iterator = reader[Symbol.asyncIterator]();
    assert.equal((await iterator.next()).value?.id, "1");
    // Asking for the second acknowledges the first.
    assert.equal((await iterator.next()).value?.id, "2");
    await answers.until(1);
    assert.deepEqual(answers.list, [{ type: "ack", id: "1" }]);
    const closing = closed(client);
    abort.abort();
    assert.equal((await closing).code, 1000);
    assert.equal((await iterator.next()).value?.id, "3");
    assert.equal((await iterator.next()).done, true);
  } finally {
    await server.close();
  }
});

/** The members of a WebSocket the reader uses, driven by the test. */
class FakeSocket extends EventTarget {
  binaryType = "blob";
  readyState = 1;
  sent: string[] = [];
  closedWith: unknown[] | undefined;

  send(data: string): void {
    this.sent.push(data);
  }
  close(...args: unknown[]): void {
    const [code] = args;
    if (code !== undefined && code !== 1000 && !((code as number) >= 3000)) {
      throw new DOMException("invalid code", "InvalidAccessError");
    }
    this.closedWith = args;
    this.readyState = 2;
  }
  receive(data: unknown): void {
    this.dispatchEvent(new MessageEvent("message", { data }));
  }
  hangUp(code: number, reason = ""): void {
    this.readyState = 3;
    // Node 22 has no global CloseEvent.
    this.dispatchEvent(
      Object.assign(new Event("close"), { code, reason, wasClean: true }),
    );
  }
}

test("cloudEventsWebSocketReader() errors on an abnormal close (1006) and falls back to 4008 where 1008 is refused", async () => {
  const broken = new FakeSocket();
  const reader = cloudEventsWebSocketReader(broken as unknown as WebSocket);
  assert.equal(broken.binaryType, "arraybuffer");
  broken.receive(encodeWebSocketMessage(event("1")));
  broken.hangUp(1006);
  await assert.rejects(
    Array.fromAsync(reader),
    (error: unknown) =>
      error instanceof CloudEventsWebSocketError && error.closeCode === 1006 &&
      /closed abnormally \(1006\)/.test(error.message),
  );

  const client = new FakeSocket();
  const limited = cloudEventsWebSocketReader(
    client as unknown as WebSocket,
    { maxQueuedEvents: 1 },
  );
  client.receive(encodeWebSocketMessage(event("1")));
  client.receive(encodeWebSocketMessage(event("2")));
  assert.equal(client.closedWith?.[0], 4008);
  await assert.rejects(
    limited.getReader().read(),
    (error: unknown) =>
      error instanceof CloudEventsWebSocketError && error.closeCode === 4008,
  );
});

test("cloudEventsWebSocketReader() is read by one consumer, and checks its options", async () => {
  const socket = new FakeSocket();
  const reader = cloudEventsWebSocketReader(socket as unknown as WebSocket);
  const stream = reader.getReader();
  socket.receive(encodeWebSocketMessage(event("1")));
  assert.equal((await stream.read()).value?.id, "1");
  assert.throws(
    () => pipeline(reader, batchSink({ write() {} })),
    /locked ReadableStream/,
  );
  // Asking for the next event acknowledges the one read.
  const next = stream.read();
  await new Promise((resolve) => setTimeout(resolve, 0));
  socket.hangUp(1000);
  assert.equal((await next).done, true);
  assert.deepEqual(socket.sent, ['{"type":"ack","id":"1"}']);

  const other = new FakeSocket();
  const piped = cloudEventsWebSocketReader(other as unknown as WebSocket);
  const running = pipeline(piped, batchSink({ write() {} }));
  other.receive(encodeWebSocketMessage(event("1")));
  await new Promise((resolve) => setTimeout(resolve, 10));
  await assert.rejects(
    piped.getReader().read(),
    /Cannot read cloudEventsWebSocketReader\(\): it is already read by a pipeline/,
  );
  other.hangUp(1000);
  assert.equal((await running).recordsWritten, 1);
  assert.deepEqual(other.sent, ['{"type":"ack","id":"1"}']);

  assert.throws(
    () => cloudEventsWebSocketReader({} as WebSocket),
    (error: unknown) =>
      error instanceof TypeError &&
      error.message.startsWith("Cannot create cloudEventsWebSocketReader()"),
  );
  assert.throws(
    () =>
      cloudEventsWebSocketReader(new FakeSocket() as unknown as WebSocket, {
        maxQueuedEvents: 0,
      }),
    RangeError,
  );
});
