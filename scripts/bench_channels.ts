/**
 * Channel benchmark: `deno run -A scripts/bench_channels.ts [--json]
 * [--records N] [--runs N]` (`npm run bench:channels`).
 *
 * **Channels.** A writer process sends N records (default 500,000) of
 * `{ id, value: <16 chars> }` to a reader process on 127.0.0.1; the
 * reader's sink counts them and sums `id`, and both the reader and this
 * driver check the count and sum. Each transport runs our channel
 * (`channelWriter()` to `channelReader()`) and a raw baseline with the same
 * record encoding (JSON) and the same sink work:
 *
 * - TCP: NDJSON over a plain socket with the runtime's TCP API, 1024
 *   records per write (`bench_channels/raw_tcp.ts`);
 * - WebSocket: our channel over `connectors/channel_ws/`, against raw
 *   `ws`: one JSON array of 1024 records per message, a Node `ws` server
 *   reading and the `ws` client writing (`bench_channels/raw_ws.ts`).
 *   Skipped, with a note, when that connector is missing.
 *
 * Runtime pairs (writer->reader): deno->node, and the same-runtime pairs
 * deno->deno and node->node; WebSocket has no deno->deno, as its raw
 * baseline reads with a `ws` server on Node. The binaries are the repository's:
 * `node_modules/.bin/deno` and `node_modules/node24/bin/node`.
 *
 * Every run is a fresh pair of processes. The writer builds its records
 * first, sends three warm-up passes (N records each, each to its own
 * listener and fully confirmed: with shorter ones the channel, which has
 * more code for the JIT to optimise, is timed half-compiled and reads
 * 20-40% low), collects garbage, then times one pass:
 * from before it dials until the reader confirms that every record is
 * stored (the channel's final ACK; the raw reader's one-byte or `done`
 * reply). Runs are interleaved round-robin across all implementations, and
 * each figure is the median of `--runs` (default 3). Both children are
 * killed after `--timeout` seconds (default 120).
 *
 * **CloudEvents.** Then it runs `scripts/bench_cloudevents.ts --json` on
 * Deno and on Node 24, its two parts each in a fresh process like every
 * measurement here (`--only decode`: in-process decode and validate
 * against the SDK's `HTTP.toEvent()`; `--only http`: our HTTP reader
 * against an SDK-based server; see that file), with `--rounds` = `--runs`
 * (at least 3), and reports its figures beside these.
 *
 * Targets: each channel >= 0.8x its raw baseline; CloudEvents decoding
 * >= 1.5x the SDK; our HTTP reader >= 1.0x the SDK server. A missed target
 * is reported, not an error: the exit code is 1 only when an
 * implementation fails or a checksum is wrong.
 *
 * With `--json`, stdout holds one JSON object per line:
 * `{"workload","transport","runtime","impl","recordsPerSec","ratioToBaseline"}`
 * (a failed implementation has nulls and an `error`); progress goes to
 * stderr. Other options: `--transport tcp,ws`, `--pairs
 * deno-node,deno-deno,node-node`, `--warmup N` (records per warm-up
 * pass), `--warmup-passes N`, `--timeout S`,
 * `--cloudevents deno,node` or `--no-cloudevents`.
 *
 * @module
 */

import { BenchSetupError, list, positiveInt, runBench } from "./_tools.ts";
import { readerRuns } from "./bench_channels/impls.ts";
import { expected } from "./bench_channels/records.ts";
import type {
  ImplName,
  ReaderReport,
  Runtime,
  Transport,
  WriterReport,
} from "./bench_channels/types.ts";

const ROOT_PATH = decodeURIComponent(new URL("../", import.meta.url).pathname);
const BINARIES: Record<Runtime, string> = {
  deno: `${ROOT_PATH}node_modules/.bin/deno`,
  node: `${ROOT_PATH}node_modules/node24/bin/node`,
};
const READER = `${ROOT_PATH}scripts/bench_channels/reader.ts`;
const WRITER = `${ROOT_PATH}scripts/bench_channels/writer.ts`;
const CLOUDEVENTS = `${ROOT_PATH}scripts/bench_cloudevents.ts`;
const WS_CONNECTOR = `${ROOT_PATH}connectors/channel_ws/mod.ts`;
const WORKLOAD = "records {id, value: 16 chars}";
const CHANNEL_TARGET = 0.8;
const TRANSPORTS: readonly Transport[] = ["tcp", "ws"];
const IMPLS: readonly ImplName[] = ["channel", "raw"];

