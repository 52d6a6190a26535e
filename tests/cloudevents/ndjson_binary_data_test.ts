// Copyright 2026 the @ca/streams authors. MIT license.
// A CloudEvent whose data is a Uint8Array is written to NDJSON (fileSink,
// encodeNdjson) as the CloudEvents JSON format says, with `data_base64`,
// not as `"data":{"0":0,"1":1,...}`; read back with fileSource and
// parseCloudEvent, it has the same bytes. Runs on Deno against the source
// and on Node 24 against the built package.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collect, encodeNdjson, pipeline } from "@ca/streams";
import { type CloudEvent, parseCloudEvent } from "@ca/streams/cloudevents";
import { fileSink, fileSource } from "@ca/streams/file";

const bytes = new Uint8Array([0, 1, 2, 250, 255]);
const binary: CloudEvent<Uint8Array> = {
  specversion: "1.0",
  id: "1",
  source: "/sensors/7",
  type: "com.example.reading",
  datacontenttype: "application/octet-stream",
  data: bytes,
};
const json: CloudEvent<{ n: number }> = {
  specversion: "1.0",
  id: "2",
  source: "/sensors/7",
  type: "com.example.reading",
  data: { n: 1 },
};

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), "ca-ce-ndjson-")));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("a CloudEvent with bytes in data, as NDJSON", () => {
  test("fileSink() writes data_base64, and it reads back as the same bytes", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "events.ndjson");
      await pipeline([binary, json, { data: bytes }], fileSink(path));
      const lines = (await readFile(path, "utf8")).trimEnd().split("\n");
      assert.deepEqual(JSON.parse(lines[0]!), {
        specversion: "1.0",
        id: "1",
        source: "/sensors/7",
        type: "com.example.reading",
        datacontenttype: "application/octet-stream",
        data_base64: "AAEC+v8=",
      });
      assert.deepEqual(JSON.parse(lines[1]!), json, "JSON data unchanged");
      // Not a CloudEvent (no specversion): written as JSON.stringify does.
      assert.equal(lines[2], JSON.stringify({ data: bytes }));
      assert.deepEqual(binary.data, bytes, "the record is not changed");

      const read = collect<Record<string, unknown>>();
      await pipeline(fileSource(path), read);
      const [event, second] = read.records.slice(0, 2).map((record) =>
        parseCloudEvent(record)
      );
      assert.ok(event?.data instanceof Uint8Array);
      assert.deepEqual([...event.data], [...bytes]);
      assert.equal(event.datacontenttype, "application/octet-stream");
      assert.equal("data_base64" in event, false);
      assert.deepEqual(second, json);
    });
  });

  test("encodeNdjson() writes data_base64 too", async () => {
    const encoded = ReadableStream.from([binary, json])
      .pipeThrough(encodeNdjson());
    const text = await new Response(encoded).text();
    const [first, second] = text.trimEnd().split("\n").map((line) =>
      JSON.parse(line)
    );
    assert.equal(first.data_base64, "AAEC+v8=");
    assert.equal("data" in first, false);
    assert.deepEqual(second, json);
  });
});
