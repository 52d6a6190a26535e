/**
 * Connector benchmark: `deno run -A scripts/bench_connectors.ts [--only
 * name,...] [--records N] [--rounds N] [--warmup N] [--runtime deno,node]
 * [--timeout S] [--json]` (`npm run bench:connectors`).
 *
 * Every source and sink of the broker and HTTP connectors, used through
 * `pipeline()` as a user runs it (a source into a cheap counting sink, a
 * sink fed from an array of records), against a hand-written loop on the
 * same official client doing the same work: the same acknowledgements,
 * the same batch sizes, the same JSON encoding, the same per-record sink
 * work (count and sum the ids, checked after every run). What each row and
 * its baseline do is in its file under `bench_connectors/` (one per
 * system) and in the header this prints.
 *
 * Each row runs in a fresh child process (`bench_connectors/child.ts`) on
 * Deno (and, with `--runtime node`, on Node 24): it sets up the row's
 * stream, queue or peer process, runs each implementation `--warmup` times
 * untimed (default 1), then `--rounds` rounds (default 5) of one timed run
 * each, connector and baseline back to back, the order alternating. A
 * figure is the median of the rounds; the ratio is the median over the
 * rounds of the connector's figure over the baseline's in the same round
 * (so that a machine busy with something else for a while weighs on both
 * sides of a ratio alike). Every
 * run checks what arrived (count and checksum; for brokers, also that
 * nothing was left unacknowledged, or that the stream or queue holds every
 * record).
 *
 * Servers: Redis (`CA_TEST_REDIS_URL`, default `redis://127.0.0.1:6379`),
 * NATS with JetStream (`CA_TEST_NATS_URL`, `nats://127.0.0.1:4222`),
 * RabbitMQ (`CA_TEST_AMQP_URL`, `amqp://guest:guest@127.0.0.1:5672`),
 * PostgreSQL for `postgres-sink` (`CA_TEST_POSTGRES_URL`,
 * `postgres://postgres@127.0.0.1:5432/test`), a private mosquitto started
 * for the MQTT rows (`CA_BENCH_MOSQUITTO`, the binary, default `mosquitto`
 * on the PATH), and a private PostgreSQL cluster with `wal_level =
 * logical` started for `postgres-change-source` (`CA_TEST_PG_BIN`,
 * PostgreSQL's binaries, default `/usr/lib/postgresql/15/bin`; as root it
 * runs as `CA_TEST_PG_USER`, default `postgres`), stopped after the row.
 * Every stream, queue, consumer, session, table, slot and publication is
 * made for the run and deleted after it.
 *
 * Output: a `#` header (runtime and client versions, servers, each row's
 * workload and baseline figure), then one line per row, exactly
 * `<name> <records/s> <ratio>x`: the connector's median records/s and its
 * ratio to the baseline (the baselines' medians are in the header). Target: >= 0.8x for every row; a missed target is
 * reported in the last header line, not an error. Some rows measure more
 * once after their rounds (`postgres-change-source`: the lag under a
 * steady load): a `# <row> ...` header line, and their own target (CDC lag
 * under 1 s), named met or not met on the last line. The exit code is 1 only
 * when a row fails (a check, a server, a timeout). `--json` prints one JSON
 * object per row instead (with every run's figure). Progress goes to
 * stderr. `--records N` sets every row's record count (rounded up to whole
 * batches; each row has its own default, sized so that the whole run takes
 * about five minutes); `--only` picks rows by name.
 *
 * On Node, the HTTP rows serve the connector with `serveNode()` and the
 * hand-written receiver with `node:http`. To profile one side of a row:
 * `deno run -A --cpu-prof --cpu-prof-md scripts/bench_connectors/child.ts
 * --row NAME --records N --rounds 3 --warmup 1 --impl connector`.
 *
 * @module
 */

import { splitLines } from "../mod.ts";
import {
  BenchSetupError,
  list,
  median,
  positiveInt,
  runBench,
  thousands,
} from "./_tools.ts";
import { ROW_NAMES, type RowName } from "./bench_connectors/rows.ts";
import type {
  DoneReport,
  Impl,
  Row,
  RunReport,
  Runtime,
} from "./bench_connectors/types.ts";

const ROOT_PATH = decodeURIComponent(new URL("../", import.meta.url).pathname);
const BINARIES: Record<Runtime, string> = {
  deno: `${ROOT_PATH}node_modules/.bin/deno`,
  node: `${ROOT_PATH}node_modules/node24/bin/node`,
};
const CHILD = `${ROOT_PATH}scripts/bench_connectors/child.ts`;
const TARGET = 0.8;
const RUNTIMES: readonly Runtime[] = ["deno", "node"];

interface Options {
  only: readonly RowName[];
  records: number | undefined;
  rounds: number;
  warmup: number;
  runtimes: readonly Runtime[];
  timeoutMs: number;
  json: boolean;
}

const USAGE =
  "Usage: deno run -A scripts/bench_connectors.ts [--only name,...] " +
  "[--records N] [--rounds N] [--warmup N] [--runtime deno,node] [--timeout S] [--json]";

