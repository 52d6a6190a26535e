/**
 * Benchmark driver: `deno run -A scripts/bench.ts [--json] [--runs N] [--records N]`
 * (`npm run bench`).
 *
 * Runs the "map-filter-5" workload (see `bench/workload.ts`) in each implementation of
 * `bench/impls.ts` on Deno (against the library source, `mod.ts`) and on Node 24 (against
 * the built package, `dist/mod.js`). Every run of every implementation is its own child
 * process; runs are interleaved round-robin; each child warms up (passes over a tenth of the
 * input for at least 1 s) before its one timed run; the report gives the median records/s,
 * the ratio to `loop` on the same runtime and the peak RSS (VmHWM), and checks every result
 * (count and sum of the sink, and `PipelineSummary` counters) against a plain loop run here.
 *
 * Other options: `--impl a,b` and `--runtime deno,node` select (the `loop` baseline always
 * runs), `--timeout S` bounds each child (default 120), `--node-lib PATH` replaces
 * `dist/mod.js`, `--no-build` skips rebuilding a missing or stale `dist/mod.js`.
 *
 * With `--json`, stdout holds exactly one JSON object per line per (runtime, impl):
 * `{"workload","runtime","impl","recordsPerSec","ratioToLoop","peakRssMb","runs"}`; a failed
 * implementation has nulls there and an `error` string. Progress goes to stderr.
 *
 * Two more workloads measure what a user pays before the first record:
 *
 * - `bundle`: `{ pipeline, map, filter, collect }` imported from `dist/mod.js`, bundled by
 *   esbuild (`--bundle --minify --platform=neutral --format=esm`) and gzipped at level 9
 *   (`scripts/check_bundle.ts`, which `npm test` runs as the budget check). JSON row:
 *   `{"workload":"bundle","runtime":"esbuild","impl":"bundle-core","bytesGzip":N,"bytesMin":N}`.
 * - `cold-import` (`bench/cold_import.ts`): a whole process that imports `{ pipeline, map }`
 *   from the root entry against one running an empty script, on Deno (source) and Node 24
 *   (`dist/`), medians of `--cold-runs` (default 15) interleaved runs. JSON rows:
 *   `{"workload":"cold-import","runtime","impl":"root-import","ms","emptyMs","ratioToEmpty","runs"}`.
 *
 * `--workload map-filter-5,bundle,cold-import` selects workloads (default: all three), so
 * `--workload bundle,cold-import` takes a few seconds.
 *
 * Exits 1 if any implementation fails or produces a different checksum than the loop.
 *
 * @module
 */

import { type ImplInfo, IMPLS } from "./bench/impls.ts";
import { run as loopRun } from "./bench/impls/loop.ts";
import type {
  Checksum,
  ChildReport,
  ImplResult,
  Runtime,
} from "./bench/types.ts";
import { makeRecords, WORKLOAD } from "./bench/workload.ts";
import { COLD_IMPORT_IMPL, measureColdImport } from "./bench/cold_import.ts";
import { BUDGET_BYTES, CORE_NAMES, measureBundle } from "./check_bundle.ts";
import { median, runBench } from "./_tools.ts";

const ROOT = new URL("../", import.meta.url);
const ROOT_PATH = decodeURIComponent(ROOT.pathname);
const CHILD = decodeURIComponent(
  new URL("./bench/child.ts", import.meta.url).pathname,
);
const DENO_LIB = new URL("mod.ts", ROOT);
const NODE_BIN = `${ROOT_PATH}node_modules/node24/bin/node`;
const RUNTIMES: readonly Runtime[] = ["deno", "node"];
const TARGETS = {
  vsLoop: 0.5,
  vsRxjs: 1.5,
  vsNaive: 50,
  userTransformsVsNaive: 0.9,
  graphVsPipeline: 0.8,
} as const;
/** `cold-import`: the importing process may take at most this times the empty one. */
const COLD_IMPORT_TARGET = 1.5;
const WORKLOADS = [WORKLOAD, "bundle", "cold-import"] as const;
type Workload = typeof WORKLOADS[number];

