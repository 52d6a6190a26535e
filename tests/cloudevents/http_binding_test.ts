// The HTTP binding: binary, structured and batched mode, both directions.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type CloudEvent,
  CloudEventError,
  decodeHttp,
  decodeHttpMessage,
  encodeHttp,
  encodeHttpBatch,
  encodeHttpBinary,
  encodeHttpStructured,
} from "@ca/streams/cloudevents";
import { sample } from "./_helpers.ts";

const ce = {
  "ce-specversion": "1.0",
  "ce-id": "1234-1234-1234",
  "ce-source": "/mycontext/subcontext",
  "ce-type": "com.example.someevent",
};

function rejects415(headers: HeadersInit, body = "{}") {
  assert.throws(
    () => decodeHttpMessage(new Headers(headers), body),
    (error: unknown) =>
      error instanceof CloudEventError && error.status === 415,
  );
}

function issuePaths(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof CloudEventError, String(error));
    assert.equal(error.status, 400);
    return error.issues.map((issue) => issue.path.join("."));
  }
  assert.fail("expected a CloudEventError");
}

describe("binary mode", () => {
  test("decodes the spec's example: ce- headers, Content-Type, JSON body", () => {
    const [event] = decodeHttpMessage(
      new Headers({
        ...ce,
        "ce-time": "2018-04-05T03:56:24Z",
        "content-type": "application/json; charset=utf-8",
      }),
      new TextEncoder().encode('{"appinfoA":"abc"}'),
    );
    assert.deepEqual(event, {
      specversion: "1.0",
      id: "1234-1234-1234",
      source: "/mycontext/subcontext",
      type: "com.example.someevent",
      time: "2018-04-05T03:56:24Z",
      datacontenttype: "application/json; charset=utf-8",
      data: { appinfoA: "abc" },
    });
  });

  test("percent-encodes header values as the spec's example", () => {
    const { headers } = encodeHttpBinary({
      ...sample("1"),
      subject: "Euro \u20AC \u{1F600}",
      comexample: 'say "100%"',
    });
    assert.equal(headers.get("ce-subject"), "Euro%20%E2%82%AC%20%F0%9F%98%80");
    assert.equal(headers.get("ce-comexample"), "say%20%22100%25%22");
    assert.equal(headers.get("ce-source"), "/tests/cloudevents");
  });

  test("percent-decodes once, accepts lower case and needless encoding", () => {
    const [event] = decodeHttpMessage(
      {
        ...ce,
        "ce-subject": "Euro%20%e2%82%ac%20%F0%9F%98%80",
        "ce-twice": "%2541",
        "ce-plain": "%41bc",
      },
      null,
    );
    assert.equal(event?.subject, "Euro \u20AC \u{1F600}");
    assert.equal(event?.twice, "%41");
    assert.equal(event?.plain, "Abc");
  });

  test("rejects invalid UTF-8 such as the overlong %C0%A0, naming the attribute", () => {
    assert.deepEqual(
      issuePaths(() =>
        decodeHttpMessage({ ...ce, "ce-subject": "a%C0%A0b" }, null)
      ),
      ["subject"],
    );
    assert.deepEqual(
      issuePaths(() => decodeHttpMessage({ ...ce, "ce-subject": "a%2" }, null)),
      ["subject"],
    );
  });

  test("unquotes double-quoted values and trims whitespace", () => {
    const [event] = decodeHttpMessage(
      { ...ce, "ce-subject": ' "a \\"quoted\\" value" ', "ce-other": "\tx " },
      null,
    );
    assert.equal(event?.subject, 'a "quoted" value');
    assert.equal(event?.other, "x");
  });

  test("reads raw UTF-8 header bytes as node:http and fetch deliver them", () => {
    const latin1 = String.fromCharCode(...new TextEncoder().encode("Grüße"));
    const [event] = decodeHttpMessage({ ...ce, "ce-subject": latin1 }, null);
    assert.equal(event?.subject, "Grüße");
  });

  test("encodes and decodes every attribute kind round trip", () => {
    const event: CloudEvent = {
      ...sample("r1", { n: 1, s: "ü" }),
      subject: "a b",
      dataschema: "https://example.com/schema",
      datacontenttype: "application/json",
      sequence: "0007",
      count: 7,
      flag: false,
    };
    const { headers, body } = encodeHttpBinary(event);
    assert.equal(headers.get("ce-count"), "7");
    assert.equal(headers.get("ce-flag"), "false");
    assert.equal(headers.has("ce-datacontenttype"), false);
    const [back] = decodeHttpMessage(headers, body);
    // Extension values travel as header strings.
    assert.deepEqual(back, { ...event, count: "7", flag: "false" });
  });

  test("data: bytes as is, text as text, JSON as JSON, none as no body", () => {
    const bytes = new Uint8Array([0, 1, 254, 255]);
    const binary = encodeHttpBinary({
      ...sample("b", bytes),
      datacontenttype: "application/octet-stream",
    });
    assert.equal(binary.body, bytes);
    const [decoded] = decodeHttpMessage(binary.headers, binary.body);
    assert.deepEqual(decoded?.data, bytes);

    const text = encodeHttpBinary({
      ...sample("t", '<much wow="xml"/>'),
      datacontenttype: "application/xml",
    });
    assert.equal(text.body, '<much wow="xml"/>');
    assert.equal(
      decodeHttpMessage(text.headers, text.body)[0]?.data,
      text.body,
    );

    const json = encodeHttpBinary(sample("j", "I'm just a string"));
    assert.equal(json.headers.get("content-type"), "application/json");
    assert.equal(json.body, '"I\'m just a string"');

    const none = encodeHttpBinary(sample("n"));
    assert.equal(none.body, null);
    assert.equal(none.headers.has("content-type"), false);
    assert.equal(
      "data" in decodeHttpMessage(none.headers, none.body)[0]!,
      false,
    );

    const [noType] = decodeHttpMessage(new Headers(ce), "raw");
    assert.deepEqual(noType?.data, new TextEncoder().encode("raw"));
    const [latin] = decodeHttpMessage(
      new Headers({ ...ce, "content-type": "text/plain; charset=iso-8859-1" }),
      new Uint8Array([0x47, 0x72, 0xfc, 0xdf, 0x65]),
    );
    assert.equal(latin?.data, "Grüße");
  });

  test("a JSON Content-Type with a body that is not JSON names data", () => {
    assert.deepEqual(
      issuePaths(() =>
        decodeHttpMessage(
          { ...ce, "content-type": "application/json" },
          "I'm just a string",
        )
      ),
      ["data"],
    );
  });

  test("data_base64 given to the binary encoder becomes the raw body", () => {
    const { body } = encodeHttpBinary({ ...sample("x"), data_base64: "AAEC" });
    assert.deepEqual(body, new Uint8Array([0, 1, 2]));
  });

  test("rejects ce-datacontenttype, ce-data and bad header names", () => {
    assert.deepEqual(
      issuePaths(() =>
        decodeHttpMessage({ ...ce, "ce-datacontenttype": "text/plain" }, "x")
      ),
      ["datacontenttype"],
    );
    assert.deepEqual(
      issuePaths(() => decodeHttpMessage({ ...ce, "ce-data": "x" }, null)),
      ["data"],
    );
    assert.deepEqual(
      issuePaths(() => decodeHttpMessage({ ...ce, "ce-my-ext": "x" }, null)),
      ["my-ext"],
    );
  });

  test("missing required headers are named", () => {
    assert.deepEqual(
      issuePaths(() =>
        decodeHttpMessage({ "ce-specversion": "1.0", "ce-id": "" }, null)
      ),
      ["id", "source", "type"],
    );
    assert.deepEqual(
      issuePaths(() =>
        decodeHttpMessage({ ...ce, "ce-specversion": "0.3" }, null)
      ),
      ["specversion"],
    );
  });

  test("an invalid event is refused by the encoder", () => {
    assert.throws(
      () => encodeHttpBinary({ ...sample("x"), time: "now" }),
      (error: unknown) =>
        error instanceof CloudEventError &&
        error.message.startsWith("Cannot encode CloudEvent: time:"),
    );
    assert.throws(
      () =>
        encodeHttpBinary({
          ...sample("x", { a: 1 }),
          datacontenttype: "image/png",
        }),
      (error: unknown) =>
        error instanceof CloudEventError && error.issues[0]!.path[0] === "data",
    );
  });
});

