// CloudEvents 1.0 validation: spec edge cases, issues as data.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  CloudEventError,
  parseCloudEvent,
  validateCloudEvent,
} from "@ca/streams/cloudevents";

const base = {
  specversion: "1.0",
  id: "1",
  source: "/orders",
  type: "com.example.order.paid",
};

function pathsOf(value: unknown, strict = false): string[] {
  return validateCloudEvent(value, { strict }).map((issue) =>
    issue.path.join(".")
  );
}

describe("validateCloudEvent()", () => {
  test("accepts a minimal event and every optional attribute", () => {
    assert.deepEqual(pathsOf(base), []);
    assert.deepEqual(
      pathsOf({
        ...base,
        subject: "order/42",
        time: "2018-04-05T17:31:00Z",
        datacontenttype: "application/json; charset=utf-8",
        dataschema: "https://example.com/schemas/order.json",
        data: { total: 12 },
        sequence: "00000042",
        comexampleextension1: "value",
        comexampleothervalue: 5,
        flag: true,
      }),
      [],
    );
  });

  test("names each missing or empty required attribute", () => {
    const issues = validateCloudEvent({ specversion: "1.0", type: "" });
    assert.deepEqual(issues.map((issue) => issue.path), [
      ["id"],
      ["source"],
      ["type"],
    ]);
    assert.deepEqual(issues[0], {
      path: ["id"],
      expected: "a non-empty string",
      received: "undefined",
      message: "id: expected a non-empty string, received undefined",
    });
    assert.equal(issues[2]!.received, '""');
  });

  test("specversion must be 1.0", () => {
    const [issue] = validateCloudEvent({ ...base, specversion: "0.3" });
    assert.deepEqual(issue?.path, ["specversion"]);
    assert.equal(issue?.expected, '"1.0"');
    assert.equal(issue?.received, '"0.3"');
    assert.deepEqual(pathsOf({ ...base, specversion: 1 }), ["specversion"]);
  });

  test("a non-object is one issue at the root", () => {
    for (const value of [null, "event", 1, [base]]) {
      const issues = validateCloudEvent(value);
      assert.equal(issues.length, 1);
      assert.deepEqual(issues[0]!.path, []);
    }
  });

  test("source is a URI-reference", () => {
    for (
      const ok of [
        "/cloudevents/spec/pull/123",
        "https://github.com/cloudevents",
        "mailto:cncf-wg-serverless@lists.cncf.io",
        "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
        "1-555-123-4567",
        "a%20b",
      ]
    ) assert.deepEqual(pathsOf({ ...base, source: ok }), [], ok);
    for (const bad of ["has space", "100%", "a#b#c", "<x>", "é"]) {
      assert.deepEqual(pathsOf({ ...base, source: bad }), ["source"], bad);
    }
  });

  test("time is an RFC 3339 timestamp with a real date", () => {
    for (
      const ok of [
        "2018-04-05T17:31:00Z",
        "2018-04-05t17:31:00.123456z",
        "2020-02-29T23:59:60+01:00",
        "1985-04-12T23:20:50.52-04:00",
      ]
    ) assert.deepEqual(pathsOf({ ...base, time: ok }), [], ok);
    for (
      const bad of [
        "2018-04-05",
        "2018-04-05 17:31:00Z",
        "2018-04-05T17:31:00",
        "2019-02-29T00:00:00Z",
        "2018-13-01T00:00:00Z",
        "2018-04-31T00:00:00Z",
        "2018-04-05T24:00:00Z",
        "2018-04-05T17:31:00+25:00",
        "yesterday",
        1712345678,
      ]
    ) assert.deepEqual(pathsOf({ ...base, time: bad }), ["time"], String(bad));
  });

  test("datacontenttype is a media type, dataschema an absolute URI", () => {
    assert.deepEqual(
      pathsOf({ ...base, datacontenttype: 'text/plain; charset="utf-8"' }),
      [],
    );
    for (const bad of ["json", "application/", "text/plain;", "a b/c"]) {
      assert.deepEqual(
        pathsOf({ ...base, datacontenttype: bad }),
        ["datacontenttype"],
        bad,
      );
    }
    assert.deepEqual(pathsOf({ ...base, dataschema: "/relative" }), [
      "dataschema",
    ]);
    assert.deepEqual(pathsOf({ ...base, dataschema: "" }), ["dataschema"]);
    assert.deepEqual(pathsOf({ ...base, subject: "" }), ["subject"]);
  });

  test("strings carry no control characters, noncharacters or lone surrogates", () => {
    for (
      const bad of [
        "a\nb",
        "a\u0000",
        "a\u0085",
        "\uFDD0",
        "\uFFFE",
        "\uDEAD",
        "\uD83F\uDFFF",
      ]
    ) {
      assert.deepEqual(
        pathsOf({ ...base, id: bad }),
        ["id"],
        JSON.stringify(bad),
      );
    }
    assert.deepEqual(pathsOf({ ...base, id: "Euro € \uD83D\uDE00" }), []);
  });

  test("extension names are a-z and 0-9; long names only fail strict", () => {
    assert.deepEqual(pathsOf({ ...base, "Bad-Name": 1, my_ext: "x", "": 1 }), [
      "Bad-Name",
      "my_ext",
      "",
    ]);
    const long = { ...base, abcdefghijklmnopqrstu: "21 characters" };
    assert.deepEqual(pathsOf(long), []);
    assert.deepEqual(pathsOf(long, true), ["abcdefghijklmnopqrstu"]);
  });

  test("extension values are booleans, 32-bit integers or strings", () => {
    assert.deepEqual(
      pathsOf({
        ...base,
        small: -2147483648,
        large: 2147483647,
        toolarge: 2147483648,
        fraction: 1.5,
        nested: { a: 1 },
        list: [1],
        nan: Number.NaN,
      }),
      ["toolarge", "fraction", "nested", "list", "nan"],
    );
  });

  test("sequence is a non-empty string", () => {
    assert.deepEqual(pathsOf({ ...base, sequence: "0001" }), []);
    assert.deepEqual(pathsOf({ ...base, sequence: "" }), ["sequence"]);
    assert.deepEqual(pathsOf({ ...base, sequence: 1 }), ["sequence"]);
  });

  test("data_base64 is base64 and never beside data", () => {
    assert.deepEqual(pathsOf({ ...base, data_base64: "AAEC" }), []);
    assert.deepEqual(pathsOf({ ...base, data_base64: "not base64!" }), [
      "data_base64",
    ]);
    assert.deepEqual(pathsOf({ ...base, data_base64: "AAE" }), ["data_base64"]);
    const [both] = validateCloudEvent({
      ...base,
      data: 1,
      data_base64: "AA==",
    });
    assert.deepEqual(both?.path, ["data_base64"]);
    assert.equal(both?.received, "both data and data_base64");
  });

  test("null means unset for attributes, but is a payload for data", () => {
    assert.deepEqual(
      pathsOf({ ...base, subject: null, time: null, ext: null, data: null }),
      [],
    );
    assert.deepEqual(pathsOf({ ...base, id: null }), ["id"]);
  });
});

