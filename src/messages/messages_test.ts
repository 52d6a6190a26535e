// Copyright 2026 the @ca/streams authors. MIT license.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeMessage } from "./decode_message.ts";
import { MessageError } from "./message_error.ts";
import { messageEncoder } from "./message_encoder.ts";

const event = {
  specversion: "1.0",
  id: "e-1",
  source: "/orders",
  type: "order.created",
  datacontenttype: "application/json",
  data: { total: 3 },
};

describe("decodeMessage()", () => {
  test("decodes each format and keeps what the server said", () => {
    const bytes = new TextEncoder().encode('{"n":1}');
    const json = decodeMessage(
      { payload: bytes, key: "k", topic: "t", id: "1-0", headers: { a: "b" } },
      "json",
      "demo",
    );
    assert.deepEqual(json, {
      value: { n: 1 },
      key: "k",
      topic: "t",
      id: "1-0",
      headers: { a: "b" },
    });
    assert.equal(
      decodeMessage({ payload: bytes }, "text", "demo").value,
      '{"n":1}',
    );
    assert.equal(
      decodeMessage({ payload: bytes }, "bytes", "demo").value,
      bytes,
    );
  });

  test("reads CloudEvents structured and in binary mode", () => {
    const structured = decodeMessage(
      { payload: JSON.stringify(event) },
      "cloudevents",
      "demo",
    );
    assert.equal((structured.value as { type: string }).type, "order.created");
    const binary = messageEncoder({
      format: "cloudevents",
      cloudEventsMode: "binary",
    }, "demo")(event);
    assert.equal(binary.headers?.["ce-id"], "e-1");
    const decoded = decodeMessage(
      { payload: binary.payload, headers: binary.headers },
      "cloudevents",
      "demo",
    );
    assert.deepEqual((decoded.value as { data: unknown }).data, { total: 3 });
  });

  test("a payload that does not decode is a MessageError naming the connector, with the raw message", () => {
    for (
      const [raw, format] of [
        [{ payload: "{oops" }, "json"],
        [{ payload: new Uint8Array([0xff, 0xfe]) }, "text"],
        [{ payload: '{"specversion":"1.0"}' }, "cloudevents"],
      ] as const
    ) {
      assert.throws(
        () => decodeMessage(raw, format, "jetstream-source"),
        (error: unknown) => {
          assert.ok(error instanceof MessageError);
          assert.equal(error.code, "CA_ERR_MESSAGE");
          assert.equal(error.connector, "jetstream-source");
          assert.equal(error.raw, raw);
          assert.match(
            error.message,
            /^Cannot decode a message \(jetstream-source\): /,
          );
          return true;
        },
      );
    }
  });
});

describe("messageEncoder()", () => {
  interface Order {
    id: number;
    region: string;
    payload: unknown;
    meta?: Record<string, unknown>;
  }
  const order: Order = { id: 7, region: "eu", payload: { total: 3 } };

  test("takes each part from a function or a JSON pointer", () => {
    const encode = messageEncoder<Order>({
      value: "/payload",
      key: (o) => o.id,
      topic: (o) => `orders.${o.region}`,
      headers: () => ({ source: "shop", attempt: 1 }),
    }, "demo");
    assert.deepEqual(encode(order), {
      payload: '{"total":3}',
      key: "7",
      topic: "orders.eu",
      headers: { source: "shop", attempt: "1" },
    });
    assert.deepEqual(messageEncoder<Order>({}, "demo")(order), {
      payload: JSON.stringify(order),
    });
  });

  test("a record that cannot be encoded names the field and keeps the record", () => {
    const cases: [
      Parameters<typeof messageEncoder<Order>>[0],
      Order,
      RegExp,
    ][] = [
      [
        {},
        { ...order, payload: 1n },
        /the value must be a value JSON can hold/,
      ],
      [
        { value: "/missing" },
        order,
        /the value must be a value JSON can hold, got undefined/,
      ],
      [
        { key: "/payload" },
        order,
        /the key must be a string, a number or a boolean/,
      ],
      [{ topic: "/id" }, order, /the topic must be a non-empty string, got 7/],
      [
        { headers: "/meta" },
        { ...order, meta: { a: {} } },
        /the headers must be a string \(header "a"\)/,
      ],
      [{ format: "bytes" }, order, /the value must be a Uint8Array/],
      [{ format: "cloudevents" }, order, /the value /],
    ];
    for (const [encoding, record, message] of cases) {
      const encode = messageEncoder<Order>(encoding, "amqp-sink");
      assert.throws(() => encode(record), (error: unknown) => {
        assert.ok(error instanceof MessageError, String(error));
        assert.match(error.message, /^Cannot encode a record \(amqp-sink\): /);
        assert.match(error.message, message);
        assert.equal(error.raw, record);
        return true;
      });
    }
  });

  test("options are checked at once", () => {
    assert.throws(
      () => messageEncoder({ key: "id" }, "demo"),
      /Cannot create demo: key must be a function of the record or a JSON pointer/,
    );
    assert.throws(
      // deno-lint-ignore no-explicit-any
      () => messageEncoder({ format: "xml" as any }, "demo"),
      /format must be "json", "text", "bytes" or "cloudevents", got "xml"/,
    );
  });
});
