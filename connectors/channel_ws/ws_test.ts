// Copyright 2026 the @ca/streams authors. MIT license.
// WebSocket connections on the runtime the test runs on (Deno or Node).
import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeFrame } from "../../src/channel/encode_frame.ts";
import { ChannelProtocolError } from "../../src/channel/channel_protocol_error.ts";
import type { ChannelConnection } from "../../src/channel/channel_connection.ts";
import { webSocketConnection } from "../../src/channel/websocket_connection.ts";
import { wsConnect, wsListen } from "./mod.ts";

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Accepts one connection. */
function acceptOne(
  listener: AsyncIterable<ChannelConnection>,
): Promise<ChannelConnection> {
  return listener[Symbol.asyncIterator]().next().then((r) => r.value!);
}

/** Opens a raw client socket and waits until it is open or closed. */
async function rawSocket(
  url: string,
  protocols?: string[],
): Promise<{ socket: WebSocket; closed: Promise<CloseEvent> }> {
  const socket = new WebSocket(url, protocols);
  socket.binaryType = "arraybuffer";
  const closed = new Promise<CloseEvent>((resolve) =>
    socket.addEventListener("close", resolve)
  );
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve());
    closed.then(() => reject(new Error("closed before opening")));
  });
  return { socket, closed };
}

/** Sends raw bytes over TCP and returns the first answer's text. */
async function rawRequest(port: number, text: string): Promise<string> {
  const net = await import("node:net");
  return await new Promise<string>((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("error", reject);
    socket.once("data", (data) => {
      socket.destroy();
      resolve(new TextDecoder().decode(data));
    });
    socket.write(text);
  });
}

async function readAll(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  total: number,
): Promise<Uint8Array> {
  const received = new Uint8Array(total);
  let length = 0;
  while (length < total) {
    const { value, done } = await reader.read();
    if (done) break;
    received.set(value, length);
    length += value.length;
  }
  assert.equal(length, total);
  return received;
}

test("frames cross a WebSocket both ways, one message per write, in order", async () => {
  const listener = await wsListen({ port: 0, path: "/c" });
  const accepted = acceptOne(listener);
  const client = await wsConnect(`ws://127.0.0.1:${listener.port}/c`);
  const server = await accepted;
  assert.match(server.remote, /^127\.0\.0\.1:\d+$/);
  assert.equal(client.remote, `127.0.0.1:${listener.port}`);

  // 2,000 DATA frames of about 4 KiB, each its own message.
  const frames = Array.from(
    { length: 2000 },
    (_, seq) =>
      encodeFrame({ type: "data", seq: seq + 1, records: ["x".repeat(4000)] }),
  );
  const total = frames.reduce((n, f) => n + f.length, 0);
  const writing = (async () => {
    const writer = client.writable.getWriter();
    for (const frame of frames) await writer.write(frame);
    writer.releaseLock();
  })();
  const reader = server.readable.getReader();
  const chunks: number[] = [];
  let length = 0;
  while (length < total) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value.length);
    length += value.length;
  }
  reader.releaseLock();
  await writing;
  assert.equal(chunks.length, frames.length, "one chunk per message");
  assert.equal(length, total);

  const reply = server.writable.getWriter();
  const credit = encodeFrame({ type: "credit", credit: 3 });
  await reply.write(credit);
  assert.deepEqual(await readAll(client.readable.getReader(), 9), credit);
  client.close();
  server.close();
  await listener.close();
});

test("a CLOSE frame sent before close() gives the WebSocket close its code", async () => {
  const listener = await wsListen({ port: 0 });
  const accepted = acceptOne(listener);
  const { socket, closed } = await rawSocket(
    `ws://127.0.0.1:${listener.port}/`,
    ["ca-streams.v1"],
  );
  const server = await accepted;
  const writer = server.writable.getWriter();
  await writer.write(encodeFrame({ type: "close", code: 4001, reason: "no" }));
  server.close();
  const event = await closed;
  assert.equal(event.code, 4001);
  assert.equal(event.reason, "no");
  socket.close();
  await listener.close();
});

test("a WebSocket close with a code and no CLOSE frame reads as a CLOSE frame", async () => {
  const listener = await wsListen({ port: 0 });
  const accepted = acceptOne(listener);
  const { socket } = await rawSocket(`ws://127.0.0.1:${listener.port}/`, [
    "ca-streams.v1",
  ]);
  const server = await accepted;
  socket.close(4005, "silent");
  const reader = server.readable.getReader();
  const { value } = await reader.read();
  assert.deepEqual(
    value,
    encodeFrame({ type: "close", code: 4005, reason: "silent" }),
  );
  assert.equal((await reader.read()).done, true);
  await listener.close();
});

test("a text message, or one that ends inside a frame, errors the readable with 4000", async () => {
  const listener = await wsListen({ port: 0 });
  const url = `ws://127.0.0.1:${listener.port}/`;
  const accepted = listener[Symbol.asyncIterator]();
  for (
    const bad of ["hello", encodeFrame({ type: "ack", seq: 1 }).slice(0, 9)]
  ) {
    const next = accepted.next();
    const { socket } = await rawSocket(url, ["ca-streams.v1"]);
    const server = (await next).value!;
    socket.send(bad);
    await assert.rejects(
      server.readable.getReader().read(),
      (error: unknown) =>
        error instanceof ChannelProtocolError && error.closeCode === 4000,
    );
    socket.close();
    server.close();
  }
  await listener.close();
});