describe("parseCloudEvent()", () => {
  test("drops null attributes, keeps a null payload, decodes data_base64", () => {
    const input = {
      ...base,
      subject: null,
      ext: null,
      data_base64: "3q2+7w==",
    };
    const event = parseCloudEvent(input);
    assert.equal("subject" in event, false);
    assert.equal("ext" in event, false);
    assert.equal("data_base64" in event, false);
    assert.deepEqual(event.data, new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
    assert.equal(input.subject, null, "the input is left alone");
    assert.equal(parseCloudEvent({ ...base, data: null }).data, null);
  });

  test("throws a CloudEventError whose issues are data", () => {
    assert.throws(
      () => parseCloudEvent({ ...base, time: "nope", type: 3 }),
      (error: unknown) => {
        assert.ok(error instanceof CloudEventError);
        assert.equal(error.code, "CA_ERR_CLOUDEVENT");
        assert.equal(error.status, 400);
        assert.match(error.message, /^Cannot read CloudEvent: type: /);
        assert.deepEqual(error.issues.map((issue) => issue.path), [
          ["type"],
          ["time"],
        ]);
        assert.deepEqual(JSON.parse(JSON.stringify(error)).issues[1], {
          path: ["time"],
          expected: "an RFC 3339 timestamp",
          received: '"nope"',
          message: 'time: expected an RFC 3339 timestamp, received "nope"',
        });
        return true;
      },
    );
  });
});