/** A writer runtime and a reader runtime. */
interface Pair {
  writer: Runtime;
  reader: Runtime;
}

const PAIRS: readonly Pair[] = [
  { writer: "deno", reader: "node" },
  { writer: "deno", reader: "deno" },
  { writer: "node", reader: "node" },
];

interface Options {
  json: boolean;
  records: number;
  runs: number;
  warmup: number;
  warmupPasses: number;
  timeoutMs: number;
  transports: readonly Transport[];
  pairs: readonly Pair[];
  cloudevents: readonly Runtime[];
}

const USAGE = "Usage: deno run -A scripts/bench_channels.ts [--json] " +
  "[--records N] [--runs N] [--warmup N] [--warmup-passes N] [--timeout S] [--transport tcp,ws] " +
  "[--pairs deno-node,deno-deno,node-node] [--cloudevents deno,node] [--no-cloudevents]";

function pairName(pair: Pair): string {
  return `${pair.writer}->${pair.reader}`;
}

function parseArgs(args: readonly string[]): Options {
  const options: Options = {
    json: false,
    records: 500_000,
    runs: 3,
    warmup: 0,
    warmupPasses: 3,
    timeoutMs: 120_000,
    transports: TRANSPORTS,
    pairs: PAIRS,
    cloudevents: ["deno", "node"],
  };
  let warmup: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.split(/=(.*)/s, 2);
    const value = (): string | undefined => inline ?? args[++i];
    switch (flag) {
      case "--json":
        options.json = true;
        break;
      case "--records":
        options.records = positiveInt("records", value());
        break;
      case "--runs":
        options.runs = positiveInt("runs", value());
        break;
      case "--warmup":
        warmup = positiveInt("warmup", value());
        break;
      case "--warmup-passes":
        options.warmupPasses = positiveInt("warmup-passes", value());
        break;
      case "--timeout":
        options.timeoutMs = positiveInt("timeout", value()) * 1000;
        break;
      case "--transport":
        options.transports = list("transport", value(), TRANSPORTS);
        break;
      case "--pairs": {
        const names = list("pairs", value()?.replaceAll("-", "->"), [
          ...PAIRS.map(pairName),
        ]);
        options.pairs = PAIRS.filter((p) => names.includes(pairName(p)));
        break;
      }
      case "--cloudevents":
        options.cloudevents = list("cloudevents", value(), ["deno", "node"]);
        break;
      case "--no-cloudevents":
        options.cloudevents = [];
        break;
      default:
        throw new BenchSetupError(
          `Cannot run the benchmark: unknown argument ${args[i]}\n${USAGE}`,
        );
    }
  }
  options.warmup = warmup ?? options.records;
  return options;
}

function log(message: string): void {
  console.error(message);
}

// ---------------------------------------------------------------------------
// Children

function tail(text: string, lines = 12): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