describe("structured mode", () => {
  test("encodes the JSON format with application/cloudevents+json", () => {
    const { headers, body } = encodeHttpStructured({
      ...sample("s", new Uint8Array([1, 2, 3])),
      datacontenttype: "application/vnd.apache.thrift.binary",
    });
    assert.equal(
      headers.get("content-type"),
      "application/cloudevents+json; charset=utf-8",
    );
    const json = JSON.parse(body as string);
    assert.equal(json.data_base64, "AQID");
    assert.equal("data" in json, false);
  });

  test("decodes any JSON data, keeps a JSON string as a string", () => {
    const event = { ...sample("s"), data: "I'm just a string" };
    const [back] = decodeHttpMessage(
      { "content-type": "application/cloudevents+json" },
      JSON.stringify(event),
    );
    assert.deepEqual(back, event);
  });

  test("ignores ce- headers beside it and detects case-insensitively", () => {
    const [event] = decodeHttpMessage(
      new Headers({
        "Content-Type": "Application/CloudEvents+JSON; Charset=UTF-8",
        "ce-id": "other",
      }),
      JSON.stringify(sample("body-wins")),
    );
    assert.equal(event?.id, "body-wins");
  });

  test("unparsable or non-object bodies are 400", () => {
    const headers = { "content-type": "application/cloudevents+json" };
    assert.deepEqual(issuePaths(() => decodeHttpMessage(headers, "{")), [""]);
    assert.deepEqual(issuePaths(() => decodeHttpMessage(headers, "")), [""]);
    assert.deepEqual(issuePaths(() => decodeHttpMessage(headers, "[]")), [""]);
    assert.deepEqual(
      issuePaths(() =>
        decodeHttpMessage(headers, new Uint8Array([0x7b, 0xff, 0x7d]))
      ),
      [""],
    );
  });
});

