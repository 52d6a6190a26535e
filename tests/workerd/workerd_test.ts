/**
 * Runs @ca/streams inside workerd: `worker.ts` is bundled with esbuild for a
 * neutral (non-Node) platform and served by Miniflare with no compatibility
 * flags, so the core must work with web-standard APIs alone.
 *
 * Run with Node 24: `node --test tests/workerd/*_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import type { Miniflare } from "miniflare";
import {
  COMPATIBILITY_DATE,
  startWorker,
  TIMEOUT_MS,
} from "./_start_worker.ts";
import * as workerdPackage from "workerd";

/** What the workerd package reports about the binary it ships (it has no types). */
const workerd = workerdPackage as unknown as {
  version: string;
  compatibilityDate: string;
};

const WORKER_ENTRY = new URL("./worker.ts", import.meta.url);

let mf: Miniflare | undefined;
let bundleBytes = 0;

before(async () => {
  let code: string;
  ({ mf, code } = await startWorker(WORKER_ENTRY));
  bundleBytes = code.length;
}, { timeout: TIMEOUT_MS });

after(async () => {
  await mf?.dispose();
});

async function dispatch(path: string, init?: RequestInit): Promise<Response> {
  assert.ok(mf, "Miniflare did not start");
  // Miniflare's fetch takes undici's RequestInit; the shapes used here match.
  return await mf.dispatchFetch(
    `http://worker.test${path}`,
    init as never,
  ) as unknown as Response;
}

async function miniflareVersion(): Promise<string> {
  // miniflare resolves to <package>/dist/src/index.js
  const manifest = new URL(
    "../../package.json",
    import.meta.resolve("miniflare"),
  );
  return JSON.parse(await readFile(manifest, "utf8")).version;
}

async function json(path: string): Promise<Record<string, unknown>> {
  const response = await dispatch(path);
  const text = await response.text();
  assert.equal(
    response.status,
    200,
    `${path} answered ${response.status}: ${text}`,
  );
  return JSON.parse(text);
}

test(
  "reports the workerd and Miniflare versions",
  { timeout: TIMEOUT_MS },
  async (t) => {
    const line =
      `workerd ${workerd.version} (supports compatibility dates up to ${workerd.compatibilityDate}), ` +
      `miniflare ${await miniflareVersion()}, compatibilityDate ${COMPATIBILITY_DATE}, no compatibility flags, ` +
      `worker bundle ${bundleBytes} bytes`;
    console.log(line);
    t.diagnostic(line);
    assert.ok(
      COMPATIBILITY_DATE <= workerd.compatibilityDate,
      `workerd ${workerd.version} supports dates up to ${workerd.compatibilityDate}`,
    );
  },
);

test(
  "pipeline() streams a transformed NDJSON request body back as the response",
  {
    timeout: TIMEOUT_MS,
  },
  async () => {
    const count = 10_000;
    // Mostly "\n", some "\r\n", a blank line, and no newline after the last.
    let body = "";
    for (let id = 0; id < count; id++) {
      const line = JSON.stringify({
        id,
        value: `item-${id}-${"x".repeat(id % 17)}`,
      });
      body += id === count - 1
        ? line
        : id % 100 === 7
        ? `${line}\r\n`
        : `${line}\n`;
      if (id === 4_321) body += "\n";
    }

    const response = await dispatch("/ndjson", { method: "POST", body });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/x-ndjson");
    const text = await response.text();

    assert.ok(text.endsWith("\n"), "every output line ends with a newline");
    const output = text.slice(0, -1).split("\n").map((line) =>
      JSON.parse(line)
    );
    const expected = [];
    for (let id = 0; id < count; id++) {
      if (id % 3 === 0) continue;
      expected.push({
        id,
        value: `ITEM-${id}-${"X".repeat(id % 17)}`,
        index: expected.length,
        chunk: "record",
      });
    }
    assert.equal(output.length, expected.length, "count");
    assert.deepEqual(
      output.map((record) => record.id),
      expected.map((record) => record.id),
      "order",
    );
    assert.deepEqual(output, expected, "content");
  },
);