function spawn(
  runtime: Runtime,
  script: string,
  args: readonly string[],
): Deno.ChildProcess {
  const runtimeArgs = runtime === "deno"
    ? ["run", "-A", "--quiet", "--v8-flags=--expose-gc", script]
    : ["--expose-gc", "--no-warnings", script];
  return new Deno.Command(BINARIES[runtime], {
    args: [...runtimeArgs, ...args],
    cwd: ROOT_PATH,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

function kill(child: Deno.ChildProcess | undefined): void {
  try {
    child?.kill("SIGKILL");
  } catch {
    // Already gone.
  }
}

/** The lines of a child's stdout, as they come. */
async function* lines(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    rest += decoder.decode(chunk, { stream: true });
    let end = rest.indexOf("\n");
    while (end !== -1) {
      yield rest.slice(0, end);
      rest = rest.slice(end + 1);
      end = rest.indexOf("\n");
    }
  }
  rest += decoder.decode();
  if (rest !== "") yield rest;
}

interface Cell {
  transport: Transport;
  pair: Pair;
  impl: ImplName;
  rates: number[];
  errors: string[];
  version?: string;
}

/** One run: a reader process, then a writer process; records/s or an error. */
async function runOnce(
  cell: Cell,
  options: Options,
): Promise<{ rate: number; version: string } | { error: string }> {
  const common = [
    "--transport",
    cell.transport,
    "--impl",
    cell.impl,
    "--records",
    String(options.records),
    "--warmup",
    String(options.warmup),
  ];
  const phases = options.warmupPasses + 1;
  const reader = spawn(cell.pair.reader, READER, [
    ...common,
    "--phases",
    String(phases),
  ]);
  let writer: Deno.ChildProcess | undefined;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    kill(reader);
    kill(writer);
  }, options.timeoutMs);
  const readerErr = new Response(reader.stderr).text();
  try {
    const readerLines = lines(reader.stdout);
    const first = await readerLines.next();
    if (first.done) {
      await reader.status;
      return { error: `the reader did not start:\n${tail(await readerErr)}` };
    }
    const { ports } = JSON.parse(first.value) as { ports: number[] };
    writer = spawn(cell.pair.writer, WRITER, [
      ...common,
      "--ports",
      ports.join(","),
    ]);
    const child = writer;
    // Whichever side fails first takes the other down, which would
    // otherwise wait for it until the timeout.
    const written = child.output().then((output) => {
      if (!output.success) kill(reader);
      return output;
    });
    const read = (async () => {
      const reports: ReaderReport[] = [];
      for await (const line of readerLines) {
        reports.push(JSON.parse(line) as ReaderReport);
      }
      const status = await reader.status;
      if (!status.success) kill(child);
      return { status, reports };
    })();
    const [output, { status, reports }] = await Promise.all([written, read]);
    if (timedOut) {
      return {
        error: `timed out after ${
          options.timeoutMs / 1000
        } s; both processes were killed`,
      };
    }
    if (!status.success) {
      return {
        error: `the ${cell.pair.reader} reader exited with ${status.code}:\n${
          tail(await readerErr)
        }`,
      };
    }
    if (!output.success) {
      return {
        error: `the ${cell.pair.writer} writer exited with ${output.code}:\n${
          tail(new TextDecoder().decode(output.stderr))
        }`,
      };
    }
    const checked = checkReports(reports, options);
    if (checked) return { error: checked };
    const text = new TextDecoder().decode(output.stdout).trim();
    const report = JSON.parse(text.split("\n").at(-1)!) as WriterReport;
    if (report.records !== options.records) {
      return { error: `the writer sent ${report.records} records` };
    }
    return {
      rate: report.records / (report.elapsedMs / 1000),
      version: report.runtimeVersion,
    };
  } catch (error) {
    kill(reader);
    kill(writer);
    return { error: `failed: ${error}\n${tail(await readerErr)}` };
  } finally {
    clearTimeout(timer);
    await reader.status;
    await writer?.status;
  }
}

