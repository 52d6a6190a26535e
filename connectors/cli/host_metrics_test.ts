// Copyright 2026 the @ca/streams authors. MIT license.
// GET /metrics of a connector host: the Prometheus text exposition format
// (0.0.4) checked line by line, and the numbers of real configs run by
// connectorHost() and configRunner(): records out of each stage, the batch
// write latency of each sink, checkpoint commits, uncommitted records and
// connection health.
import assert from "node:assert/strict";
import { mkdtemp, readFile, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { test } from "node:test";
import * as z from "zod/mini";
import { defineProcessor } from "../../src/config/define_processor.ts";
import { memoryDefinitionStore } from "../../src/definition_store/memory_definition_store.ts";
import type { ConnectorHost } from "../../src/host/connector_host.ts";
import { metricsText } from "../../src/host/_metrics_text.ts";
import { batchSink } from "../../src/sinks/batch_sink.ts";
import { configRunner } from "./config_runner.ts";
import { connectorHost } from "./connector_host.ts";
import { defaultRegistry } from "./default_registry.ts";

const RUNTIME = "Deno" in globalThis ? "deno" : "node";
const OTHER = RUNTIME === "deno" ? "node" : "deno";
const ROOT = new URL("../../", import.meta.url);
const path = (relative: string) =>
  decodeURIComponent(new URL(relative, ROOT).pathname);
const EXECUTABLES = {
  CA_DENO: path("node_modules/.bin/deno"),
  CA_NODE: path("node_modules/node24/bin/node"),
};
const TOKEN = "viewer-and-admin";

// ------------------------------------------------ the exposition format

/** One sample line. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function unescape(value: string): string {
  return value.replace(
    /\\([\\"n])/g,
    (_, c: string) => (c === "n" ? "\n" : c),
  );
}

function parseValue(text: string, line: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  assert.match(
    text,
    /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/,
    `a number in: ${line}`,
  );
  return Number(text);
}

/**
 * Parses the text exposition format 0.0.4 and checks what a scraper
 * relies on: every line a comment or a sample; HELP and TYPE at most once
 * per family, TYPE before its samples; a family's lines together; valid
 * names, label values escaped; no series twice; counters named `_total`;
 * histograms with ascending cumulative buckets whose `+Inf` equals
 * `_count`, and a `_sum`.
 */
function parseExposition(text: string): {
  types: Map<string, string>;
  samples: Sample[];
} {
  assert.ok(text.endsWith("\n"), "the text ends with a newline");
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const series = new Set<string>();
  const finished = new Set<string>();
  let current: string | undefined;
  const enter = (family: string, line: string) => {
    if (family === current) return;
    assert.ok(!finished.has(family), `family ${family} comes back: ${line}`);
    if (current !== undefined) finished.add(current);
    current = family;
  };
  const familyOf = (name: string) => {
    for (const suffix of ["_bucket", "_sum", "_count"]) {
      const base = name.slice(0, -suffix.length);
      if (name.endsWith(suffix) && types.get(base) === "histogram") return base;
    }
    return name;
  };
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("#")) {
      const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (comment === null) continue; // a plain comment
      const [, keyword, name, rest] = comment as unknown as [
        string,
        string,
        string,
        string,
      ];
      assert.match(name, METRIC_NAME, `a metric name: ${line}`);
      enter(name, line);
      if (keyword === "HELP") {
        assert.ok(!helps.has(name), `one HELP for ${name}`);
        assert.doesNotMatch(rest, /\\[^\\n]/, `HELP escapes: ${line}`);
        helps.add(name);
      } else {
        assert.ok(!types.has(name), `one TYPE for ${name}`);
        assert.ok(
          !samples.some((s) => familyOf(s.name) === name),
          `TYPE before the samples of ${name}`,
        );
        assert.ok(TYPES.has(rest), `a known type: ${line}`);
        types.set(name, rest);
      }
      continue;
    }
    const match = /^([^{\s]+)(\{[^]*\})? (\S+)( -?\d+)?$/.exec(line);
    assert.ok(match, `a sample line: ${JSON.stringify(line)}`);
    const [, name, labelText = "", valueText] = match as unknown as [
      string,
      string,
      string | undefined,
      string,
    ];
    assert.match(name, METRIC_NAME, `a metric name: ${line}`);
    const labels: Record<string, string> = {};
    if (labelText !== "") {
      const inner = labelText.slice(1, -1);
      LABEL.lastIndex = 0;
      while (LABEL.lastIndex < inner.length) {
        const label = LABEL.exec(inner);
        assert.ok(label, `valid labels: ${line}`);
        assert.ok(!(label[1]! in labels), `a label once: ${line}`);
        labels[label[1]!] = unescape(label[2]!);
      }
    }
    const family = familyOf(name);
    enter(family, line);
    const key = `${name}${
      JSON.stringify(Object.entries(labels).sort(([a], [b]) => a < b ? -1 : 1))
    }`;
    assert.ok(!series.has(key), `no series twice: ${line}`);
    series.add(key);
    if (types.get(family) === "counter") {
      assert.ok(name.endsWith("_total"), `a counter named _total: ${name}`);
    }
    samples.push({ name, labels, value: parseValue(valueText, line) });
  }
  // Histograms: per series, ascending cumulative buckets up to +Inf = _count.
  for (const [family, type] of types) {
    if (type !== "histogram") continue;
    const groups = new Map<string, Sample[]>();
    for (const sample of samples) {
      if (familyOf(sample.name) !== family) continue;
      const { le: _, ...rest } = sample.labels;
      const key = JSON.stringify(Object.entries(rest).sort());
      groups.set(key, [...groups.get(key) ?? [], sample]);
    }
    for (const [key, group] of groups) {
      const buckets = group.filter((s) => s.name === `${family}_bucket`);
      const bounds = buckets.map((s) => parseValue(s.labels.le!, key));
      assert.deepEqual(bounds, [...bounds].sort((a, b) => a - b), key);
      assert.equal(bounds.at(-1), Infinity, `${family} ${key} has +Inf`);
      for (let i = 1; i < buckets.length; i++) {
        assert.ok(
          buckets[i]!.value >= buckets[i - 1]!.value,
          `cumulative ${key}`,
        );
      }
      const count = group.find((s) => s.name === `${family}_count`);
      assert.ok(count, `${family}_count of ${key}`);
      assert.ok(group.some((s) => s.name === `${family}_sum`), `${family}_sum`);
      assert.equal(buckets.at(-1)!.value, count.value, `+Inf = _count ${key}`);
    }
  }
  return { types, samples };
}