test("a message above maxFrameBytes is refused with 4003 (the first above 64 KiB)", async () => {
  const listener = await wsListen({ port: 0 }, { maxFrameBytes: 200_000 });
  const accepted = listener[Symbol.asyncIterator]();
  const url = `ws://127.0.0.1:${listener.port}/`;
  const small = encodeFrame({ type: "credit", credit: 1 });
  const first = encodeFrame({
    type: "data",
    seq: 1,
    records: ["y".repeat(70_000)],
  });
  const huge = encodeFrame({
    type: "data",
    seq: 1,
    records: ["z".repeat(250_000)],
  }, {
    maxFrameBytes: 1 << 20,
  });
  for (const messages of [[first], [small, huge]]) {
    const next = accepted.next();
    const { socket, closed } = await rawSocket(url, ["ca-streams.v1"]);
    const server = (await next).value!;
    for (const message of messages) socket.send(message);
    const reader = server.readable.getReader();
    await assert.rejects(
      (async () => {
        for (;;) if ((await reader.read()).done) return;
      })(),
      (error: unknown) =>
        error instanceof ChannelProtocolError && error.closeCode === 4003,
    );
    server.close();
    await closed;
  }
  await listener.close();
});

test("the listener refuses other paths (404), plain requests (426), other subprotocols (400), and closes upgrades offering no ca-streams.v1 with 4002", async () => {
  const listener = await wsListen({ port: 0, path: "/channel" });
  const base = `127.0.0.1:${listener.port}`;
  const elsewhere = await fetch(`http://${base}/other`);
  await elsewhere.body?.cancel();
  assert.equal(elsewhere.status, 404);
  const plain = await fetch(`http://${base}/channel`);
  await plain.body?.cancel();
  assert.equal(plain.status, 426);
  for (const protocols of [undefined, ["ca-streams.v2", "other"]]) {
    const socket = new WebSocket(`ws://${base}/channel`, protocols);
    const event = await new Promise<CloseEvent>((resolve) =>
      socket.addEventListener("close", resolve)
    );
    assert.equal(event.code, 4002, `offered ${protocols}`);
    assert.equal(event.reason, "supported versions: 1");
  }
  // Only other protocols offered: refused before upgrading (fetch() will
  // not send an upgrade, so the request is written by hand).
  const answer = await rawRequest(
    listener.port,
    "GET /channel HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\n" +
      "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
      "Sec-WebSocket-Protocol: cloudevents.json\r\n\r\n",
  );
  assert.match(answer, /^HTTP\/1\.1 400 /);
  await assert.rejects(
    wsConnect(`ws://${base}/other`),
    /Cannot connect over WebSocket to ws:\/\/127\.0\.0\.1:\d+\/other/,
  );
  await listener.close();
});

test("wsConnect() gives up on abort, and refuses a server that picks no subprotocol", async () => {
  const listener = await wsListen({ port: 0 });
  const url = `ws://127.0.0.1:${listener.port}/`;
  const controller = new AbortController();
  controller.abort(new Error("stop"));
  await assert.rejects(wsConnect(url, { signal: controller.signal }), /stop/);
  // A client offering nothing that a wrapper makes look like ours.
  await assert.rejects(
    wsConnect(url, { createWebSocket: (href) => new WebSocket(href) }),
    (error: unknown) =>
      error instanceof ChannelProtocolError && error.closeCode === 4002,
  );
  await listener.close();
});

test("closing the listener ends accepting and dialling; accepted connections stay open", async () => {
  const listener = await wsListen({ port: 0 });
  const url = `ws://127.0.0.1:${listener.port}/`;
  const iterator = listener[Symbol.asyncIterator]();
  const accepted = iterator.next();
  const client = await wsConnect(url);
  const server = (await accepted).value!;
  const next = iterator.next();
  await listener.close();
  assert.equal((await next).done, true);
  await assert.rejects(wsConnect(url));
  await sleep(50);
  const credit = encodeFrame({ type: "credit", credit: 2 });
  await client.writable.getWriter().write(credit);
  assert.deepEqual(await readAll(server.readable.getReader(), 9), credit);
  client.close();
  server.close();
});

test("bad arguments are refused, naming the field", async () => {
  await assert.rejects(
    wsListen({ port: 70000 }),
    /Cannot listen for WebSockets: port must be an integer from 0 to 65535, got 70000/,
  );
  await assert.rejects(
    wsListen({ port: 0, path: "channel" }),
    /Cannot listen for WebSockets: path must be a string starting with "\/"/,
  );
  await assert.rejects(
    wsConnect("http://127.0.0.1:1/"),
    /Cannot connect over WebSocket: url must be a ws: or wss: URL, got "http:"/,
  );
  assert.throws(
    () => webSocketConnection(null as unknown as WebSocket),
    /Cannot adapt WebSocket: expected a WebSocket, got null/,
  );
});