function parseArgs(args: readonly string[]): Options {
  const options: Options = {
    only: ROW_NAMES,
    records: undefined,
    rounds: 5,
    warmup: 1,
    runtimes: ["deno"],
    timeoutMs: 240_000,
    json: false,
  };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.split(/=(.*)/s, 2);
    const value = (): string | undefined => inline ?? args[++i];
    switch (flag) {
      case "--only":
        options.only = list("only", value(), ROW_NAMES, true);
        break;
      case "--records":
        options.records = positiveInt("records", value());
        break;
      case "--rounds":
        options.rounds = positiveInt("rounds", value());
        break;
      case "--warmup":
        options.warmup = positiveInt("warmup", value(), 0);
        break;
      case "--runtime":
        options.runtimes = list("runtime", value(), RUNTIMES, true);
        break;
      case "--timeout":
        options.timeoutMs = positiveInt("timeout", value()) * 1000;
        break;
      case "--json":
        options.json = true;
        break;
      default:
        throw new BenchSetupError(
          `Cannot run the benchmark: unknown argument ${args[i]}\n${USAGE}`,
        );
    }
  }
  return options;
}

function log(message: string): void {
  console.error(message);
}

// ---------------------------------------------------------------------------
// One row in a child process

/** What one row's child measured. */
interface Cell {
  runtime: Runtime;
  row: Row;
  records: number;
  /** Records/s of each timed run, by round (index 0 is round 1). */
  runs: Record<Impl, number[]>;
  done?: DoneReport;
  error?: string;
}

function tail(text: string, lines = 12): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Rounds `n` up to a multiple of `m`. */
function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}