/** The reader's phases: every one there, each with the right checksum. */
function checkReports(
  reports: readonly ReaderReport[],
  options: Options,
): string | undefined {
  const phases = options.warmupPasses + 1;
  if (reports.length !== phases) {
    return `the reader reported ${reports.length} of ${phases} phases`;
  }
  for (const r of reports) {
    const n = r.phase === phases - 1 ? options.records : options.warmup;
    const want = expected(n);
    if (r.count !== want.count || r.sum !== want.sum) {
      return `checksum differs in phase ${
        r.phase + 1
      }: count ${r.count}, sum ${r.sum}; expected count ${want.count}, sum ${want.sum}`;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// CloudEvents: scripts/bench_cloudevents.ts, one process per runtime

interface CloudEventsFigure {
  runtime: string;
  bench: string;
  ours: number;
  sdk: number;
  ratio: number;
  target: number;
}

/** Its two parts, each in its own process (see the module doc). */
const CLOUDEVENTS_PARTS = ["decode", "http"] as const;

async function runCloudEvents(
  runtime: Runtime,
  part: typeof CLOUDEVENTS_PARTS[number],
  options: Options,
): Promise<{ figures: CloudEventsFigure[]; error?: string }> {
  const args = [
    ...(runtime === "deno" ? ["run", "-A", "--quiet"] : ["--no-warnings"]),
    CLOUDEVENTS,
    "--json",
    "--only",
    part,
    "--rounds",
    String(Math.max(3, options.runs)),
  ];
  const child = new Deno.Command(BINARIES[runtime], {
    args,
    cwd: ROOT_PATH,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    kill(child);
  }, options.timeoutMs);
  const output = await child.output();
  clearTimeout(timer);
  const figures = new TextDecoder().decode(output.stdout).split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as CloudEventsFigure);
  const stderr = new TextDecoder().decode(output.stderr);
  if (timedOut) {
    return {
      figures,
      error: `timed out after ${options.timeoutMs / 1000} s and was killed`,
    };
  }
  if (!output.success) {
    return { figures, error: `exited with ${output.code}:\n${tail(stderr)}` };
  }
  return { figures };
}

// ---------------------------------------------------------------------------
// Statistics and output

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function rate(perSec: number): string {
  return perSec >= 1e6
    ? `${(perSec / 1e6).toFixed(2)} M/s`
    : `${(perSec / 1e3).toFixed(1)} k/s`;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function verdict(ratio: number, target: number): string {
  return `${ratio >= target ? "met" : "NOT MET"} (target >= ${target}x)`;
}

function cellRate(cell: Cell | undefined): number | undefined {
  return cell && cell.errors.length === 0 && cell.rates.length > 0
    ? median(cell.rates)
    : undefined;
}

function baselineOf(cells: readonly Cell[], cell: Cell): Cell | undefined {
  return cells.find((c) =>
    c.impl === "raw" && c.transport === cell.transport &&
    pairName(c.pair) === pairName(cell.pair)
  );
}

const TRANSPORT_LABEL: Record<Transport, string> = {
  tcp: "TCP",
  ws: "WebSocket",
};
const IMPL_LABEL: Record<Transport, Record<ImplName, string>> = {
  tcp: { channel: "channel", raw: "raw NDJSON socket" },
  ws: { channel: "channel", raw: "raw ws" },
};

function printTable(
  cells: readonly Cell[],
  ce: readonly CloudEventsFigure[],
  notes: readonly string[],
  options: Options,
): void {
  const versions = [
    ...new Set(cells.map((c) => c.version).filter((v) => v !== undefined)),
  ];
  const out = [
    "",
    `Channels: ${
      options.records.toLocaleString("en-US")
    } ${WORKLOAD}, writer process -> reader process on 127.0.0.1, ` +
    `median of ${options.runs} runs (${options.warmupPasses} warm-up passes of ${
      options.warmup.toLocaleString("en-US")
    }); ${versions.join(", ")}`,
    `${"transport".padEnd(11)}${"writer->reader".padEnd(16)}${
      "impl".padEnd(19)
    }${"records/s".padStart(11)}${"min .. max".padStart(24)}${
      "x baseline".padStart(12)
    }  target`,
  ];
  for (const cell of cells) {
    const head = TRANSPORT_LABEL[cell.transport].padEnd(11) +
      pairName(cell.pair).padEnd(16) +
      IMPL_LABEL[cell.transport][cell.impl].padEnd(19);
    const r = cellRate(cell);
    if (r === undefined) {
      out.push(`${head}FAILED: ${cell.errors[0] ?? "no runs"}`);
      continue;
    }
    const base = cellRate(baselineOf(cells, cell));
    const ratio = base === undefined ? undefined : r / base;
    out.push(
      head + rate(r).padStart(11) +
        `${rate(Math.min(...cell.rates))} .. ${rate(Math.max(...cell.rates))}`
          .padStart(24) +
        (ratio === undefined ? "-" : ratio.toFixed(2)).padStart(12) +
        "  " +
        (cell.impl === "raw"
          ? "baseline"
          : ratio === undefined
          ? "no baseline"
          : verdict(ratio, CHANNEL_TARGET)),
    );
  }
  for (const note of notes) out.push(`note: ${note}`);
  if (ce.length > 0) {
    out.push(
      "",
      "CloudEvents (scripts/bench_cloudevents.ts): ours vs the cloudevents SDK, median of interleaved rounds",
      `${"runtime".padEnd(16)}${"bench".padEnd(28)}${"ours".padStart(11)}${
        "SDK".padStart(11)
      }${"x SDK".padStart(8)}  target`,
    );
    for (const f of ce) {
      out.push(
        f.runtime.padEnd(16) + f.bench.padEnd(28) + rate(f.ours).padStart(11) +
          rate(f.sdk).padStart(11) + f.ratio.toFixed(2).padStart(8) + "  " +
          verdict(f.ratio, f.target),
      );
    }
  }
  const targets = [
    ...cells.filter((c) => c.impl === "channel").map((c) => {
      const r = cellRate(c), base = cellRate(baselineOf(cells, c));
      return r !== undefined && base !== undefined &&
        r / base >= CHANNEL_TARGET;
    }),
    ...ce.map((f) => f.ratio >= f.target),
  ];
  out.push(
    "",
    `targets: ${targets.filter((t) => t).length} met, ${
      targets.filter((t) => !t).length
    } not met`,
  );
  console.log(out.join("\n"));
}

function jsonLines(cells: readonly Cell[], ce: readonly CloudEventsFigure[]) {
  for (const cell of cells) {
    const r = cellRate(cell);
    const base = cellRate(baselineOf(cells, cell));
    const line: Record<string, unknown> = {
      workload: WORKLOAD,
      transport: cell.transport,
      runtime: pairName(cell.pair),
      impl: cell.impl,
      recordsPerSec: r === undefined ? null : Math.round(r),
      ratioToBaseline: r === undefined || base === undefined
        ? null
        : round(r / base, 4),
    };
    if (r === undefined) line.error = cell.errors[0] ?? "no runs";
    console.log(JSON.stringify(line));
  }
  for (const f of ce) {
    const transport = f.bench.startsWith("http") ? "http" : "in-process";
    for (
      const [impl, perSec, ratio] of [
        ["ours", f.ours, f.ratio],
        ["cloudevents-sdk", f.sdk, 1],
      ] as const
    ) {
      console.log(JSON.stringify({
        workload: `cloudevents ${f.bench}`,
        transport,
        runtime: f.runtime,
        impl,
        recordsPerSec: Math.round(perSec),
        ratioToBaseline: round(ratio, 4),
      }));
    }
  }
}

// ---------------------------------------------------------------------------

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<number> {
  const options = parseArgs(Deno.args);
  const notes: string[] = [];
  let transports = options.transports;
  if (transports.includes("ws") && !(await exists(WS_CONNECTOR))) {
    notes.push(
      "WebSocket not measured: connectors/channel_ws/mod.ts does not exist yet",
    );
    transports = transports.filter((t) => t !== "ws");
  }
  const cells: Cell[] = [];
  for (const transport of transports) {
    for (const pair of options.pairs) {
      if (!readerRuns(transport, pair.reader)) continue;
      for (const impl of IMPLS) {
        cells.push({ transport, pair, impl, rates: [], errors: [] });
      }
    }
  }
  if (options.runs < 3) {
    log(`warning: --runs ${options.runs}: medians of fewer than 3 are noisy`);
  }
  // Round-robin: every cell once per round, starting one later each round.
  for (let r = 0; r < options.runs; r++) {
    for (let k = 0; k < cells.length; k++) {
      const cell = cells[(k + r) % cells.length]!;
      if (cell.errors.length > 0) continue;
      const label = `run ${r + 1}/${options.runs} ${cell.transport} ${
        pairName(cell.pair)
      } ${cell.impl}`;
      const outcome = await runOnce(cell, options);
      if ("error" in outcome) {
        cell.errors.push(outcome.error);
        log(`${label}: FAILED: ${outcome.error}`);
        continue;
      }
      cell.rates.push(outcome.rate);
      cell.version ??= outcome.version;
      log(`${label}: ${rate(outcome.rate)}`);
    }
  }
  const ce: CloudEventsFigure[] = [];
  const ceErrors: string[] = [];
  for (const runtime of options.cloudevents) {
    for (const part of CLOUDEVENTS_PARTS) {
      const label = `cloudevents ${part} on ${runtime}`;
      log(`${label}...`);
      const result = await runCloudEvents(runtime, part, options);
      ce.push(...result.figures);
      for (const f of result.figures) {
        log(`  ${f.bench}: ours ${rate(f.ours)}, sdk ${rate(f.sdk)}`);
      }
      if (result.error) {
        ceErrors.push(`${label}: ${result.error}`);
        log(`FAILED: ${label}: ${result.error}`);
      }
    }
  }
  if (options.json) jsonLines(cells, ce);
  else printTable(cells, ce, [...notes, ...ceErrors], options);
  if (options.json) { for (const note of notes) log(`note: ${note}`); }
  const failed = cells.filter((c) => c.errors.length > 0);
  for (const cell of failed) {
    log(
      `FAILED: ${cell.transport} ${pairName(cell.pair)} ${cell.impl}: ${
        cell.errors[0]
      }`,
    );
  }
  return failed.length > 0 || ceErrors.length > 0 ? 1 : 0;
}

await runBench(main, log);
