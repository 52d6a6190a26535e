// Interop with code nobody here wrote: the official `cloudevents` SDK sends
// to our reader (binary and structured mode, over real HTTP on 127.0.0.1)
// and parses what our writer sends in all three modes.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import {
  CloudEvent as SdkEvent,
  emitterFor,
  HTTP,
  httpTransport,
  Mode,
} from "cloudevents";
import {
  type CloudEvent,
  cloudEventsReader,
  cloudEventsWriter,
} from "@ca/streams/cloudevents";
import { collect, memoryStore, pipeline } from "@ca/streams";
import { sample, serve, type TestServer } from "./_helpers.ts";

type Data = { order: number; note: string };

describe("the cloudevents SDK sends to our reader", () => {
  const reader = cloudEventsReader<Data>();
  const sink = collect<CloudEvent<Data>>();
  let running: ReturnType<typeof pipeline>;
  let server: TestServer;

  before(async () => {
    running = pipeline(reader, sink, {
      id: "sdk-in",
      checkpoint: { store: memoryStore() },
    });
    server = await serve(reader.fetch);
  });
  after(async () => {
    reader.close();
    await running;
    await server.close();
  });

  function sdkEvent(id: string, extra: Record<string, unknown> = {}) {
    return new SdkEvent({
      id,
      type: "com.example.order.paid",
      source: "urn:example:shop",
      subject: "orders/42",
      time: "2026-03-04T05:06:07.000Z",
      data: { order: 42, note: "two items" },
      sequence: id.padStart(8, "0"),
      comexampleflag: "on",
      ...extra,
    });
  }

  for (const mode of [Mode.BINARY, Mode.STRUCTURED]) {
    test(`${mode} mode through the SDK's emitter and httpTransport`, async () => {
      const emit = emitterFor(httpTransport(server.url), { mode });
      const before = sink.records.length;
      await emit(sdkEvent(`${mode}1`));
      const event = sink.records[before];
      assert.ok(event, "not stored");
      assert.equal(event.specversion, "1.0");
      assert.equal(event.id, `${mode}1`);
      assert.equal(event.source, "urn:example:shop");
      assert.equal(event.type, "com.example.order.paid");
      assert.equal(event.subject, "orders/42");
      assert.equal(event.time, "2026-03-04T05:06:07.000Z");
      assert.equal(event.sequence, `${mode}1`.padStart(8, "0"));
      assert.equal(event.comexampleflag, "on");
      assert.deepEqual(event.data, { order: 42, note: "two items" });
    });

    test(`${mode} mode: the SDK's message is answered 204 once stored`, async () => {
      const message = mode === Mode.BINARY
        ? HTTP.binary(sdkEvent("m1"))
        : HTTP.structured(sdkEvent("m1"));
      const response = await fetch(server.url, {
        method: "POST",
        headers: message.headers as Record<string, string>,
        body: message.body as string,
      });
      assert.equal(response.status, 204);
      assert.equal(sink.records.at(-1)?.id, "m1");
    });
  }

  test("structured mode with binary data: data_base64 arrives as bytes", async () => {
    const bytes = new Uint8Array([0, 1, 2, 250]);
    const event = new SdkEvent({
      type: "com.example.blob",
      source: "/blobs",
      datacontenttype: "application/octet-stream",
      data: bytes,
    });
    const message = HTTP.structured(event);
    const response = await fetch(server.url, {
      method: "POST",
      headers: message.headers as Record<string, string>,
      body: message.body as string,
    });
    assert.equal(response.status, 204);
    const stored = sink.records.at(-1) as CloudEvent<unknown>;
    assert.deepEqual(stored.data, bytes);
  });

  test("a message the SDK sends without required attributes is 400 naming it", async () => {
    const message = HTTP.binary(sdkEvent("x"));
    const headers = { ...message.headers } as Record<string, string>;
    delete headers["ce-type"];
    const response = await fetch(server.url, {
      method: "POST",
      headers,
      body: message.body as string,
    });
    assert.equal(response.status, 400);
    assert.deepEqual((await response.json()).issues[0].path, ["type"]);
  });
});

describe("the cloudevents SDK parses what our writer sends", () => {
  const received: { mode: string; events: SdkEvent[] }[] = [];
  let url: string;
  let close: () => Promise<void>;

  before(async () => {
    // A receiver built the SDK's way: node:http and HTTP.toEvent.
    const server = createServer((request, response) => {
      let body = "";
      request.setEncoding("utf8");
      request.on("data", (chunk: string) => body += chunk);
      request.on("end", () => {
        try {
          const parsed = HTTP.toEvent({
            headers: request.headers as IncomingHttpHeaders,
            body,
          });
          const events = Array.isArray(parsed) ? parsed : [parsed];
          received.push({
            mode: String(request.headers["content-type"]),
            events: events as SdkEvent[],
          });
          response.writeHead(202).end();
        } catch (error) {
          response.writeHead(400).end(String(error));
        }
      });
    });
    await new Promise<void>((resolve) =>
      server.listen(0, "127.0.0.1", resolve)
    );
    const { port } = server.address() as { port: number };
    url = `http://127.0.0.1:${port}/`;
    close = () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
  });
  after(() => close());

  const ours = (n: number): CloudEvent<Data>[] =>
    Array.from({ length: n }, (_, i) => ({
      ...sample(`e${i}`, { order: i, note: "ok" }),
      subject: `orders/${i}`,
      datacontenttype: "application/json",
      sequence: String(i).padStart(4, "0"),
      comexampleflag: "on",
    }));

  for (const mode of ["binary", "structured", "batch"] as const) {
    test(`${mode} mode`, async () => {
      received.length = 0;
      await pipeline(ours(5), cloudEventsWriter<Data>(url, { mode }));
      const events = received.flatMap((r) => r.events);
      assert.equal(received.length, mode === "batch" ? 1 : 5);
      assert.equal(events.length, 5);
      for (const [i, event] of events.entries()) {
        assert.ok(event instanceof SdkEvent);
        assert.equal(event.specversion, "1.0");
        assert.equal(event.id, `e${i}`);
        assert.equal(event.source, "/tests/cloudevents");
        assert.equal(event.type, "com.example.test");
        assert.equal(event.subject, `orders/${i}`);
        assert.equal(event.time, "2026-01-02T03:04:05.678Z");
        assert.equal(event.datacontenttype, "application/json");
        assert.equal(event.sequence, String(i).padStart(4, "0"));
        assert.equal(event.comexampleflag, "on");
        assert.deepEqual(event.data, { order: i, note: "ok" });
        // The SDK's own schema validation accepts it.
        assert.equal(event.validate(), true);
      }
    });
  }
});
