// Copyright 2026 the @ca/streams authors. MIT license.
// webSocketConnection() against a stand-in socket: no network.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ChannelProtocolError } from "./channel_protocol_error.ts";
import { encodeFrame } from "./encode_frame.ts";
import { webSocketConnection } from "./websocket_connection.ts";

/** The members of a WebSocket the adapter uses, driven by the test. */
class FakeSocket extends EventTarget {
  binaryType = "blob";
  readyState = 1;
  bufferedAmount = 0;
  url = "ws://fake/";
  sent: Uint8Array[] = [];
  closedWith: unknown[] | undefined;
  /** Bytes added to `bufferedAmount` by each send. */
  buffers = 0;

  send(data: Uint8Array): void {
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

function adapt(socket: FakeSocket, options = {}) {
  return webSocketConnection(socket as unknown as WebSocket, options);
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

test("webSocketConnection() yields each binary message as one chunk, skipping empty ones", async () => {
  const socket = new FakeSocket();
  const connection = adapt(socket);
  assert.equal(socket.binaryType, "arraybuffer");
  assert.equal(connection.remote, "ws://fake/");
  const two = new Uint8Array([
    ...encodeFrame({ type: "credit", credit: 1 }),
    ...encodeFrame({ type: "ack", seq: 2 }),
  ]);
  socket.receive(new ArrayBuffer(0));
  socket.receive(two.buffer);
  socket.receive(encodeFrame({ type: "heartbeat" }));
  socket.hangUp(1005);
  const chunks = await Array.fromAsync(connection.readable);
  assert.deepEqual(chunks.map((c) => c.length), [22, 5]);
});

test("webSocketConnection() errors the readable on a text message, a cut frame, or a message too large", async () => {
  const cases: Array<[unknown, number, Record<string, unknown>?]> = [
    ["text", 4000],
    [encodeFrame({ type: "ack", seq: 1 }).subarray(0, 12), 4000],
    [new Uint8Array(70_000), 4003], // above 64 KiB before the first frame
    [new Uint8Array(2048), 4003, { maxFrameBytes: 1024 }],
  ];
  for (const [data, closeCode, options] of cases) {
    const socket = new FakeSocket();
    const connection = adapt(socket, options);
    socket.receive(data);
    await assert.rejects(
      connection.readable.getReader().read(),
      (error: unknown) =>
        error instanceof ChannelProtocolError && error.closeCode === closeCode,
    );
  }
});

test("webSocketConnection() reads a close code without a CLOSE frame as one (1009 as 4003), and 1006 as a broken link", async () => {
  for (
    const [code, frame] of [
      [4001, encodeFrame({ type: "close", code: 4001, reason: "bye" })],
      [1009, encodeFrame({ type: "close", code: 4003, reason: "bye" })],
    ] as const
  ) {
    const socket = new FakeSocket();
    const connection = adapt(socket);
    socket.hangUp(code, "bye");
    assert.deepEqual(await Array.fromAsync(connection.readable), [frame]);
  }
  // After a CLOSE frame, the socket's close adds nothing.
  const socket = new FakeSocket();
  const connection = adapt(socket);
  const close = encodeFrame({ type: "close", code: 1000, reason: "" });
  socket.receive(close);
  socket.hangUp(1000);
  assert.deepEqual(await Array.fromAsync(connection.readable), [close]);

  // Closing this side: the close that follows is not read as the peer's.
  const own = new FakeSocket();
  const closing = adapt(own);
  await closing.writable.getWriter().write(
    encodeFrame({ type: "close", code: 4006, reason: "busy" }),
  );
  closing.close();
  own.hangUp(4006, "busy");
  assert.deepEqual(await Array.fromAsync(closing.readable), []);

  const broken = new FakeSocket();
  const lost = adapt(broken);
  broken.hangUp(1006);
  await assert.rejects(
    lost.readable.getReader().read(),
    /the connection closed abnormally \(1006\)/,
  );
});

test("webSocketConnection() closes the socket with the code of the CLOSE frame it sent", async () => {
  const socket = new FakeSocket();
  const connection = adapt(socket);
  const writer = connection.writable.getWriter();
  await writer.write(
    encodeFrame({ type: "close", code: 4006, reason: "busy" }),
  );
  connection.close();
  assert.deepEqual(socket.closedWith, [4006, "busy"]);

  // 1001 is not for WebSocket.close() in browsers: closed without a code.
  const other = new FakeSocket();
  const going = adapt(other);
  await going.writable.getWriter().write(
    encodeFrame({ type: "close", code: 1001, reason: "restart" }),
  );
  going.close();
  assert.deepEqual(other.closedWith, []);
});

test("webSocketConnection() write waits while bufferedAmount is above maxBufferedBytes", async () => {
  const socket = new FakeSocket();
  socket.buffers = 100;
  const connection = adapt(socket, { maxBufferedBytes: 150 });
  const writer = connection.writable.getWriter();
  await writer.write(new Uint8Array([0, 0, 0, 1, 6])); // 100 buffered
  let done = false;
  const second = writer.write(new Uint8Array([0, 0, 0, 1, 6])).then(() => {
    done = true;
  });
  await sleep(30);
  assert.equal(done, false, "200 bytes buffered: the write waits");
  assert.equal(socket.sent.length, 2);
  socket.bufferedAmount = 0;
  await second;
  assert.equal(done, true);

  // A socket that closes while a write waits fails the write.
  socket.bufferedAmount = 1000;
  const third = writer.write(new Uint8Array([0, 0, 0, 1, 6]));
  await sleep(5);
  socket.hangUp(1006);
  await assert.rejects(third, /closed before the data was sent/);
});

test("webSocketConnection() refuses bad arguments, naming them", () => {
  assert.throws(
    () => adapt(new FakeSocket(), { maxFrameBytes: 10 }),
    /Cannot adapt WebSocket: options.maxFrameBytes must be an integer from 1024/,
  );
  assert.throws(
    () => adapt(new FakeSocket(), { maxBufferedBytes: -1 }),
    /Cannot adapt WebSocket: options.maxBufferedBytes must be a number of bytes/,
  );
});