async function runRow(cell: Cell, options: Options): Promise<void> {
  const runtimeArgs = cell.runtime === "deno"
    ? ["run", "-A", "--quiet", "--v8-flags=--expose-gc", CHILD]
    : ["--expose-gc", "--no-warnings", CHILD];
  const child = new Deno.Command(BINARIES[cell.runtime], {
    args: [
      ...runtimeArgs,
      "--row",
      cell.row.name,
      "--records",
      String(cell.records),
      "--rounds",
      String(options.rounds),
      "--warmup",
      String(options.warmup),
    ],
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
  // Progress lines go on to our stderr as they come; the last ones are kept.
  let stderr = "";
  const progress = (async () => {
    for await (const line of lines(child.stderr)) {
      stderr += line + "\n";
      log(`  ${line}`);
    }
  })();
  for await (const line of lines(child.stdout)) {
    if (!line.startsWith("{")) continue;
    const report = JSON.parse(line) as RunReport | DoneReport;
    if ("done" in report) cell.done = report;
    else cell.runs[report.impl][report.round - 1] = report.recordsPerSec;
  }
  const status = await child.status;
  await progress;
  clearTimeout(timer);
  if (timedOut) {
    cell.error = `timed out after ${options.timeoutMs / 1000} s and was killed`;
  } else if (!status.success || cell.done === undefined) {
    cell.error = `the child exited with ${status.code}:\n${tail(stderr)}`;
  }
}

/** The lines of a child's output, as they come. */
function lines(stream: ReadableStream<Uint8Array>): ReadableStream<string> {
  return stream.pipeThrough(splitLines());
}

// ---------------------------------------------------------------------------
// Output

/**
 * The medians of each side, and the ratio: the median over rounds of the
 * connector's figure over the baseline's in the same round (run back to
 * back, so a machine that slows down for a while slows both).
 */
function figures(cell: Cell) {
  if (cell.error !== undefined) return undefined;
  const { connector: c, baseline: b } = cell.runs;
  const ratios = c.map((rate, round) => rate / b[round]!)
    .filter((ratio) => Number.isFinite(ratio));
  return {
    connector: median(c),
    baseline: median(b),
    ratio: median(ratios),
  };
}

async function clientVersions(rows: readonly Row[]): Promise<string> {
  const names = [...new Set(rows.flatMap((row) => row.clients))];
  const versions: string[] = [];
  for (const name of names) {
    try {
      const manifest = JSON.parse(
        await Deno.readTextFile(
          `${ROOT_PATH}node_modules/${name}/package.json`,
        ),
      ) as { version: string };
      versions.push(`${name} ${manifest.version}`);
    } catch {
      versions.push(`${name} (not installed)`);
    }
  }
  return versions.join(", ");
}

async function printTable(
  cells: readonly Cell[],
  options: Options,
): Promise<void> {
  const rows = [...new Set(cells.map((cell) => cell.row))];
  const out: string[] = [
    "# @ca/streams connector benchmark (npm run bench:connectors): each connector through pipeline() against a hand-written loop on the same client, same acks and batch sizes",
    `# clients: ${await clientVersions(rows)}`,
    `# figures: median records/s of ${options.rounds} rounds after ${options.warmup} warm-up run(s) each, one process per row, connector and baseline back to back in each round (order alternating); ratio = median over the rounds of connector / baseline; target >= ${TARGET}x`,
  ];
  const met: string[] = [];
  const missed: string[] = [];
  // Targets beside the ratios (a row's extras): named whether met or not.
  const metExtra: string[] = [];
  const missedExtra: string[] = [];
  for (const runtime of options.runtimes) {
    const mine = cells.filter((cell) => cell.runtime === runtime);
    const version = mine.find((cell) => cell.done)?.done?.runtime ?? runtime;
    out.push(`# runtime: ${version}`);
    out.push(
      `# ${"row".padEnd(22)} ${"records".padStart(8)} ${
        "baseline/s".padStart(11)
      }  server; workload; baseline`,
    );
    for (const cell of mine) {
      const f = figures(cell);
      const server = cell.done?.server ?? "?";
      out.push(
        `# ${cell.row.name.padEnd(22)} ${thousands(cell.records).padStart(8)} ${
          f === undefined
            ? "FAILED".padStart(11)
            : thousands(f.baseline).padStart(11)
        }  ${server}; ${cell.row.workload}; ${cell.row.baseline}`,
      );
      for (const note of cell.done?.extras?.notes ?? []) {
        out.push(`# ${cell.row.name} ${note}`);
      }
    }
    for (const cell of mine) {
      if (cell.error !== undefined) {
        out.push(
          `# FAILED ${cell.row.name}: ${cell.error.replaceAll("\n", "\n#   ")}`,
        );
      }
    }
    for (const cell of mine) {
      const f = figures(cell);
      if (f === undefined) continue;
      out.push(
        `${cell.row.name} ${Math.round(f.connector)} ${f.ratio.toFixed(2)}x`,
      );
      const label = options.runtimes.length > 1
        ? `${cell.row.name} (${runtime})`
        : cell.row.name;
      const target = cell.row.target ?? TARGET;
      (f.ratio >= target ? met : missed).push(
        `${label} ${f.ratio.toFixed(2)}x${
          target === TARGET ? "" : ` (target ${target}x)`
        }`,
      );
      for (const target of cell.done?.extras?.targets ?? []) {
        (target.met ? metExtra : missedExtra).push(`${label} ${target.label}`);
      }
    }
  }
  const failed = cells.filter((cell) => cell.error !== undefined).length;
  const extras = [
    ...metExtra.map((target) => `; ${target}: met`),
    ...missedExtra.map((target) => `; ${target}: not met`),
  ].join("");
  out.push(
    `# targets: ${met.length + metExtra.length} met, ${
      missed.length + missedExtra.length
    } not met${missed.length > 0 ? ` (${missed.join(", ")})` : ""}${extras}${
      failed > 0 ? `; ${failed} failed` : ""
    }`,
  );
  console.log(out.join("\n"));
}

function printJson(cells: readonly Cell[]): void {
  for (const cell of cells) {
    const f = figures(cell);
    console.log(JSON.stringify({
      row: cell.row.name,
      runtime: cell.done?.runtime ?? cell.runtime,
      server: cell.done?.server ?? null,
      records: cell.records,
      connector: f === undefined ? null : Math.round(f.connector),
      baseline: f === undefined ? null : Math.round(f.baseline),
      ratio: f === undefined ? null : Math.round(f.ratio * 1000) / 1000,
      connectorRuns: cell.runs.connector.map(Math.round),
      baselineRuns: cell.runs.baseline.map(Math.round),
      roundRatios: cell.runs.connector.map((rate, round) =>
        Math.round(rate / cell.runs.baseline[round]! * 1000) / 1000
      ),
      ...(cell.done?.extras === undefined ? {} : cell.done.extras),
      ...(cell.error === undefined ? {} : { error: cell.error }),
    }));
  }
}

async function main(): Promise<number> {
  const options = parseArgs(Deno.args);
  const { loadRow } = await import("./bench_connectors/rows.ts");
  const cells: Cell[] = [];
  for (const runtime of options.runtimes) {
    for (const name of options.only) {
      const row = await loadRow(name);
      const records = roundUp(options.records ?? row.records, row.multipleOf);
      cells.push({
        runtime,
        row,
        records,
        runs: { connector: [], baseline: [] },
      });
    }
  }
  const started = performance.now();
  for (const cell of cells) {
    log(
      `${cell.row.name} on ${cell.runtime}: ${thousands(cell.records)} records`,
    );
    const rowStart = performance.now();
    await runRow(cell, options);
    const f = figures(cell);
    log(
      f === undefined
        ? `${cell.row.name}: FAILED: ${cell.error}`
        : `${cell.row.name}: connector ${thousands(f.connector)}/s, baseline ${
          thousands(f.baseline)
        }/s, ${f.ratio.toFixed(2)}x (${
          ((performance.now() - rowStart) / 1000).toFixed(0)
        } s)`,
    );
  }
  log(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (options.json) printJson(cells);
  else await printTable(cells, options);
  return cells.some((cell) => cell.error !== undefined) ? 1 : 0;
}

await runBench(main, log);