interface Options {
  json: boolean;
  runs: number;
  records: number;
  timeoutMs: number;
  impls: readonly ImplInfo[];
  runtimes: readonly Runtime[];
  nodeLib: string | undefined;
  build: boolean;
  workloads: ReadonlySet<Workload>;
  coldRuns: number;
}

/** A failure that ends the whole benchmark (bad arguments, no build). */
class BenchSetupError extends Error {}

function positiveInt(name: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new BenchSetupError(
      `Cannot run the benchmark: --${name} needs a positive integer, got ${text}`,
    );
  }
  return value;
}

function parseArgs(args: readonly string[]): Options {
  const options: Options = {
    json: false,
    runs: 5,
    records: 1_000_000,
    timeoutMs: 120_000,
    impls: IMPLS.filter((impl) => !impl.optIn),
    runtimes: RUNTIMES,
    nodeLib: undefined,
    build: true,
    workloads: new Set(WORKLOADS),
    coldRuns: 15,
  };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    const value = (): string => inline ?? args[++i];
    switch (flag) {
      case "--json":
        options.json = true;
        break;
      case "--no-build":
        options.build = false;
        break;
      case "--checkpoint":
        // The cost of checkpointing: resumable source with and without it.
        options.impls = IMPLS.filter((impl) =>
          ["loop", "pipeline", "pipeline-resumable", "pipeline-checkpoint"]
            .includes(impl.name)
        );
        break;
      case "--runs":
        options.runs = positiveInt("runs", value());
        break;
      case "--cold-runs":
        options.coldRuns = positiveInt("cold-runs", value());
        break;
      case "--workload": {
        const names = value().split(",");
        for (const name of names) {
          if (!WORKLOADS.includes(name as Workload)) {
            throw new BenchSetupError(
              `Cannot run the benchmark: unknown workload ${name} (known: ${
                WORKLOADS.join(", ")
              })`,
            );
          }
        }
        options.workloads = new Set(names as Workload[]);
        break;
      }
      case "--records":
        options.records = positiveInt("records", value());
        break;
      case "--timeout":
        options.timeoutMs = positiveInt("timeout", value()) * 1000;
        break;
      case "--node-lib":
        options.nodeLib = value();
        break;
      case "--impl": {
        const names = value().split(",");
        for (const name of names) {
          if (!IMPLS.some((impl) => impl.name === name)) {
            throw new BenchSetupError(
              `Cannot run the benchmark: unknown impl ${name} (known: ${
                IMPLS.map((i) => i.name).join(", ")
              })`,
            );
          }
        }
        options.impls = IMPLS.filter((impl) =>
          impl.name === "loop" || names.includes(impl.name)
        );
        break;
      }
      case "--runtime": {
        const names = value().split(",");
        for (const name of names) {
          if (!RUNTIMES.includes(name as Runtime)) {
            throw new BenchSetupError(
              `Cannot run the benchmark: unknown runtime ${name} (known: deno, node)`,
            );
          }
        }
        options.runtimes = RUNTIMES.filter((runtime) =>
          names.includes(runtime)
        );
        break;
      }
      default:
        throw new BenchSetupError(
          `Cannot run the benchmark: unknown argument ${args[i]}\n` +
            "Usage: deno run -A scripts/bench.ts [--json] [--runs N] [--records N] [--impl a,b] " +
            "[--runtime deno,node] [--timeout S] [--node-lib PATH] [--no-build] [--checkpoint] " +
            "[--workload map-filter-5,bundle,cold-import] [--cold-runs N]",
        );
    }
  }
  return options;
}

function log(message: string): void {
  console.error(message);
}

// ---------------------------------------------------------------------------------------
// The built package for Node

