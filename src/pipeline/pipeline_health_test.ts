// Copyright 2026 the @ca/streams authors. MIT license.

import assert from "node:assert/strict";
import { test } from "node:test";
import { fanOut } from "../graph/fan_out.ts";
import { merge } from "../graph/merge.ts";
import { route } from "../graph/route.ts";
import { batchSink } from "../sinks/batch_sink.ts";
import { collect } from "../sinks/collect.ts";
import { resumableSource } from "../sources/resumable_source.ts";
import type { ConnectionHealth } from "../health/connection_health.ts";
import type { PipelineHealth } from "./pipeline_health.ts";
import { pipeline } from "./pipeline.ts";

const since = "2026-12-06T00:00:00.000Z";

function reporting(state: ConnectionHealth["state"], error?: string) {
  let health: ConnectionHealth = error === undefined
    ? { state, since }
    : { state, error, since };
  return {
    set(next: ConnectionHealth) {
      health = next;
    },
    health: () => health,
  };
}

function endless(report: { health(): ConnectionHealth }) {
  return resumableSource<number>({
    async *open(_after, { signal }) {
      for (let i = 0; !signal.aborted; i++) {
        yield { records: [i], position: i };
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    },
    health: report.health,
  });
}

test("health shows the source and the sink of a line as they report, live", async () => {
  const source = reporting("connecting");
  const sink = reporting("connected");
  const running = pipeline(
    endless(source),
    batchSink<number>({ write() {}, health: sink.health }),
  );
  assert.deepEqual(running.health, {
    sources: { source: { state: "connecting", since } },
    sinks: { sink: { state: "connected", since } },
  });
  sink.set({ state: "reconnecting", error: "ECONNRESET", since });
  const later: PipelineHealth = running.health;
  assert.equal(later.sinks.sink?.state, "reconnecting");
  assert.equal(later.sinks.sink?.error, "ECONNRESET");
  await running.stop();
});

test("health names a merge's origins and a fan-out's sinks by path; streams that report nothing are left out", async () => {
  const a = reporting("connected");
  const nats = reporting("reconnecting", "timeout");
  const running = pipeline(
    merge({ a: endless(a), b: [1, 2, 3] }),
    fanOut({
      plain: collect<number>(),
      paid: route(() => "nats", {
        nats: batchSink<number>({ write() {}, health: nats.health }),
      }),
    }),
  );
  assert.deepEqual(running.health, {
    sources: { a: { state: "connected", since } },
    sinks: { "paid/nats": { state: "reconnecting", error: "timeout", since } },
  });
  await running.stop();
  assert.deepEqual(
    pipeline([1], collect<number>()).health,
    { sources: {}, sinks: {} },
  );
});
