// Interop with code nobody here wrote, over the CloudEvents WebSocket
// binding (cloudevents.json: one event per text message, the JSON format).
// The official `cloudevents` SDK has no WebSocket transport, so its JSON
// serialization stands in for a sender (`CloudEvent#toString()`,
// `HTTP.structured()`) and its structured-mode parser for a receiver
// (`HTTP.toEvent()` on each message). Real sockets on 127.0.0.1: Deno.serve
// on Deno, the `ws` package on Node.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CloudEvent as SdkEvent, HTTP } from "cloudevents";
import {
  type CloudEvent,
  cloudEventsWebSocketReader,
  cloudEventsWebSocketWriter,
} from "@ca/streams/cloudevents";
import { collect, pipeline } from "@ca/streams";
import {
  closed,
  openClient,
  replies,
  serveWebSockets,
} from "./_websocket_server.ts";

type Data = { order: number; note: string };

function sdkEvent(
  id: string,
  extra: Record<string, unknown> = {},
): SdkEvent<unknown> {
  return new SdkEvent<unknown>({
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

describe("CloudEvents WebSocket binding with the cloudevents SDK", () => {
  test("our reader accepts what the SDK serializes, and acks each once stored", async () => {
    const sink = collect<CloudEvent<Data>>();
    let reading!: Promise<unknown>;
    const server = await serveWebSockets((socket) => {
      reading = Promise.resolve(
        pipeline(cloudEventsWebSocketReader<Data>(socket), sink),
      );
    });
    try {
      const client = await openClient(server.url);
      const answers = replies(client);
      const bytes = new Uint8Array([0, 1, 2, 250]);
      client.send(sdkEvent("s1").toString());
      client.send(HTTP.structured(sdkEvent("s2")).body as string);
      client.send(
        new SdkEvent({
          id: "s3",
          type: "com.example.blob",
          source: "/blobs",
          datacontenttype: "application/octet-stream",
          data: bytes,
        }).toString(),
      );
      // The SDK would send this one only if asked not to validate.
      client.send(
        JSON.stringify({ ...sdkEvent("s4").toJSON(), type: undefined }),
      );
      await answers.until(4);
      const closing = closed(client);
      client.close(1000);
      await closing;
      await reading;

      assert.deepEqual(
        answers.list.filter((r) => r.type === "ack").map((r) => r.id),
        ["s1", "s2", "s3"],
      );
      const error = answers.list.find((r) => r.type === "error")!;
      assert.equal(error.id, "s4");
      assert.deepEqual(
        (error.issues as Array<{ path: unknown[] }>).map((i) => i.path),
        [["type"]],
      );
      assert.deepEqual(sink.records.map((e) => e.id), ["s1", "s2", "s3"]);
      const [first] = sink.records;
      assert.equal(first!.specversion, "1.0");
      assert.equal(first!.source, "urn:example:shop");
      assert.equal(first!.type, "com.example.order.paid");
      assert.equal(first!.subject, "orders/42");
      assert.equal(first!.time, "2026-03-04T05:06:07.000Z");
      assert.equal(first!.sequence, "000000s1");
      assert.equal(first!.comexampleflag, "on");
      assert.deepEqual(first!.data, { order: 42, note: "two items" });
      assert.deepEqual(sink.records[2]!.data, bytes);
    } finally {
      await server.close();
    }
  });

  test("the SDK parses every message our writer sends", async () => {
    const parsed: SdkEvent<unknown>[] = [];
    const failures: unknown[] = [];
    let done!: () => void;
    const ended = new Promise<void>((resolve) => done = resolve);
    const server = await serveWebSockets((socket) => {
      socket.addEventListener("message", (message: MessageEvent) => {
        try {
          assert.equal(typeof message.data, "string", "a text message");
          const event = HTTP.toEvent({
            headers: { "content-type": "application/cloudevents+json" },
            body: message.data as string,
          }) as SdkEvent<unknown>;
          event.validate();
          parsed.push(event);
        } catch (error) {
          failures.push(error);
        }
      });
      socket.addEventListener("close", () => done());
    });
    try {
      const ours: CloudEvent[] = [
        {
          specversion: "1.0",
          id: "w1",
          source: "urn:example:shop",
          type: "com.example.order.paid",
          subject: "orders/42",
          time: "2026-03-04T05:06:07.000Z",
          datacontenttype: "application/json",
          data: { order: 42, note: "two items" },
          sequence: "00000001",
          comexampleflag: "on",
        },
        {
          specversion: "1.0",
          id: "w2",
          source: "/blobs",
          type: "com.example.blob",
          datacontenttype: "application/octet-stream",
          data: new Uint8Array([0, 1, 2, 250]),
        },
        {
          specversion: "1.0",
          id: "w3",
          source: "/text",
          type: "com.example.text",
          datacontenttype: "text/plain",
          data: "plain text",
        },
      ];
      await pipeline(ours, cloudEventsWebSocketWriter(server.url));
      await ended;
      assert.deepEqual(failures, []);
      assert.deepEqual(parsed.map((e) => e.id), ["w1", "w2", "w3"]);
      const [json, blob, text] = parsed;
      assert.equal(json!.source, "urn:example:shop");
      assert.equal(json!.subject, "orders/42");
      assert.equal(json!.time, "2026-03-04T05:06:07.000Z");
      assert.equal(json!.sequence, "00000001");
      assert.equal(json!.comexampleflag, "on");
      assert.deepEqual(json!.data, { order: 42, note: "two items" });
      assert.deepEqual(
        new Uint8Array(blob!.data as Uint8Array),
        new Uint8Array([0, 1, 2, 250]),
      );
      assert.equal(text!.data, "plain text");
    } finally {
      await server.close();
    }
  });
});
