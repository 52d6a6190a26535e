// Copyright 2026 the @ca/streams authors. MIT license.
// TCP connections on the runtime the test runs on (Deno or Node).
import assert from "node:assert/strict";
import { test } from "node:test";
import { tcpConnect, tcpListen } from "./mod.ts";

test("bytes cross a TCP connection both ways, in order, across many chunks", async () => {
  const listener = await tcpListen({ port: 0 });
  const accepted = listener[Symbol.asyncIterator]().next();
  const client = await tcpConnect({ port: listener.port });
  const server = (await accepted).value!;
  assert.match(client.remote, /^127\.0\.0\.1:\d+$/);

  const total = 8 * 1024 * 1024;
  const sent = new Uint8Array(total);
  for (let i = 0; i < total; i++) sent[i] = (i * 31) & 0xff;
  const writing = (async () => {
    const writer = client.writable.getWriter();
    for (let at = 0; at < total; at += 65536) {
      await writer.write(sent.slice(at, at + 65536));
    }
    writer.releaseLock();
  })();
  // Read exactly what was sent: the protocol never half-closes (on Deno,
  // closing one direction closes the socket).
  const received = new Uint8Array(total);
  let length = 0;
  const reader = server.readable.getReader();
  while (length < total) {
    const { value, done } = await reader.read();
    if (done) break;
    received.set(value, length);
    length += value.length;
  }
  reader.releaseLock();
  await writing;
  assert.equal(length, total);
  assert.deepEqual(received, sent);

  const reply = server.writable.getWriter();
  await reply.write(new TextEncoder().encode("done"));
  const { value } = await client.readable.getReader().read();
  assert.equal(new TextDecoder().decode(value), "done");
  client.close();
  server.close();
  await listener.close();
});

test("closing the listener ends accepting; dialling a closed port fails", async () => {
  const listener = await tcpListen({ port: 0 });
  const port = listener.port;
  const iterator = listener[Symbol.asyncIterator]();
  const next = iterator.next();
  await listener.close();
  assert.equal((await next).done, true);
  await assert.rejects(tcpConnect({ port }));
});

test("bad addresses are refused, naming the field", async () => {
  await assert.rejects(
    tcpListen({ port: 70000 }),
    /Cannot listen on TCP: port must be an integer from 0 to 65535, got 70000/,
  );
  await assert.rejects(
    tcpConnect({ hostname: "", port: 1 }),
    /Cannot connect over TCP: hostname must be a non-empty string/,
  );
});
