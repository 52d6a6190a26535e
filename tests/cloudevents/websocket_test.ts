// The WebSocket binding's cloudevents.json messages.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  CloudEventError,
  CLOUDEVENTS_JSON_SUBPROTOCOL,
  decodeWebSocketMessage,
  encodeWebSocketMessage,
  selectWebSocketSubprotocol,
} from "@ca/streams/cloudevents";
import { sample } from "./_helpers.ts";

describe("WebSocket binding", () => {
  test("one event per text message, in the JSON format", () => {
    const event = { ...sample("1", { n: 1 }), sequence: "0001" };
    const text = encodeWebSocketMessage(event);
    assert.equal(typeof text, "string");
    assert.deepEqual(JSON.parse(text), event);
    assert.deepEqual(decodeWebSocketMessage(text), event);
  });

  test("bytes in data travel as data_base64", () => {
    const event = {
      ...sample("b", new Uint8Array([1, 2])),
      datacontenttype: "application/octet-stream",
    };
    const text = encodeWebSocketMessage(event);
    assert.equal(JSON.parse(text).data_base64, "AQI=");
    assert.deepEqual(decodeWebSocketMessage(text), event);
  });

  test("a message received as bytes is read as UTF-8", () => {
    const bytes = new TextEncoder().encode(encodeWebSocketMessage(sample("u")));
    assert.deepEqual(decodeWebSocketMessage(bytes), sample("u"));
    assert.deepEqual(decodeWebSocketMessage(bytes.buffer), sample("u"));
  });

  test("a batch or an invalid event is refused, naming the attribute", () => {
    assert.throws(
      () => decodeWebSocketMessage(JSON.stringify([sample("1")])),
      CloudEventError,
    );
    assert.throws(
      () => decodeWebSocketMessage(JSON.stringify({ ...sample("1"), id: "" })),
      (error: unknown) =>
        error instanceof CloudEventError && error.issues[0]!.path[0] === "id",
    );
    assert.throws(() => encodeWebSocketMessage({ ...sample("1"), source: "" }));
  });

  test("the subprotocol is chosen only when offered", () => {
    assert.equal(CLOUDEVENTS_JSON_SUBPROTOCOL, "cloudevents.json");
    assert.equal(
      selectWebSocketSubprotocol("cloudevents.avro, cloudevents.json"),
      "cloudevents.json",
    );
    assert.equal(selectWebSocketSubprotocol("cloudevents.avro"), undefined);
    assert.equal(selectWebSocketSubprotocol(null), undefined);
    assert.equal(
      selectWebSocketSubprotocol(
        new Request("http://x/", {
          headers: { "sec-websocket-protocol": "cloudevents.json" },
        }),
      ),
      "cloudevents.json",
    );
  });
});