async function mtimeMs(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).mtime?.getTime();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function newestSourceMs(dir: string): Promise<number> {
  let newest = 0;
  let entries: AsyncIterable<Deno.DirEntry>;
  try {
    entries = Deno.readDir(dir);
    for await (const entry of entries) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) {
        newest = Math.max(newest, await newestSourceMs(path));
      } else if (entry.isFile && entry.name.endsWith(".ts")) {
        newest = Math.max(newest, (await mtimeMs(path)) ?? 0);
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return newest;
}

/** Returns the file URL of the built package, building it first when missing or stale. */
async function nodeLibrary(options: Options): Promise<string> {
  if (options.nodeLib !== undefined) {
    const path = options.nodeLib.startsWith("/")
      ? options.nodeLib
      : `${Deno.cwd()}/${options.nodeLib}`;
    if ((await mtimeMs(path)) === undefined) {
      throw new BenchSetupError(
        `Cannot run the Node benchmarks: --node-lib ${path} does not exist`,
      );
    }
    return new URL(`file://${path}`).href;
  }
  const dist = `${ROOT_PATH}dist/mod.js`;
  const built = await mtimeMs(dist);
  const sources = Math.max(
    (await mtimeMs(`${ROOT_PATH}mod.ts`)) ?? 0,
    await newestSourceMs(`${ROOT_PATH}src`),
  );
  if (built !== undefined && built >= sources) {
    return new URL(`file://${dist}`).href;
  }
  const why = built === undefined
    ? "dist/mod.js is missing"
    : "dist/mod.js is older than the sources";
  if (!options.build) {
    if (built === undefined) {
      throw new BenchSetupError(
        `Cannot run the Node benchmarks: ${why}; run \`npm run build\` first`,
      );
    }
    log(`warning: ${why} (--no-build given)`);
    return new URL(`file://${dist}`).href;
  }
  const packageJson = JSON.parse(
    await Deno.readTextFile(`${ROOT_PATH}package.json`),
  );
  const script: unknown = packageJson?.scripts?.build;
  if (typeof script !== "string") {
    throw new BenchSetupError(
      `Cannot run the Node benchmarks: ${why} and package.json has no "build" script; run \`npm run build\` first`,
    );
  }
  // What `npm run build` does, without starting npm (and the system's Node) for it.
  log(`${why}: running the build script: ${script}`);
  const env = {
    PATH: `${ROOT_PATH}node_modules/.bin:${Deno.env.get("PATH") ?? ""}`,
  };
  const build = await new Deno.Command("sh", {
    args: ["-c", script],
    cwd: ROOT_PATH,
    env,
    stdout: "piped",
  })
    .output();
  // Keep stdout for the report (it must hold only JSON with --json).
  await Deno.stderr.write(build.stdout);
  if (!build.success || (await mtimeMs(dist)) === undefined) {
    throw new BenchSetupError(
      `Cannot run the Node benchmarks: the build failed (exit ${build.code}) or wrote no dist/mod.js; run \`npm run build\` and fix it`,
    );
  }
  return new URL(`file://${dist}`).href;
}

// ---------------------------------------------------------------------------------------
// Children

interface RunOutcome {
  report?: ChildReport;
  error?: string;
}

function tail(text: string, lines = 15): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

async function runChild(
  runtime: Runtime,
  impl: ImplInfo,
  options: Options,
  libs: Record<Runtime, string | undefined>,
  warmup: number,
): Promise<RunOutcome> {
  const childArgs = [
    "--impl",
    impl.name,
    "--records",
    String(options.records),
    "--warmup",
    String(warmup),
  ];
  const lib = libs[runtime];
  if (impl.usesLibrary && lib) childArgs.push("--lib", lib);
  const [command, args] = runtime === "deno"
    ? [Deno.execPath(), [
      "run",
      "-A",
      "--quiet",
      "--v8-flags=--expose-gc",
      CHILD,
      ...childArgs,
    ]]
    : [NODE_BIN, ["--expose-gc", CHILD, ...childArgs]];
  const child = new Deno.Command(command, {
    args,
    cwd: ROOT_PATH,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }, options.timeoutMs);
  const output = await child.output();
  clearTimeout(timer);
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  if (timedOut) {
    return {
      error: `timed out after ${options.timeoutMs / 1000} s and was killed`,
    };
  }
  if (!output.success) {
    return {
      error: `exited with ${output.code}${
        output.signal ? ` (${output.signal})` : ""
      }:\n${tail(stderr)}`,
    };
  }
  const line = stdout.trim().split("\n").at(-1) ?? "";
  try {
    return { report: JSON.parse(line) as ChildReport };
  } catch {
    return { error: `printed no report:\n${tail(stdout)}\n${tail(stderr)}` };
  }
}

function checksumError(
  got: ImplResult,
  once: Checksum,
  inputOnce: number,
  what: string,
  passes: number,
): string | undefined {
  const expected = { count: once.count * passes, sum: once.sum * passes };
  const inputRecords = inputOnce * passes;
  if (got.count !== expected.count || got.sum !== expected.sum) {
    return `${what} checksum differs from the loop's: count ${got.count}, sum ${got.sum}; ` +
      `expected count ${expected.count}, sum ${expected.sum}`;
  }
  if (got.summary) {
    const { recordsRead, recordsWritten } = got.summary;
    if (recordsRead !== inputRecords || recordsWritten !== expected.count) {
      return `${what} PipelineSummary is wrong: recordsRead ${recordsRead}, recordsWritten ${recordsWritten}; ` +
        `expected ${inputRecords} and ${expected.count}`;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Statistics and output

interface Row {
  runtime: Runtime;
  impl: ImplInfo;
  reports: ChildReport[];
  errors: string[];
}

interface Stats {
  recordsPerSec: number;
  minPerSec: number;
  maxPerSec: number;
  peakRssMb: number;
  inputRssMb: number;
}

function stats(row: Row): Stats | undefined {
  if (row.errors.length > 0 || row.reports.length === 0) return undefined;
  const passes = row.impl.passes ?? 1;
  const rates = row.reports.map((r) =>
    r.records * passes / (r.elapsedMs / 1000)
  );
  return {
    recordsPerSec: median(rates),
    minPerSec: Math.min(...rates),
    maxPerSec: Math.max(...rates),
    peakRssMb: median(row.reports.map((r) => r.peakRssMb)),
    inputRssMb: median(row.reports.map((r) => r.inputRssMb)),
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function rate(perSec: number): string {
  return perSec >= 1e6
    ? `${(perSec / 1e6).toFixed(2)} M/s`
    : `${(perSec / 1e3).toFixed(0)} k/s`;
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function printTable(
  runtime: Runtime,
  rows: readonly Row[],
  options: Options,
  reference: Checksum,
): void {
  const version = rows.flatMap((r) => r.reports)[0]?.runtimeVersion ?? "?";
  const loop = stats(rows.find((r) => r.impl.name === "loop")!);
  const lines = [
    "",
    `${runtime} ${version}: ${WORKLOAD}, ${
      options.records.toLocaleString("en-US")
    } records, ` +
    `median of ${options.runs} runs; checksum count ${reference.count}, sum ${reference.sum}`,
    `${pad("impl", 26)}${pad("records/s", 13, true)}${
      pad("min .. max", 26, true)
    }${pad("x loop", 8, true)}` +
    `${pad("peak RSS", 11, true)}${pad("input RSS", 11, true)}`,
  ];
  for (const row of rows) {
    const s = stats(row);
    if (!s) {
      lines.push(
        `${pad(row.impl.name, 26)}FAILED: ${row.errors[0] ?? "no runs"}`,
      );
      continue;
    }
    lines.push(
      pad(row.impl.name, 26) +
        pad(rate(s.recordsPerSec), 13, true) +
        pad(`${rate(s.minPerSec)} .. ${rate(s.maxPerSec)}`, 26, true) +
        pad(
          loop ? `${(s.recordsPerSec / loop.recordsPerSec).toFixed(3)}` : "-",
          8,
          true,
        ) +
        pad(`${s.peakRssMb.toFixed(0)} MB`, 11, true) +
        pad(`${s.inputRssMb.toFixed(0)} MB`, 11, true),
    );
  }
  const of = (name: string) => {
    const row = rows.find((r) => r.impl.name === name);
    return row && stats(row)?.recordsPerSec;
  };
  const pipeline = of("pipeline");
  const target = (
    label: string,
    actual: number | undefined,
    against: number | undefined,
    goal: number,
  ) => {
    if (
      pipeline === undefined || actual === undefined || against === undefined
    ) return `  ${label}: not measured`;
    const ratio = actual / against;
    return `  ${label}: ${ratio.toFixed(ratio >= 10 ? 0 : 2)}x  ${
      ratio >= goal ? "met" : "NOT MET"
    }`;
  };
  const resumable = of("pipeline-resumable");
  const checkpointed = of("pipeline-checkpoint");
  if (resumable !== undefined && checkpointed !== undefined) {
    const cost = 1 - checkpointed / resumable;
    lines.push(
      `checkpoint every 1000 records (file store): costs ${
        (cost * 100).toFixed(1)
      }% of throughput (target <= 5%: ${cost <= 0.05 ? "met" : "NOT MET"})`,
    );
  }
  // The user's own TransformStreams cost in pipeline() what they cost piped by hand.
  const userTransforms = of("pipeline-user-transforms");
  const naive = of("whatwg-naive");
  if (userTransforms !== undefined && naive !== undefined) {
    const ratio = userTransforms / naive;
    const goal = TARGETS.userTransformsVsNaive;
    lines.push(
      `pipeline-user-transforms / whatwg-naive: ${ratio.toFixed(2)}x ` +
        `(target >= ${goal}x: ${ratio >= goal ? "met" : "NOT MET"})`,
    );
  }
  // The graph rows against the line of the same run: two sinks, or two sources, for one.
  for (const name of ["pipeline-fanout2", "pipeline-merge2"]) {
    const graph = of(name);
    if (graph !== undefined && pipeline !== undefined) {
      const ratio = graph / pipeline;
      const goal = TARGETS.graphVsPipeline;
      lines.push(
        `${name} / pipeline: ${ratio.toFixed(2)}x ` +
          `(target >= ${goal}x: ${ratio >= goal ? "met" : "NOT MET"})`,
      );
    }
  }
  lines.push(
    "targets:",
    target(
      `pipeline >= ${TARGETS.vsLoop}x loop`,
      pipeline,
      of("loop"),
      TARGETS.vsLoop,
    ),
    target(
      `pipeline >= ${TARGETS.vsRxjs}x rxjs`,
      pipeline,
      of("rxjs"),
      TARGETS.vsRxjs,
    ),
    target(
      `pipeline / whatwg-naive >= ${TARGETS.vsNaive}x`,
      pipeline,
      of("whatwg-naive"),
      TARGETS.vsNaive,
    ),
  );
  console.log(lines.join("\n"));
}

function jsonLine(
  runtime: Runtime,
  row: Row,
  loop: Stats | undefined,
): string {
  const s = stats(row);
  if (!s) {
    return JSON.stringify({
      workload: WORKLOAD,
      runtime,
      impl: row.impl.name,
      recordsPerSec: null,
      ratioToLoop: null,
      peakRssMb: null,
      runs: row.reports.length,
      error: row.errors[0] ?? "no runs",
    });
  }
  return JSON.stringify({
    workload: WORKLOAD,
    runtime,
    impl: row.impl.name,
    recordsPerSec: Math.round(s.recordsPerSec),
    ratioToLoop: loop ? round(s.recordsPerSec / loop.recordsPerSec, 4) : null,
    peakRssMb: round(s.peakRssMb, 1),
    runs: row.reports.length,
  });
}

// ---------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const options = parseArgs(Deno.args);
  let failures = 0;
  if (options.workloads.has(WORKLOAD)) failures += await mapFilter(options);
  if (options.workloads.has("bundle")) failures += await bundle(options);
  if (options.workloads.has("cold-import")) {
    failures += await coldImport(options);
  }
  return failures > 0 ? 1 : 0;
}

/** `bundle`: the root entry's core names from `dist/`, min+gzip. */
async function bundle(options: Options): Promise<number> {
  if (options.nodeLib === undefined) await nodeLibrary(options);
  log("bundle: esbuild { pipeline, map, filter, collect } from dist/mod.js");
  let result;
  try {
    result = await measureBundle("dist", CORE_NAMES);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`FAILED: bundle: ${message}`);
    if (options.json) {
      console.log(JSON.stringify({
        workload: "bundle",
        runtime: "esbuild",
        impl: "bundle-core",
        bytesGzip: null,
        error: message,
      }));
    }
    return 1;
  }
  if (options.json) {
    console.log(JSON.stringify({
      workload: "bundle",
      runtime: "esbuild",
      impl: "bundle-core",
      bytesGzip: result.gzipBytes,
      bytesMin: result.minBytes,
    }));
  } else {
    console.log(
      [
        "",
        "bundle (esbuild --bundle --minify --platform=neutral, gzip level 9):",
        `${pad("impl", 26)}${pad("min", 10, true)}${pad("min+gzip", 11, true)}`,
        `${pad("bundle-core", 26)}${pad(`${result.minBytes} B`, 10, true)}${
          pad(`${result.gzipBytes} B`, 11, true)
        }`,
        `  { ${
          CORE_NAMES.join(", ")
        } } from dist/mod.js <= ${BUDGET_BYTES} B: ${
          result.gzipBytes <= BUDGET_BYTES ? "met" : "NOT MET"
        }${
          result.forbidden.length > 0
            ? `; reaches ${result.forbidden.map((f) => f.pkg).join(" and ")}`
            : ""
        }`,
      ].join("\n"),
    );
  }
  return 0;
}

/** `cold-import`: a process importing `{ pipeline, map }` against an empty one. */
async function coldImport(options: Options): Promise<number> {
  const nodeLib = options.runtimes.includes("node")
    ? await nodeLibrary(options)
    : "";
  let results;
  try {
    results = await measureColdImport({
      runtimes: options.runtimes,
      runs: options.coldRuns,
      denoLib: DENO_LIB.href,
      nodeLib,
      denoBin: Deno.execPath(),
      nodeBin: NODE_BIN,
      dir: `${ROOT_PATH}.tmp/bench_cold_import`,
      log,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`FAILED: cold-import: ${message}`);
    if (options.json) {
      for (const runtime of options.runtimes) {
        console.log(JSON.stringify({
          workload: "cold-import",
          runtime,
          impl: COLD_IMPORT_IMPL,
          ms: null,
          emptyMs: null,
          ratioToEmpty: null,
          error: message,
        }));
      }
    }
    return 1;
  }
  if (options.json) {
    for (const r of results) {
      console.log(JSON.stringify({
        workload: "cold-import",
        runtime: r.runtime,
        impl: COLD_IMPORT_IMPL,
        ms: round(r.ms, 1),
        emptyMs: round(r.emptyMs, 1),
        ratioToEmpty: round(r.ratioToEmpty, 3),
        runs: r.runs,
      }));
    }
    return 0;
  }
  const lines = [
    "",
    `cold-import: whole process, import { pipeline, map } from the root entry vs an empty script, median of ${options.coldRuns} runs:`,
    `${pad("runtime", 8)}${pad("impl", 14)}${pad("ms", 9, true)}${
      pad("empty ms", 10, true)
    }${pad("x empty", 9, true)}${pad("min .. max", 16, true)}`,
  ];
  for (const r of results) {
    lines.push(
      pad(r.runtime, 8) + pad(COLD_IMPORT_IMPL, 14) +
        pad(r.ms.toFixed(1), 9, true) + pad(r.emptyMs.toFixed(1), 10, true) +
        pad(r.ratioToEmpty.toFixed(2), 9, true) +
        pad(
          `${Math.min(...r.samples.root).toFixed(0)} .. ${
            Math.max(...r.samples.root).toFixed(0)
          }`,
          16,
          true,
        ),
    );
  }
  lines.push("targets:");
  for (const r of results) {
    lines.push(
      `  ${r.runtime} (${
        r.runtime === "deno" ? "mod.ts" : "dist/mod.js"
      }) <= ${COLD_IMPORT_TARGET}x empty: ${r.ratioToEmpty.toFixed(2)}x  ${
        r.ratioToEmpty <= COLD_IMPORT_TARGET ? "met" : "NOT MET"
      }`,
    );
  }
  console.log(lines.join("\n"));
  return 0;
}

/** The "map-filter-5" throughput rows; returns the number of failed rows. */
async function mapFilter(options: Options): Promise<number> {
  const warmup = Math.max(1000, Math.floor(options.records / 10));
  // The checksum reference: the loop implementation, run here.
  const reference: Checksum = loopRun(makeRecords(options.records));
  const warmupReference: Checksum = loopRun(makeRecords(warmup));

  const libs: Record<Runtime, string | undefined> = {
    deno: undefined,
    node: undefined,
  };
  const rows: Row[] = [];
  for (const runtime of options.runtimes) {
    for (const impl of options.impls) {
      if (impl.runtimes.includes(runtime)) {
        rows.push({ runtime, impl, reports: [], errors: [] });
      }
    }
  }
  const needsLib = (runtime: Runtime) =>
    rows.some((r) => r.runtime === runtime && r.impl.usesLibrary);
  if (needsLib("deno")) {
    if ((await mtimeMs(decodeURIComponent(DENO_LIB.pathname))) === undefined) {
      throw new BenchSetupError(
        "Cannot run the Deno benchmarks of the library: mod.ts does not exist",
      );
    }
    libs.deno = DENO_LIB.href;
  }
  if (needsLib("node")) libs.node = await nodeLibrary(options);
  if (options.runs < 5) {
    log(
      `warning: --runs ${options.runs}: medians of fewer than 5 runs are noisy`,
    );
  }

  // Round-robin: every (runtime, impl) once per round, starting one place later each round.
  for (let round = 0; round < options.runs; round++) {
    for (let k = 0; k < rows.length; k++) {
      const row = rows[(k + round) % rows.length];
      if (row.errors.length > 0) continue;
      const label = `run ${
        round + 1
      }/${options.runs} ${row.runtime} ${row.impl.name}`;
      const outcome = await runChild(
        row.runtime,
        row.impl,
        options,
        libs,
        warmup,
      );
      const error = outcome.error ??
        checksumError(
          outcome.report!.warmup,
          warmupReference,
          warmup,
          "warm-up",
          row.impl.passes ?? 1,
        ) ??
        checksumError(
          outcome.report!.result,
          reference,
          options.records,
          "timed run",
          row.impl.passes ?? 1,
        );
      if (error !== undefined) {
        row.errors.push(error);
        log(`${label}: FAILED: ${error}`);
        continue;
      }
      const report = outcome.report!;
      row.reports.push(report);
      log(
        `${label}: ${
          rate(
            report.records * (row.impl.passes ?? 1) / (report.elapsedMs / 1000),
          )
        }, peak RSS ${report.peakRssMb.toFixed(0)} MB`,
      );
    }
  }

  for (const runtime of options.runtimes) {
    const mine = rows.filter((r) => r.runtime === runtime);
    if (options.json) {
      const loop = stats(mine.find((r) => r.impl.name === "loop")!);
      for (const row of mine) {
        console.log(jsonLine(runtime, row, loop));
      }
    } else {
      printTable(runtime, mine, options, reference);
    }
  }
  const failed = rows.filter((r) => r.errors.length > 0);
  for (const row of failed) {
    log(`FAILED: ${row.runtime} ${row.impl.name}: ${row.errors[0]}`);
  }
  return failed.length;
}

await runBench(main, log);
