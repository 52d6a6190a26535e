/**
 * One connector host of the host benchmark, in a process of its own (Deno,
 * or Node 24 running the same TypeScript source): `connectorHost()` with a
 * memory definition store, a file checkpoint store under `--root`, the
 * admin token it prints, in-process runners, and the API served with
 * `serveNode()` on 127.0.0.1, as `ca serve` serves it. It creates
 * `--paced N` connectors through the API (`generate` at `--rate` records/s
 * → `set` → `file-sink`, each into its own file), waits until they all
 * run, prints a `ReadyReply`, then takes commands on stdin, one JSON line
 * each (`ChildCommand`), and answers each with one JSON line on stdout:
 *
 * - `run`: creates the unpaced connector (`generate` of `records` records
 *   as fast as they are taken → `set` → `bench/count`, which counts and
 *   stores nothing), times it from its `POST /connectors` to its last
 *   record counted, waits until it stopped by itself, checks that exactly
 *   `records` arrived, and deletes it (a fresh id, so a fresh checkpoint,
 *   each time).
 * - `stats`: CPU time and memory of the process; `written`: records the
 *   paced connectors wrote so far; `quit`: stops the host and exits.
 *
 * Usage: host_child.ts --root DIR --paced N --rate R --metrics on|off.
 * Progress and errors go to stderr; a failure exits 1.
 *
 * @module
 */

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { createInterface } from "node:readline";
import { connectorHost } from "../../connectors/cli/connector_host.ts";
import { defaultRegistry } from "../../connectors/cli/default_registry.ts";
import { serveNode } from "../../connectors/node_server/serve_node.ts";
import { memoryDefinitionStore } from "../../src/definition_store/memory_definition_store.ts";
import { Counts, countSink } from "./count_sink.ts";
import type {
  ChildCommand,
  ChildReply,
  ReadyReply,
  RunReply,
} from "./types.ts";

const deno = (globalThis as { Deno?: typeof Deno }).Deno;
const RUNTIME_NAME = deno ? "deno" : "node";
const RUNTIME = deno
  ? `deno ${deno.version.deno} (V8 ${deno.version.v8})`
  : `node ${process.version.replace(/^v/, "")} (V8 ${process.versions.v8})`;
const args = process.argv.slice(2);

function option(name: string): string {
  const at = args.indexOf(`--${name}`);
  const value = at === -1 ? undefined : args[at + 1];
  if (value === undefined) {
    throw new TypeError(`Cannot run: --${name} is missing`);
  }
  return value;
}

function count(name: string): number {
  const value = Number(option(name));
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`Cannot run: --${name} must be a number >= 0`);
  }
  return value;
}

