/**
 * Pipelines as graphs inside workerd: `graph_worker.ts` is bundled with
 * esbuild for a neutral (non-Node) platform and served by Miniflare with no
 * compatibility flags. The worker runs
 * `merge({ a: branch(a, map), b }) -> map -> fanOut({ all, routed: route(kind,
 * { odd, even: branch(filter, map, sink) }) })` with a memory checkpoint
 * store: to the end and resumed, stopped and resumed, aborted (by abort()
 * and by the signal), and failed on a branch.
 *
 * Run with Node 24: `node --test tests/workerd/*_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Miniflare } from "miniflare";
import { startWorker, TIMEOUT_MS } from "./_start_worker.ts";

const WORKER_ENTRY = new URL("./graph_worker.ts", import.meta.url);

let mf: Miniflare | undefined;

before(async () => {
  ({ mf } = await startWorker(WORKER_ENTRY));
}, { timeout: TIMEOUT_MS });

after(async () => {
  await mf?.dispose();
});

// deno-lint-ignore no-explicit-any
type Json = any;

async function json(path: string): Promise<Json> {
  assert.ok(mf, "Miniflare did not start");
  const response = await mf.dispatchFetch(`http://worker.test${path}`);
  const text = await response.text();
  assert.equal(
    response.status,
    200,
    `${path} answered ${response.status}: ${text}`,
  );
  return JSON.parse(text);
}

const span = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
const kindOf = (n: number) => n % 3 === 0 ? "none" : n % 2 ? "odd" : "even";

test("a graph with checkpoints resumes each origin after its own position", {
  timeout: TIMEOUT_MS,
}, async () => {
  const result = await json("/checkpoint");
  // Stored { a: 49 } and nothing for b: a resumes after 49, b from the start.
  assert.deepEqual(result.opened, { a: [49], b: [null] });
  assert.deepEqual(result.all.a, span(50, 300));
  assert.deepEqual(result.all.b, span(0, 400));
  assert.deepEqual(
    result.odd.a,
    span(50, 300).filter((n) => kindOf(n) === "odd"),
  );
  assert.deepEqual(
    result.odd.b,
    span(0, 400).filter((n) => kindOf(n) === "odd"),
  );
  const evens = [
    ...span(50, 300).filter((n) => kindOf(n) === "even").map((n) => `A${n}`),
    ...span(0, 400).filter((n) => kindOf(n) === "even").map((n) => `b${n}`),
  ];
  assert.deepEqual([...result.even].sort(), evens.sort());
  assert.equal(result.closed, true, "every sink closed");
  const summary = result.summary;
  assert.equal(summary.ended, "finished");
  assert.equal(summary.recordsRead, 650);
  assert.equal(summary.recordsWritten, 650);
  assert.deepEqual(summary.position, { a: 299, b: 399 });
  assert.deepEqual(result.stored, { a: 299, b: 399 });
  assert.deepEqual(result.lastAck, { a: 299, b: 399 });
  assert.equal(summary.origins.a.recordsRead, 250);
  assert.equal(summary.origins.b.recordsRead, 400);
  assert.equal(summary.sinks.all.recordsWritten, 650);
  assert.equal(
    summary.sinks["routed/odd"].recordsWritten,
    result.odd.a.length + result.odd.b.length,
  );
  assert.equal(summary.sinks["routed/even"].recordsWritten, evens.length);
  // The second run finds nothing left.
  assert.deepEqual(result.reopened, { a: [299], b: [399] });
  assert.equal(result.second.recordsRead, 0);
  assert.deepEqual(result.second.position, { a: 299, b: 399 });
});

test(
  "stop() drains every branch of a graph, and the restart goes on from there",
  {
    timeout: TIMEOUT_MS,
  },
  async () => {
    const result = await json("/stop");
    const { summary } = result;
    assert.equal(summary.ended, "stopped");
    assert.equal(result.state, "stopped");
    const read = {
      a: summary.origins.a.recordsRead as number,
      b: summary.origins.b.recordsRead as number,
    };
    assert.equal(summary.recordsRead, read.a + read.b);
    assert.equal(summary.recordsWritten, summary.recordsRead);
    assert.deepEqual(result.all.a, span(0, read.a), "nothing read of a lost");
    assert.deepEqual(result.all.b, span(0, read.b), "nothing read of b lost");
    assert.deepEqual(
      result.odd.a,
      span(0, read.a).filter((n) => kindOf(n) === "odd"),
    );
    assert.deepEqual(
      result.odd.b,
      span(0, read.b).filter((n) => kindOf(n) === "odd"),
    );
    assert.equal(
      result.even.length,
      [...span(0, read.a), ...span(0, read.b)].filter((n) =>
        kindOf(n) === "even"
      ).length,
    );
    assert.equal(result.closed, true, "every sink closed");
    assert.deepEqual(summary.position, { a: read.a - 1, b: read.b - 1 });
    assert.deepEqual(result.released, { a: 1, b: 1 });
    assert.deepEqual(result.reopened, { a: [read.a - 1], b: [read.b - 1] });
    assert.deepEqual(result.resumedAt, read);
    assert.equal(result.second.ended, "stopped");
  },
);

test("abort() and the signal reach every branch of a graph", {
  timeout: TIMEOUT_MS,
}, async () => {
  const result = await json("/abort");
  for (const how of ["abort", "signal"]) {
    const outcome = result[how];
    assert.equal(outcome.rejectedWithReason, true, `${how}: rejects with it`);
    assert.equal(outcome.state, "stopped", how);
    assert.deepEqual(outcome.aborted, {
      all: true,
      "routed/odd": true,
      "routed/even": true,
    }, `${how}: every sink aborted`);
    assert.deepEqual(outcome.abortReasons, [true, true, true], how);
    assert.deepEqual(outcome.released, { a: 1, b: 1 }, `${how}: released`);
    assert.deepEqual(outcome.signalled, { a: true, b: true }, how);
  }
});

test("a processor failing on a branch fails the graph naming the branch", {
  timeout: TIMEOUT_MS,
}, async () => {
  const result = await json("/fail");
  assert.equal(result.rejected, true, JSON.stringify(result));
  assert.equal(result.isStageError, true);
  assert.equal(result.branch, "routed/even");
  assert.equal(result.stageName, "explodeAt88");
  assert.match(result.message, /boom at [ab]88/);
  assert.match(result.message, /routed\/even/);
  assert.equal(result.state, "degraded");
  for (const origin of ["a", "b"]) {
    const position = result.stored?.[origin];
    assert.ok(
      position === undefined || position < 88,
      `the checkpoint of ${origin} passed the failed record: ${position}`,
    );
  }
  assert.equal(result.oddAborted, true, "the other branch was aborted");
  assert.deepEqual(result.released, { a: 1, b: 1 });
});
