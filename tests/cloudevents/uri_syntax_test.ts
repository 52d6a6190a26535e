// Copyright 2026 the @ca/streams authors. MIT license.
// `source` is an RFC 3986 URI-reference and `dataschema` an RFC 3986 URI,
// checked for syntax, not only for allowed characters. The official
// `cloudevents` SDK (its JSON schema's `uri-reference` and `uri` formats)
// is the oracle where it follows RFC 3986; where it is laxer, the cases
// are listed and the test proves the SDK still accepts them.
// Runs on Deno against the source and on Node 24 against the built package.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CloudEvent as SdkEvent } from "cloudevents";
import { decodeHttp, validateCloudEvent } from "@ca/streams/cloudevents";

const base = {
  specversion: "1.0",
  id: "1",
  source: "/orders",
  type: "com.example.order.paid",
};

function paths(event: Record<string, unknown>): string[] {
  return validateCloudEvent(event).map((issue) => issue.path.join("."));
}

/** Whether the SDK accepts the event (it validates when constructed). */
function sdkAccepts(event: Record<string, unknown>): boolean {
  try {
    new SdkEvent(event);
    return true;
  } catch {
    return false;
  }
}

/** Valid as a URI (with a scheme), so as a URI-reference too. */
const URIS = [
  // RFC 3986 section 1.1.2
  "ftp://ftp.is.co.za/rfc/rfc1808.txt",
  "http://www.ietf.org/rfc/rfc2396.txt",
  "ldap://[2001:db8::7]/c=GB?objectClass?one",
  "mailto:John.Doe@example.com",
  "news:comp.infosystems.www.servers.unix",
  "tel:+1-816-555-1212",
  "telnet://192.0.2.16:80/",
  "urn:oasis:names:specification:docbook:dtd:xml:4.1.2",
  // the CloudEvents spec's source examples with a scheme
  "https://github.com/cloudevents",
  "mailto:cncf-wg-serverless@lists.cncf.io",
  "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
  // more of the grammar
  "https://user:pa%20ss@example.com:8443/a/b;c=d?x=1&y=%2F#frag/?",
  "http://[::1]/x",
  "http://[::]/",
  "http://[1:2:3:4:5:6:7:8]/",
  "http://[::ffff:192.0.2.1]/",
  "http://[fe80::1:2]:80/",
  "http://[v1.fe80::a+en1]/",
  "http://example.com:/",
  "file:///etc/hosts",
  "a:", // hier-part may be empty (the SDK refuses it as a dataschema)
  "a+b.c-d:e:f",
  "https://example.com/schemas/order.json#/definitions/order",
];

/** Valid relative references (no scheme). */
const RELATIVES = [
  "/cloudevents/spec/pull/123",
  "/sensors/tn-1234567/alerts",
  "cloudevents/spec/pull/123",
  "1-555-123-4567",
  "a%20b",
  "//example.com/path",
  "./a:b",
  "a/b:c",
  "?q=1",
  "#frag",
  "/a/@b/!$&'()*+,;=",
  "/",
];

/** Not URI-references: the SDK refuses them too. */
const INVALID = [
  "/a[1]", // brackets only around an IP literal host
  "http://example.com/a?b=[1]",
  "x#[",
  "http://[::1",
  "http://[1:2:3:4:5:6:7:8:9]/",
  "http://[1::2::3]/",
  "a#b#c",
  "has space",
  "100%",
  "%zz",
  "<x>",
  "é",
  "http://a b/",
  "http://[1.2.3.4]/", // an IPv4 address is not in brackets
  "http://[::1.2.3.256]/",
];

/**
 * Not URI-references by RFC 3986, accepted by the SDK: its checks let a
 * relative reference's first segment hold ":" and a port hold letters, and
 * check an IP literal's brackets, not what is inside them.
 */
const INVALID_SDK_LAX = [
  ":foo", // a first relative segment may not contain ":"
  "1http:x", // a scheme starts with a letter: relative, ":" in segment 1
  "-x:y",
  "http://u@h:8a/", // a port is digits
];

describe("source: an RFC 3986 URI-reference", () => {
  test("accepts URIs and relative references", () => {
    for (const source of [...URIS, ...RELATIVES]) {
      assert.deepEqual(paths({ ...base, source }), [], source);
      assert.equal(sdkAccepts({ ...base, source }), true, `sdk: ${source}`);
    }
  });

  test("refuses what the grammar does not produce", () => {
    for (const source of [...INVALID, ...INVALID_SDK_LAX]) {
      const issues = validateCloudEvent({ ...base, source });
      assert.deepEqual(issues.map((i) => i.path), [["source"]], source);
      assert.equal(issues[0]!.expected, "a non-empty URI-reference");
    }
  });

  test("agrees with the SDK but where the SDK is laxer than RFC 3986", () => {
    for (const source of INVALID) {
      assert.equal(sdkAccepts({ ...base, source }), false, source);
    }
    // If the SDK grows stricter, these move to INVALID.
    for (const source of INVALID_SDK_LAX) {
      assert.equal(sdkAccepts({ ...base, source }), true, source);
    }
  });

  test("a request with such a source is answered with its issue", async () => {
    for (const source of [":foo", "1http:x", "/a[1]"]) {
      const request = new Request("http://reader.test/", {
        method: "POST",
        headers: { "content-type": "application/cloudevents+json" },
        body: JSON.stringify({ ...base, source }),
      });
      const error = await decodeHttp(request).then(
        () => undefined,
        (error: unknown) => error as { status: number; issues: unknown[] },
      );
      assert.equal(error?.status, 400, source);
      assert.deepEqual(
        (error?.issues as { path: string[] }[]).map((issue) => issue.path),
        [["source"]],
      );
    }
  });
});

describe("dataschema: an RFC 3986 URI", () => {
  test("accepts URIs, fragment included as the spec's JSON schema does", () => {
    for (const dataschema of URIS) {
      assert.deepEqual(paths({ ...base, dataschema }), [], dataschema);
      // The SDK's `uri` format wants something after the scheme's colon.
      const sdk = dataschema !== "a:";
      assert.equal(sdkAccepts({ ...base, dataschema }), sdk, dataschema);
    }
  });

  test("refuses relative references and invalid syntax", () => {
    for (
      const dataschema of [...RELATIVES, ...INVALID, ...INVALID_SDK_LAX]
    ) {
      const issues = validateCloudEvent({ ...base, dataschema });
      assert.deepEqual(issues.map((i) => i.path), [["dataschema"]], dataschema);
      assert.equal(issues[0]!.expected, "an absolute URI");
    }
    for (const dataschema of [...RELATIVES, ...INVALID]) {
      assert.equal(sdkAccepts({ ...base, dataschema }), false, dataschema);
    }
  });
});