function reply(message: ChildReply): void {
  console.log(JSON.stringify(message));
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

const root = option("root");
const paced = count("paced");
const rate = count("rate");
const metricsFlag = option("metrics");
if (metricsFlag !== "on" && metricsFlag !== "off") {
  throw new TypeError("Cannot run: --metrics must be on or off");
}
const token = crypto.randomUUID().replaceAll("-", "");
const counts = new Counts();
const registry = defaultRegistry();
registry.add(countSink(counts));
const host = connectorHost({
  definitions: memoryDefinitionStore(),
  root,
  registry,
  checkpointStore: { type: "file", dir: join(root, "checkpoints") },
  tokens: { admin: [token] },
  metrics: metricsFlag === "on",
  log: {
    write(level, _event, text) {
      if (level === "error") console.error(text);
    },
  },
});

/** Calls the API in this process (setup and the timed runs). */
async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return await host.fetch(
    new Request(`http://host${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
}

async function expectStatus(response: Response, status: number, doing: string) {
  if (response.status !== status) {
    throw new Error(
      `Cannot ${doing}: ${response.status} ${await response.text()}`,
    );
  }
  return response;
}

async function stateOf(id: string): Promise<{ state: string; error: unknown }> {
  const response = await expectStatus(
    await call("GET", `/connectors/${id}`),
    200,
    `read connector ${id}`,
  );
  return await response.json() as { state: string; error: unknown };
}

function pacedConfig(id: string) {
  return {
    runners: { main: { runtime: RUNTIME_NAME } },
    processors: [
      {
        name: "gen",
        use: "generate",
        args: { count: 1_000_000_000, ratePerSecond: rate },
      },
      { name: "tag", use: "set", args: { field: "tag", value: "paced" } },
      { name: "out", use: "file-sink", args: { path: `out/${id}.ndjson` } },
    ],
  };
}

function unpacedConfig(records: number) {
  return {
    runners: { main: { runtime: RUNTIME_NAME } },
    processors: [
      { name: "gen", use: "generate", args: { count: records } },
      { name: "tag", use: "set", args: { field: "tag", value: "solo" } },
      { name: "out", use: "bench/count", args: {} },
    ],
  };
}

let runs = 0;
let pacedIds = new Set<string>();

/** Records written by the paced connectors so far. */
function pacedWritten(): number {
  return host.connectors()
    .filter((status) => pacedIds.has(status.id))
    .reduce((sum, status) => sum + status.recordsWritten, 0);
}

/** How late a 10 ms timer fires, at most, until `stop()`. */
function timerDelays(): { stop(): number } {
  let max = 0;
  let expected = performance.now() + 10;
  const timer = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - expected);
    expected = now + 10;
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      return max;
    },
  };
}

function cpuMicros(): number {
  const cpu = process.cpuUsage();
  return cpu.user + cpu.system;
}

/** One run of the unpaced connector. */
async function runUnpaced(records: number): Promise<RunReply> {
  const id = `solo-${++runs}`;
  const counted = counts.expect(id, records);
  collectGarbage();
  const pacedBefore = pacedIds.size === 0 ? 0 : pacedWritten();
  const delays = timerDelays();
  const cpuBefore = cpuMicros();
  const start = performance.now();
  await expectStatus(
    await call("POST", "/connectors", {
      id,
      start: true,
      config: unpacedConfig(records),
    }),
    201,
    `create connector ${id}`,
  );
  // It ends by itself; a failure ends it too, short of its records.
  let failed: string | undefined;
  const watch = (async () => {
    while (failed === undefined) {
      await sleep(200);
      const { state, error } = await stateOf(id);
      if (state !== "running" && counted.records < records) {
        failed =
          `connector ${id} is ${state} after ${counted.records} of ${records} records: ${
            JSON.stringify(error)
          }`;
      }
    }
  })();
  const end = await Promise.race([
    counted.reached,
    watch.then(() => undefined),
  ]);
  const cpuAfter = cpuMicros();
  const maxTimerDelayMs = delays.stop();
  const pacedAfter = pacedIds.size === 0 ? 0 : pacedWritten();
  if (end === undefined) throw new Error(failed);
  failed = "done";
  await watch;
  for (;;) {
    const { state } = await stateOf(id);
    if (state === "stopped") break;
    if (state !== "running") throw new Error(`connector ${id} ended ${state}`);
    await sleep(5);
  }
  if (counted.records !== records) {
    throw new Error(
      `Cannot time connector ${id}: it stored ${counted.records} records, expected ${records}`,
    );
  }
  await expectStatus(
    await call("DELETE", `/connectors/${id}`),
    204,
    `delete connector ${id}`,
  );
  counts.delete(id);
  const elapsedMs = end - start;
  return {
    type: "run",
    records,
    elapsedMs,
    streamingMs: end - (counted.firstAt ?? start),
    recordsPerSec: records / (elapsedMs / 1000),
    cpuMicros: cpuAfter - cpuBefore,
    maxTimerDelayMs,
    pacedPerSec: (pacedAfter - pacedBefore) / (elapsedMs / 1000),
  };
}

async function main(): Promise<void> {
  const server = await serveNode((request) => host.fetch(request), {
    port: 0,
    hostname: "127.0.0.1",
  });
  await mkdir(join(root, "out"), { recursive: true });
  const began = performance.now();
  await host.start();
  const ids = Array.from(
    { length: paced },
    (_, i) => `paced-${String(i).padStart(3, "0")}`,
  );
  for (const id of ids) {
    await expectStatus(
      await call("POST", "/connectors", {
        id,
        start: true,
        config: pacedConfig(id),
      }),
      201,
      `create connector ${id}`,
    );
  }
  for (const id of ids) {
    const { state, error } = await stateOf(id);
    if (state !== "running") {
      throw new Error(
        `Cannot start: connector ${id} is ${state}: ${JSON.stringify(error)}`,
      );
    }
  }
  pacedIds = new Set(ids);
  const ready: ReadyReply = {
    type: "ready",
    runtime: RUNTIME,
    url: server.url.href,
    token,
    paced: ids,
    startMs: performance.now() - began,
  };
  reply(ready);
  const lines = createInterface({ input: process.stdin });
  try {
    for await (const line of lines) {
      if (line.trim() === "") continue;
      const command = JSON.parse(line) as ChildCommand;
      switch (command.type) {
        case "run":
          reply(await runUnpaced(command.records));
          break;
        case "stats": {
          const cpu = process.cpuUsage();
          const memory = process.memoryUsage();
          reply({
            type: "stats",
            cpuMicros: cpu.user + cpu.system,
            at: performance.now(),
            rssBytes: memory.rss,
            heapUsedBytes: memory.heapUsed,
          });
          break;
        }
        case "written":
          reply({
            type: "written",
            records: pacedWritten(),
            at: performance.now(),
          });
          break;
        case "quit":
          return;
        default:
          throw new TypeError(`Cannot run: unknown command ${line}`);
      }
    }
  } finally {
    lines.close();
    await host.stop();
    await server.close();
  }
}

try {
  await main();
  process.exit(0);
} catch (error) {
  const message = error instanceof Error
    ? error.stack ?? error.message
    : String(error);
  console.error(message);
  reply({ type: "error", message: String((error as Error)?.message ?? error) });
  process.exit(1);
}