test(
  "pipeline() keeps a fast source within a bounded distance of a slow sink",
  {
    timeout: TIMEOUT_MS,
  },
  async (t) => {
    // The bound pipeline() states: at most about (processors + 3) x batchSize
    // records in flight between the source and the sink. batchSize is small so
    // that the bound is too, and far below what an unthrottled source would
    // produce in the second or so the slow sink takes.
    const batchSize = 64;
    const limit = 1_000;
    const cases = [
      { source: "stream", stop: "take", sink: "record", delay: 1 },
      { source: "generator", stop: "take", sink: "batch", delay: 20 },
      { source: "stream", stop: "stop", sink: "batch", delay: 20 },
      { source: "generator", stop: "stop", sink: "record", delay: 1 },
    ];
    for (const { source, stop, sink, delay } of cases) {
      await t.test(`${source} source, ${stop}, ${sink} sink`, async () => {
        const result = await json(
          `/backpressure?limit=${limit}&batchSize=${batchSize}&delay=${delay}` +
            `&source=${source}&stop=${stop}&sink=${sink}`,
        );
        const { pulled, written, maxAhead, processors } = result as Record<
          string,
          number
        >;
        const bound = (processors + 3) * batchSize;
        t.diagnostic(
          `${source}/${stop}/${sink}: pulled ${pulled}, written ${written}, ` +
            `at most ${maxAhead} in flight <= ${bound} = (${processors} + 3) x ${batchSize}`,
        );
        if (stop === "take") assert.equal(written, limit);
        else assert.ok(written >= limit, `written ${written} < ${limit}`);
        assert.ok(pulled >= written, `pulled ${pulled} < written ${written}`);
        assert.ok(maxAhead > 0);
        assert.ok(
          maxAhead <= bound,
          `the source ran up to ${maxAhead} records ahead of the sink; bound ${bound}`,
        );
        assert.ok(
          pulled - written <= bound,
          `the source ended ${
            pulled - written
          } records ahead of the sink; bound ${bound}`,
        );
        const summary = result.summary as Record<string, unknown>;
        assert.equal(summary.recordsWritten, written);
        assert.equal(
          summary.ended,
          stop === "take" ? "finished" : "stopped",
        );
      });
    }
  },
);

test("processors work standalone with no pipeline() in workerd", {
  timeout: TIMEOUT_MS,
}, async () => {
  const result = await json("/standalone");
  assert.deepEqual(result.lines, ["one", "two", "three"]);
  assert.deepEqual(result.groups, [[1, 2], [3, 4], [5]]);
  assert.deepEqual(result.flat, [1, 2, 3]);
  assert.deepEqual(
    result.concurrent,
    [30, 10, 20],
    "mapConcurrent keeps input order",
  );
  assert.deepEqual(result.doubled, [2, 4.1, 6.2, 8.3, 10.4]);
  assert.deepEqual(result.evens, [2, 4, 6]);
  assert.deepEqual(result.pairs, ["a", "A", "b", "B"]);
  assert.deepEqual(result.tapped, [7, 8]);
  assert.deepEqual(result.seen, [7, 8]);
  assert.deepEqual(result.firstThree, [1, 2, 3]);
  assert.deepEqual(result.decoded, [{ a: 1 }, { a: 2 }, { a: 3 }]);
  assert.equal(result.encoded, '{"a":1}\n"x"\n');
  const recordError = result.recordError as Record<string, unknown> | undefined;
  assert.ok(recordError, "a throwing map() errors the readable side");
  assert.equal(recordError.isRecordError, true);
  assert.equal(recordError.code, "CA_ERR_RECORD");
  assert.equal(recordError.index, 2);
  assert.equal(recordError.cause, "boom at 2");
});

test("pipeline() rejects with a StageError naming the stage and the record", {
  timeout: TIMEOUT_MS,
}, async () => {
  const result = await json("/stage-error");
  assert.equal(
    result.rejected,
    true,
    `pipeline resolved: ${JSON.stringify(result)}`,
  );
  assert.equal(result.isStageError, true);
  assert.equal(result.name, "StageError");
  assert.equal(result.code, "CA_ERR_STAGE");
  // The throwing map is the second processor (index 1), fused or not.
  assert.equal(result.stageIndex, 1);
  assert.equal(result.stageName, "explodeOnFive");
  assert.equal(result.recordIndex, 5);
  assert.equal(result.cause, "boom at 5");
  assert.equal(result.sameAsPipelineError, true);
  assert.equal(result.state, "degraded");
});
