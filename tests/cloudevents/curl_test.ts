// curl with binary-mode headers against our reader, over real HTTP.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { type CloudEvent, cloudEventsReader } from "@ca/streams/cloudevents";
import { collect, memoryStore, pipeline } from "@ca/streams";
import { serve, type TestServer } from "./_helpers.ts";

/** Runs curl; resolves to the status and body it printed. */
function curl(args: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      "curl",
      ["-sS", "--max-time", "10", "-o", "-", "-w", "\n%{http_code}", ...args],
      { timeout: 15_000 },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(
              `curl failed (is curl installed?): ${stderr || error.message}`,
            ),
          );
          return;
        }
        const cut = stdout.lastIndexOf("\n");
        resolve({
          status: Number(stdout.slice(cut + 1)),
          body: stdout.slice(0, cut),
        });
      },
    );
  });
}

const binaryHeaders = [
  "-H",
  "ce-specversion: 1.0",
  "-H",
  "ce-type: com.example.someevent",
  "-H",
  "ce-source: /mycontext/subcontext",
  "-H",
  "ce-time: 2018-04-05T03:56:24Z",
  "-H",
  "Content-Type: application/json; charset=utf-8",
];

describe("curl against the reader", () => {
  const reader = cloudEventsReader();
  const sink = collect<CloudEvent>();
  let running: ReturnType<typeof pipeline>;
  let server: TestServer;

  before(async () => {
    running = pipeline(reader, sink, {
      id: "curl-in",
      checkpoint: { store: memoryStore() },
    });
    server = await serve(reader.fetch);
  });
  after(async () => {
    reader.close();
    await running;
    await server.close();
  });

  test("binary mode: stored, then 204", async () => {
    const { status } = await curl([
      "-X",
      "POST",
      server.url,
      ...binaryHeaders,
      "-H",
      "ce-id: curl-1",
      "-H",
      "ce-subject: Euro%20%E2%82%AC",
      "-H",
      "ce-comexampleextension1: value",
      "--data",
      '{"appinfoA":"abc","appinfoB":123}',
    ]);
    assert.equal(status, 204);
    const event = sink.records.at(-1)!;
    assert.deepEqual(event, {
      specversion: "1.0",
      id: "curl-1",
      type: "com.example.someevent",
      source: "/mycontext/subcontext",
      time: "2018-04-05T03:56:24Z",
      subject: "Euro \u20AC",
      comexampleextension1: "value",
      datacontenttype: "application/json; charset=utf-8",
      data: { appinfoA: "abc", appinfoB: 123 },
    });
  });

  test("binary mode without ce-id: 400 naming id", async () => {
    const { status, body } = await curl([
      "-X",
      "POST",
      server.url,
      ...binaryHeaders,
      "--data",
      "{}",
    ]);
    assert.equal(status, 400);
    const error = JSON.parse(body);
    assert.equal(error.code, "CA_ERR_CLOUDEVENT");
    assert.deepEqual(error.issues.map((i: { path: string[] }) => i.path), [[
      "id",
    ]]);
  });

  test("structured mode from a file-like body: 204", async () => {
    const { status } = await curl([
      "-X",
      "POST",
      server.url,
      "-H",
      "Content-Type: application/cloudevents+json",
      "--data-binary",
      '{"specversion":"1.0","id":"curl-2","source":"/c","type":"t","data":"hi"}',
    ]);
    assert.equal(status, 204);
    assert.equal(sink.records.at(-1)?.data, "hi");
  });

  test("GET is 405, text/plain is 415", async () => {
    assert.equal((await curl([server.url])).status, 405);
    const plain = await curl([
      "-X",
      "POST",
      server.url,
      "-H",
      "Content-Type: text/plain",
      "--data",
      "x",
    ]);
    assert.equal(plain.status, 415);
  });
});