/** The value of the one sample named `name` with these labels (among others). */
function valueOf(
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string>,
): number | undefined {
  const found = samples.filter((s) =>
    s.name === name &&
    Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  assert.ok(found.length <= 1, `one ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

test("metricsText() writes valid exposition text: escaped labels, histograms, health", () => {
  const text = metricsText([
    {
      id: 'odd "id"\\with\nnewline',
      state: "running",
      recordsRead: 10,
      recordsWritten: 9,
      recordsDeadLettered: 1,
      restarts: 2,
      stages: { gen: { recordsOut: 10 }, out: { recordsOut: 9 } },
      sinks: {
        out: {
          batches: 3,
          latency: {
            buckets: [[0.001, 1], [0.01, 2], [0.1, 3]],
            sum: 0.05,
            count: 3,
          },
        },
      },
      commits: 4,
      lastCommitAt: "2026-01-01T00:00:01.500Z",
      uncommittedRecords: 1,
      health: {
        sources: { gen: { state: "reconnecting", since: "now", error: "x" } },
        sinks: { out: { state: "connected", since: "now" } },
      },
    },
    {
      id: "plain",
      state: "stopped",
      recordsRead: 0,
      recordsWritten: 0,
      recordsDeadLettered: 0,
      restarts: 0,
    },
  ]);
  const { types, samples } = parseExposition(text);
  const odd = 'odd "id"\\with\nnewline';
  assert.ok(text.includes('connector="odd \\"id\\"\\\\with\\nnewline"'));
  assert.equal(types.get("ca_sink_batch_write_seconds"), "histogram");
  assert.equal(types.get("ca_stage_records_out_total"), "counter");
  assert.equal(types.get("ca_connector_connection_up"), "gauge");
  assert.equal(
    valueOf(samples, "ca_stage_records_out_total", {
      connector: odd,
      stage: "out",
    }),
    9,
  );
  assert.equal(
    valueOf(samples, "ca_sink_batch_write_seconds_bucket", {
      connector: odd,
      le: "+Inf",
    }),
    3,
  );
  assert.equal(
    valueOf(samples, "ca_sink_batch_write_seconds_bucket", {
      connector: odd,
      le: "0.01",
    }),
    2,
  );
  assert.equal(
    valueOf(samples, "ca_connector_checkpoint_commits_total", {
      connector: odd,
    }),
    4,
  );
  assert.equal(
    valueOf(samples, "ca_connector_uncommitted_records", { connector: odd }),
    1,
  );
  assert.equal(
    valueOf(samples, "ca_connector_last_commit_timestamp_seconds", {
      connector: odd,
    }),
    Date.UTC(2026, 0, 1, 0, 0, 1, 500) / 1000,
  );
  assert.equal(
    valueOf(samples, "ca_connector_connection_up", {
      connector: odd,
      name: "out",
      side: "sink",
    }),
    1,
  );
  assert.equal(
    valueOf(samples, "ca_connector_connection_up", {
      connector: odd,
      name: "gen",
      side: "source",
    }),
    0,
  );
  // A connector that reports none of them has no such series.
  for (
    const name of [
      "ca_stage_records_out_total",
      "ca_connector_checkpoint_commits_total",
      "ca_connector_uncommitted_records",
    ]
  ) {
    assert.equal(valueOf(samples, name, { connector: "plain" }), undefined);
  }
  assert.equal(
    valueOf(samples, "ca_connector_state", {
      connector: "plain",
      state: "stopped",
    }),
    1,
  );
});

test("the exposition check catches what a scraper would refuse", () => {
  const refused = [
    "# TYPE a counter\na 1\n", // a counter not named _total
    "# TYPE a_total counter\n# TYPE a_total counter\na_total 1\n",
    '# TYPE g gauge\ng{x="a"} 1\n# TYPE h gauge\nh 1\ng{x="b"} 1\n',
    '# TYPE g gauge\ng{x="a\\q"} 1\n',
    "# TYPE g gauge\ng 1\ng 2\n",
    '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n',
    "# TYPE g gauge\ng 1",
  ];
  for (const text of refused) {
    assert.throws(() => parseExposition(text), JSON.stringify(text));
  }
  parseExposition(
    '# HELP h Help.\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_sum 0.5\nh_count 1\n',
  );
});

// ------------------------------------------------ real configs

async function withRoot(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await realpath(await mkdtemp(join(tmpdir(), "ca-metrics-")));
  try {
    await fn(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Waits until `ready()` resolves true; fails after a minute, saying what for. */
async function until(
  ready: () => Promise<boolean> | boolean,
  what: string,
): Promise<void> {
  const giveUp = Date.now() + 60_000;
  while (!(await ready())) {
    if (Date.now() > giveUp) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function call(
  host: ConnectorHost,
  method: string,
  url: string,
  body?: unknown,
): Promise<Response> {
  return host.fetch(
    new Request(`http://host${url}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
}

async function stateOf(host: ConnectorHost, id: string): Promise<string> {
  const response = await call(host, "GET", `/connectors/${id}`);
  return (await response.json() as { state: string }).state;
}

async function metrics(host: ConnectorHost): Promise<Sample[]> {
  const response = await call(host, "GET", "/metrics");
  assert.equal(response.status, 200);
  return parseExposition(await response.text()).samples;
}

async function lines(file: string): Promise<{ id: number; tag: string }[]> {
  const text = await readFile(file, "utf8");
  return text.trim().split("\n").map((line) => JSON.parse(line));
}

test("GET /metrics of a host: per-stage counts match the output, a sink latency histogram, commits", async () => {
  await withRoot(async (root) => {
    const host = connectorHost({
      definitions: memoryDefinitionStore(),
      root,
      checkpointStore: { type: "file", dir: "checkpoints" },
      tokens: { admin: [TOKEN] },
    });
    await host.start();
    try {
      const count = 20_000;
      const created = await call(host, "POST", "/connectors", {
        id: "numbers",
        start: true,
        config: {
          runners: { main: { runtime: RUNTIME } },
          checkpoint: { everyRecords: 2000 },
          processors: [
            { name: "gen", use: "generate", args: { count } },
            { name: "tag", use: "set", args: { field: "tag", value: "x" } },
            { name: "out", use: "file-sink", args: { path: "out.ndjson" } },
          ],
        },
      });
      assert.equal(created.status, 201, await created.text());
      // It finishes by itself: every record written, then stopped.
      await until(
        async () => (await stateOf(host, "numbers")) === "stopped",
        "the connector to finish",
      );
      const output = await lines(join(root, "out.ndjson"));
      assert.equal(output.length, count);
      assert.ok(output.every((record) => record.tag === "x"));

      const samples = await metrics(host);
      const id = { connector: "numbers" };
      for (const stage of ["gen", "tag", "out"]) {
        assert.equal(
          valueOf(samples, "ca_stage_records_out_total", { ...id, stage }),
          output.length,
          `records out of ${stage}`,
        );
      }
      assert.equal(
        valueOf(samples, "ca_connector_records_written_total", id),
        output.length,
      );
      const batches = valueOf(samples, "ca_sink_batch_write_seconds_count", {
        ...id,
        sink: "out",
      })!;
      assert.ok(batches > 0, `${batches} batch writes`);
      // Batches, not records: each write carried many records.
      assert.ok(batches < count / 10, `${batches} batch writes`);
      assert.equal(
        valueOf(samples, "ca_sink_batch_write_seconds_bucket", {
          ...id,
          sink: "out",
          le: "+Inf",
        }),
        batches,
      );
      const buckets = samples.filter((s) =>
        s.name === "ca_sink_batch_write_seconds_bucket" &&
        s.labels.connector === "numbers"
      );
      assert.ok(buckets.length > 2, "buckets below +Inf");
      assert.ok(
        valueOf(samples, "ca_sink_batch_write_seconds_sum", {
          ...id,
          sink: "out",
        })! > 0,
      );
      const commits = valueOf(
        samples,
        "ca_connector_checkpoint_commits_total",
        id,
      )!;
      assert.ok(commits >= 1, `${commits} commits`);
      const lastCommit = valueOf(
        samples,
        "ca_connector_last_commit_timestamp_seconds",
        id,
      )!;
      assert.ok(
        Math.abs(lastCommit - Date.now() / 1000) < 600,
        `last commit at ${lastCommit}`,
      );
      // The committed position is the last record: nothing was left uncommitted.
      const details = await (await call(host, "GET", "/connectors/numbers"))
        .json() as { position: unknown };
      assert.equal(details.position, count - 1);
      assert.equal(
        valueOf(samples, "ca_connector_state", { ...id, state: "stopped" }),
        1,
      );
    } finally {
      await host.stop();
    }
  });
});

test("GET /metrics while a connector runs: connection up by name, uncommitted records; counters kept after a stop", async () => {
  await withRoot(async (root) => {
    let stored = 0;
    const registry = defaultRegistry();
    registry.add(defineProcessor({
      name: "connected-sink",
      kind: "sink",
      delivery: "at-least-once",
      description: "Counts records; reports a live connection.",
      args: z.strictObject({}),
      create: () =>
        batchSink<unknown>({
          write(records) {
            stored += records.length;
          },
          health: () => ({ state: "connected", since: "2026-01-01T00:00:00Z" }),
        }),
    }));
    const host = connectorHost({
      definitions: memoryDefinitionStore(),
      root,
      registry,
      checkpointStore: { type: "file", dir: "checkpoints" },
      tokens: { admin: [TOKEN] },
    });
    await host.start();
    try {
      const created = await call(host, "POST", "/connectors", {
        id: "paced",
        start: true,
        config: {
          runners: { main: { runtime: RUNTIME } },
          processors: [
            {
              name: "gen",
              use: "generate",
              args: {
                count: 10_000_000,
                ratePerSecond: 2000,
                template: { kind: "n" },
              },
            },
            {
              name: "keep",
              use: "where",
              args: { field: "kind", equals: "n" },
            },
            { name: "out", use: "connected-sink", args: {} },
          ],
        },
      });
      assert.equal(created.status, 201, await created.text());
      let running: Sample[] = [];
      await until(async () => {
        running = await metrics(host);
        return (valueOf(running, "ca_stage_records_out_total", {
          connector: "paced",
          stage: "out",
        }) ?? 0) > 0;
      }, "records out of the sink");
      const id = { connector: "paced" };
      assert.equal(
        valueOf(running, "ca_connector_connection_up", {
          ...id,
          name: "out",
          side: "sink",
        }),
        1,
      );
      const uncommitted = valueOf(
        running,
        "ca_connector_uncommitted_records",
        id,
      );
      assert.ok(
        uncommitted !== undefined && uncommitted >= 0,
        `uncommitted ${uncommitted}`,
      );
      assert.equal(
        valueOf(running, "ca_connector_state", { ...id, state: "running" }),
        1,
      );

      assert.equal(
        (await call(host, "POST", "/connectors/paced/stop")).status,
        200,
      );
      assert.equal(await stateOf(host, "paced"), "stopped");
      const after = await metrics(host);
      // Counters stay (and equal what the sink stored); gauges of a run go.
      assert.equal(
        valueOf(after, "ca_stage_records_out_total", { ...id, stage: "out" }),
        stored,
      );
      assert.equal(
        valueOf(after, "ca_stage_records_out_total", { ...id, stage: "keep" }),
        stored,
      );
      assert.ok(
        valueOf(after, "ca_connector_checkpoint_commits_total", id)! >= 1,
      );
      assert.equal(
        valueOf(after, "ca_connector_uncommitted_records", id),
        undefined,
      );
      assert.equal(
        valueOf(after, "ca_connector_connection_up", {
          ...id,
          name: "out",
          side: "sink",
        }),
        undefined,
      );
      // Started again, the counters go on from there.
      const before = stored;
      assert.ok(before > 0);
      assert.equal(
        (await call(host, "POST", "/connectors/paced/start")).status,
        200,
      );
      await until(() => stored > before, "more records after the restart");
      assert.equal(
        (await call(host, "POST", "/connectors/paced/stop")).status,
        200,
      );
      // The totals of both runs.
      assert.equal(
        valueOf(await metrics(host), "ca_stage_records_out_total", {
          ...id,
          stage: "out",
        }),
        stored,
      );
    } finally {
      await host.stop();
    }
  });
});

test(`configRunner() reports stage counts and sink batch writes of a child runner (${OTHER})`, async () => {
  await withRoot(async (root) => {
    const runner = configRunner({
      root,
      checkpointStore: { type: "file", dir: "checkpoints" },
      env: { ...process.env, ...EXECUTABLES },
    });
    const config = {
      id: "across",
      runners: { a: { runtime: RUNTIME }, b: { runtime: OTHER } },
      processors: [
        {
          name: "numbers",
          use: "generate",
          runner: "a",
          args: { count: 3000 },
        },
        {
          name: "tag",
          use: "set",
          runner: "b",
          args: { field: "tag", value: "y" },
        },
        {
          name: "write",
          use: "file-sink",
          runner: "b",
          args: { path: "out.ndjson" },
        },
      ],
    };
    const running = runner.start("across", config);
    await running.started;
    assert.equal(await running.ended, undefined);
    const progress = running.progress();
    assert.deepEqual(progress.stages, {
      numbers: { recordsOut: 3000 },
      tag: { recordsOut: 3000 },
      write: { recordsOut: 3000 },
    });
    const writes = progress.sinks?.write;
    assert.ok(writes && writes.batches > 0, JSON.stringify(writes));
    assert.equal(writes.latency.count, writes.batches);
    // One commit at least in each runner's segment.
    assert.ok((progress.commits ?? 0) >= 2, `${progress.commits} commits`);
    assert.equal(progress.uncommittedRecords, 0);
    assert.equal((await lines(join(root, "out.ndjson"))).length, 3000);
  });
});

test("connectorHost({ metrics: false }): the same output and checkpoint; GET /metrics counts records read and written only", async () => {
  await withRoot(async (root) => {
    const host = connectorHost({
      definitions: memoryDefinitionStore(),
      root,
      checkpointStore: { type: "file", dir: "checkpoints" },
      tokens: { admin: [TOKEN] },
      metrics: false,
    });
    await host.start();
    try {
      const count = 20_000;
      const created = await call(host, "POST", "/connectors", {
        id: "numbers",
        start: true,
        config: {
          runners: { main: { runtime: RUNTIME } },
          checkpoint: { everyRecords: 2000 },
          processors: [
            { name: "gen", use: "generate", args: { count } },
            { name: "tag", use: "set", args: { field: "tag", value: "x" } },
            { name: "out", use: "file-sink", args: { path: "out.ndjson" } },
          ],
        },
      });
      assert.equal(created.status, 201, await created.text());
      await until(
        async () => (await stateOf(host, "numbers")) === "stopped",
        "the connector to finish",
      );
      const output = await lines(join(root, "out.ndjson"));
      assert.equal(output.length, count);
      assert.ok(output.every((record) => record.tag === "x"));
      const details = await (await call(host, "GET", "/connectors/numbers"))
        .json() as { position: unknown };
      assert.equal(details.position, count - 1);

      const samples = await metrics(host);
      const id = { connector: "numbers" };
      assert.equal(
        valueOf(samples, "ca_connector_records_read_total", id),
        count,
      );
      assert.equal(
        valueOf(samples, "ca_connector_records_written_total", id),
        count,
      );
      const counted = samples.filter((s) =>
        s.labels.connector === "numbers" &&
        (s.name.startsWith("ca_stage_") || s.name.startsWith("ca_sink_") ||
          s.name.includes("commit") || s.name.includes("uncommitted"))
      ).map((s) => s.name);
      assert.deepEqual(counted, []);
    } finally {
      await host.stop();
    }
  });
});