describe("batched mode", () => {
  test("round trips events, names bad ones by index", () => {
    const events = [
      sample("1", { a: 1 }),
      { ...sample("2", new Uint8Array([9])), datacontenttype: "image/png" },
    ];
    const { headers, body } = encodeHttpBatch(events);
    assert.equal(
      headers.get("content-type"),
      "application/cloudevents-batch+json; charset=utf-8",
    );
    assert.deepEqual(decodeHttpMessage(headers, body), events);
    const bad = JSON.stringify([sample("ok"), { ...sample("x"), type: "" }, 3]);
    assert.deepEqual(issuePaths(() => decodeHttpMessage(headers, bad)), [
      "1.type",
      "2",
    ]);
  });

  test("an empty batch is valid", () => {
    const message = encodeHttpBatch([]);
    assert.equal(message.body, "[]");
    assert.deepEqual(decodeHttpMessage(message.headers, message.body), []);
  });

  test("a batch body that is not an array is 400", () => {
    assert.deepEqual(
      issuePaths(() =>
        decodeHttpMessage(
          { "content-type": "application/cloudevents-batch+json" },
          JSON.stringify(sample("1")),
        )
      ),
      [""],
    );
  });
});

describe("content types", () => {
  test("unsupported formats, charsets and plain bodies are 415", () => {
    rejects415({ "content-type": "application/cloudevents+avro" });
    rejects415({ "content-type": "application/cloudevents-batch+proto" });
    rejects415({ "content-type": "application/cloudevents" });
    rejects415({
      "content-type": "application/cloudevents+json; charset=utf-16",
    });
    rejects415({ "content-type": "application/json" });
    rejects415({});
  });

  test("encodeHttp() picks the mode and refuses several events outside batch", () => {
    const event = sample("1", { a: 1 });
    assert.equal(encodeHttp(event, "binary").headers.get("ce-id"), "1");
    assert.equal(encodeHttp([event], "structured").headers.has("ce-id"), false);
    assert.equal(
      JSON.parse(encodeHttp(event, "batch").body as string).length,
      1,
    );
    assert.throws(() => encodeHttp([event, event], "binary"), TypeError);
    assert.throws(() => encodeHttp(event, "nope" as "binary"), TypeError);
  });
});

describe("decodeHttp()", () => {
  test("reads a Request or a Response", async () => {
    const { headers, body } = encodeHttpStructured(sample("1", [1]));
    const request = new Request("http://localhost/", {
      method: "POST",
      headers,
      body,
    });
    assert.deepEqual(await decodeHttp(request), [sample("1", [1])]);
    const response = new Response(body, { headers });
    assert.deepEqual(await decodeHttp(response), [sample("1", [1])]);
  });

  test("a body over maxBodyBytes is 413, with or without Content-Length", async () => {
    const { headers, body } = encodeHttpBatch(
      Array.from({ length: 50 }, (_, i) => sample(String(i), "x".repeat(100))),
    );
    const check = (error: unknown) =>
      error instanceof CloudEventError && error.status === 413;
    await assert.rejects(
      decodeHttp(new Response(body, { headers }), { maxBodyBytes: 1000 }),
      check,
    );
    const bytes = new TextEncoder().encode(body as string);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 100) {
          controller.enqueue(bytes.subarray(i, i + 100));
        }
        controller.close();
      },
    });
    await assert.rejects(
      decodeHttp(new Response(stream, { headers }), { maxBodyBytes: 1000 }),
      check,
    );
    const whole = await decodeHttp(new Response(bytes, { headers }), {
      maxBodyBytes: bytes.length,
    });
    assert.equal(whole.length, 50);
  });
});
