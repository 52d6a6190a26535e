/**
 * Connector host benchmark: `deno run -A scripts/bench_host.ts [--quick]
 * [--only connectors-200,alone-vs-199,metrics-cost,metrics-cost-200]
 * [--rounds N] [--runs N] [--records N] [--runtime deno,node] [--timeout S]`
 * (`npm run bench:host`).
 *
 * Every host is `connectorHost()` (connectors/cli) in a fresh child
 * process (`bench_host/host_child.ts`, on Deno or, with `--runtime node`,
 * on Node 24 running the same TypeScript source, as the tests do), so that
 * no two share a heap: a memory definition store, a file checkpoint store
 * in a temporary directory (removed afterwards), in-process runners, and
 * its API served with `serveNode()` and a bearer token, as `ca serve`
 * serves it. The workloads:
 *
 * - `connectors-200`: 200 connectors, each `generate` paced at 200
 *   records/s → `set` → `file-sink` into its own file, all running. The
 *   host process's CPU and RSS while they run, then the API latency (p50,
 *   p99) measured from this process over HTTP while they go on running:
 *   `GET /connectors`, `GET /connectors/{id}`, `GET /metrics`, and `POST
 *   /connectors/{id}/stop` each followed by `.../start`, one after the
 *   other and from 8 loops at once (the stops and starts on 8 different
 *   connectors); and the host's CPU meanwhile.
 * - `alone-vs-199`: the unpaced connector (`generate` of `--records`
 *   records as fast as they are taken → `set` → `bench/count`, a sink
 *   that counts per batch and stores nothing), timed from its `POST
 *   /connectors` to its last record, alone in a host, then in a host where
 *   199 paced connectors (as above) run; records/s and the ratio, and what
 *   the 199 wrote meanwhile against before.
 * - `metrics-cost`: the unpaced connector in rounds of four fresh hosts
 *   alive at once: metrics on, metrics off (`configRunner({ metrics: false
 *   })`: no per-batch counters, sink timers or store observer), and an A/A
 *   pair, both off; one run per host in turn, the order reversed every
 *   other turn and round. The cost is one minus the median over the rounds
 *   of on/off (each host's figure the median of its runs); the noise floor
 *   is the median over the rounds of |A/A − 1|. Target: the cost ≤ 3 % or
 *   within the noise floor, whichever is larger. The CPU time per record
 *   (the whole process) is compared the same way beside it.
 * - `metrics-cost-200` (only with `--only`): the CPU per record written of
 *   hosts with 200 paced connectors, metrics on against off beside an A/A
 *   pair, four hosts one after the other per round.
 *
 * Each host that runs the unpaced connector runs it once untimed (warm-up),
 * then `--runs` times timed; every run checks that exactly `--records`
 * records arrived. The default workloads take about five minutes;
 * `--quick` (under a minute) is a smoke run with fewer rounds, runs,
 * records and requests. Output: a `#` header (runtime, machine, load,
 * each workload and its details), result lines, and a last `# targets:`
 * line; progress goes to stderr. The exit code is 1 only when a workload
 * fails.
 *
 * @module
 */

import {
  BenchSetupError,
  list,
  loadAverage,
  machineLine,
  median,
  positiveInt,
  runBench,
  thousands,
} from "./_tools.ts";
import {
  ApiClient,
  type Endpoint,
  type Latencies,
  percentile,
} from "./bench_host/api_latency.ts";
import { HostProcess, type Runtime } from "./bench_host/host_process.ts";
import type { RunReply } from "./bench_host/types.ts";

const WORKLOADS = [
  "connectors-200",
  "alone-vs-199",
  "metrics-cost",
  "metrics-cost-200",
] as const;
type Workload = typeof WORKLOADS[number];
/** What runs without `--only`. */
const DEFAULT_WORKLOADS: readonly Workload[] = [
  "connectors-200",
  "alone-vs-199",
  "metrics-cost",
];
const RUNTIMES: readonly Runtime[] = ["deno", "node"];
/** The paced connectors' records per second, each. */
const RATE = 200;
/** The metrics' cost target, as a fraction. */
const TARGET = 0.03;
/** Loops at once for the concurrent API calls. */
const WORKERS = 8;

interface Options {
  quick: boolean;
  only: readonly Workload[];
  runtimes: readonly Runtime[];
  /** metrics-cost rounds. */
  rounds: number;
  /** Timed runs per host of the unpaced connector. */
  runs: number;
  records: number;
  timeoutMs: number;
  /** connectors-200: requests per GET endpoint and mode; stop/start pairs. */
  requests: number;
  pairs: number;
  /** connectors-200: settling, and the window with no API calls, in ms. */
  settleMs: number;
  quietMs: number;
  /** alone-vs-199 rounds. */
  neighbourRounds: number;
}

const USAGE = "Usage: deno run -A scripts/bench_host.ts [--quick] " +
  "[--only connectors-200,alone-vs-199,metrics-cost] [--rounds N] [--runs N] " +
  "[--records N] [--runtime deno,node] [--timeout S]";

function parseArgs(args: readonly string[]): Options {
  const quick = args.includes("--quick");
  const options: Options = {
    quick,
    only: DEFAULT_WORKLOADS,
    runtimes: ["deno"],
    rounds: quick ? 3 : 10,
    runs: quick ? 2 : 5,
    records: quick ? 2_000_000 : 5_000_000,
    timeoutMs: 240_000,
    requests: quick ? 100 : 400,
    pairs: quick ? 24 : 120,
    settleMs: quick ? 1000 : 3000,
    quietMs: quick ? 3000 : 10_000,
    neighbourRounds: quick ? 1 : 2,
  };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.split(/=(.*)/s, 2);
    const value = (): string | undefined => inline ?? args[++i];
    switch (flag) {
      case "--quick":
        break;
      case "--only":
        options.only = list("only", value(), WORKLOADS, true);
        break;
      case "--runtime":
        options.runtimes = list("runtime", value(), RUNTIMES, true);
        break;
      case "--rounds":
        options.rounds = positiveInt("rounds", value());
        break;
      case "--runs":
        options.runs = positiveInt("runs", value());
        break;
      case "--records":
        options.records = positiveInt("records", value());
        break;
      case "--timeout":
        options.timeoutMs = positiveInt("timeout", value()) * 1000;
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

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function percent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)} %`;
}

function mb(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MB`;
}

/** Starts a host child; kills it when `fn` fails, closes it when it is done. */
async function withHost<T>(
  spec: Parameters<typeof HostProcess.start>[0],
  fn: (host: HostProcess) => Promise<T>,
): Promise<T> {
  const host = await HostProcess.start(spec);
  let result: T;
  try {
    result = await fn(host);
  } catch (error) {
    await host.kill();
    throw error;
  }
  await host.close();
  return result;
}

// ---------------------------------------------------------------------------
// connectors-200

interface FleetResult {
  runtime: string;
  startMs: number;
  quiet: { cpu: number; rssBytes: number; rate: number; ms: number };
  busy: { cpu: number; rssBytes: number; rate: number; ms: number };
  latencies: Latencies[];
}

/** CPU as a fraction of one core, and records/s, between two snapshots. */
async function measureWindow(host: HostProcess, during: () => Promise<void>) {
  const s0 = await host.stats();
  const w0 = await host.written();
  await during();
  const s1 = await host.stats();
  const w1 = await host.written();
  return {
    cpu: (s1.cpuMicros - s0.cpuMicros) / 1000 / (s1.at - s0.at),
    rssBytes: s1.rssBytes,
    rate: (w1.records - w0.records) / ((w1.at - w0.at) / 1000),
    ms: s1.at - s0.at,
  };
}

async function connectors200(
  runtime: Runtime,
  options: Options,
): Promise<FleetResult> {
  return await withHost({
    runtime,
    paced: 200,
    rate: RATE,
    metrics: true,
    timeoutMs: options.timeoutMs,
    label: "connectors-200",
  }, async (host) => {
    log(
      `connectors-200: 200 connectors running ${
        (host.ready.startMs / 1000).toFixed(1)
      } s after host.start()`,
    );
    await sleep(options.settleMs);
    const quiet = await measureWindow(host, () => sleep(options.quietMs));
    log(
      `connectors-200: no API calls: CPU ${
        percent(quiet.cpu, 0)
      } of a core, RSS ${mb(quiet.rssBytes)}, ${
        thousands(quiet.rate)
      } records/s`,
    );
    const client = new ApiClient(host.ready.url, host.ready.token);
    const ids = host.ready.paced;
    const gets: Endpoint[] = [
      {
        name: "GET /connectors",
        method: "GET",
        path: () => "/connectors",
        status: 200,
      },
      {
        name: "GET /connectors/{id}",
        method: "GET",
        path: (_, n) => `/connectors/${ids[n % ids.length]}`,
        status: 200,
      },
      {
        name: "GET /metrics",
        method: "GET",
        path: () => "/metrics",
        status: 200,
      },
    ];
    const stop: Endpoint = {
      name: "POST /connectors/{id}/stop",
      method: "POST",
      path: (worker) => `/connectors/${ids[worker]}/stop`,
      status: 200,
    };
    const start: Endpoint = {
      ...stop,
      name: "POST /connectors/{id}/start",
      path: (worker) => `/connectors/${ids[worker]}/start`,
    };
    const latencies: Latencies[] = [];
    const busy = await measureWindow(host, async () => {
      // Warm-up: connections opened, handlers compiled.
      for (const endpoint of gets) {
        for (let n = 0; n < 20; n++) await client.timed(endpoint, 0, n);
      }
      for (const endpoint of gets) {
        latencies.push(await client.sequential(endpoint, options.requests));
        latencies.push(
          await client.concurrent(endpoint, options.requests, WORKERS),
        );
      }
      latencies.push(
        ...await client.stopStart(stop, start, options.pairs, 1),
      );
      latencies.push(
        ...await client.stopStart(stop, start, options.pairs, WORKERS),
      );
    });
    for (const { endpoint, mode, ms } of latencies) {
      log(
        `connectors-200: ${endpoint} ${mode}: p50 ${
          percentile(ms, 50).toFixed(2)
        } ms, p99 ${percentile(ms, 99).toFixed(2)} ms`,
      );
    }
    // They all still run: the stops were each followed by a start.
    const listed = await (await fetch(`${host.ready.url}connectors`, {
      headers: { authorization: `Bearer ${host.ready.token}` },
    })).json() as { connectors: { id: string; state: string }[] };
    const notRunning = listed.connectors.filter((c) => c.state !== "running");
    if (listed.connectors.length !== 200 || notRunning.length > 0) {
      throw new Error(
        `Cannot finish connectors-200: ${listed.connectors.length} connectors, not running: ${
          notRunning.map((c) => `${c.id} ${c.state}`).join(", ")
        }`,
      );
    }
    return {
      runtime: host.ready.runtime,
      startMs: host.ready.startMs,
      quiet,
      busy,
      latencies,
    };
  });
}

// ---------------------------------------------------------------------------
// The unpaced connector

/** `--runs` timed runs, after one warm-up run. */
async function unpacedRuns(
  host: HostProcess,
  options: Options,
  label: string,
): Promise<RunReply[]> {
  const warm = await host.run(options.records);
  log(`${label} warm-up: ${thousands(warm.recordsPerSec)} records/s`);
  const runs: RunReply[] = [];
  for (let i = 0; i < options.runs; i++) {
    const run = await host.run(options.records);
    runs.push(run);
    log(
      `${label} run ${i + 1}/${options.runs}: ${
        thousands(run.recordsPerSec)
      } records/s (${run.elapsedMs.toFixed(0)} ms, streaming ${
        run.streamingMs.toFixed(0)
      } ms; the paced ones ${
        thousands(run.pacedPerSec)
      } records/s, timers up to ${run.maxTimerDelayMs.toFixed(0)} ms late)`,
    );
  }
  return runs;
}

interface NeighbourResult {
  runtime: string;
  alone: number[];
  among: number[];
  amongStartMs: number;
  /** Among 199: what the paced ones wrote during each run, per second. */
  pacedDuring: number[];
  /** Among 199: before the runs, with no unpaced connector running. */
  pacedBefore: number[];
  /** Among 199: the most a 10 ms timer fired late in each run. */
  timerDelays: number[];
}

async function aloneVs199(
  runtime: Runtime,
  options: Options,
): Promise<NeighbourResult> {
  const result: NeighbourResult = {
    runtime,
    alone: [],
    among: [],
    amongStartMs: 0,
    pacedDuring: [],
    pacedBefore: [],
    timerDelays: [],
  };
  for (let round = 1; round <= options.neighbourRounds; round++) {
    const order = round % 2 === 1 ? ["alone", "among"] : ["among", "alone"];
    for (const kind of order) {
      const paced = kind === "alone" ? 0 : 199;
      const label = `alone-vs-199 round ${round} ${kind}`;
      await withHost({
        runtime,
        paced,
        rate: RATE,
        metrics: true,
        timeoutMs: options.timeoutMs,
        label,
      }, async (host) => {
        result.runtime = host.ready.runtime;
        if (paced > 0) {
          result.amongStartMs = host.ready.startMs;
          await sleep(options.settleMs);
          const before = await measureWindow(host, () => sleep(2000));
          result.pacedBefore.push(before.rate);
        }
        const runs = await unpacedRuns(host, options, label);
        const rates = runs.map((run) => run.recordsPerSec);
        (kind === "alone" ? result.alone : result.among).push(...rates);
        if (paced > 0) {
          result.pacedDuring.push(...runs.map((run) => run.pacedPerSec));
          result.timerDelays.push(...runs.map((run) => run.maxTimerDelayMs));
        }
      });
    }
  }
  return result;
}

type Variant = "on" | "off" | "aa1" | "aa2";
const VARIANTS: readonly Variant[] = ["on", "off", "aa1", "aa2"];

/** One round: by host, its median records/s and CPU µs per record. */
interface MetricsRound {
  figures: Record<Variant, number>;
  cpu: Record<Variant, number>;
}

interface MetricsResult {
  runtime: string;
  rounds: MetricsRound[];
}

/**
 * The unpaced connector in four fresh hosts at once (metrics on, off, and
 * an A/A pair of off), its runs interleaved: one run per host in turn, the
 * order reversed every other turn and every other round, so that a
 * machine busy with something else for a while weighs on every host.
 */
async function metricsCost(
  runtime: Runtime,
  options: Options,
): Promise<MetricsResult> {
  const result: MetricsResult = { runtime, rounds: [] };
  for (let round = 1; round <= options.rounds; round++) {
    const label = (v: Variant) =>
      `metrics-cost round ${round}/${options.rounds} ${v}`;
    const started = await Promise.allSettled(
      VARIANTS.map((variant) =>
        HostProcess.start({
          runtime,
          paced: 0,
          rate: RATE,
          metrics: variant === "on",
          timeoutMs: options.timeoutMs,
          label: label(variant),
        })
      ),
    );
    const hosts = {} as Record<Variant, HostProcess>;
    started.forEach((s, i) => {
      if (s.status === "fulfilled") hosts[VARIANTS[i]!] = s.value;
    });
    try {
      const failed = started.find((s) => s.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
      result.runtime = hosts.on.ready.runtime;
      const rates = { on: [], off: [], aa1: [], aa2: [] } as Record<
        Variant,
        number[]
      >;
      const cpu = { on: [], off: [], aa1: [], aa2: [] } as Record<
        Variant,
        number[]
      >;
      for (let turn = 0; turn <= options.runs; turn++) {
        const order = (round + turn) % 2 === 1
          ? VARIANTS
          : [...VARIANTS].reverse();
        for (const variant of order) {
          const run = await hosts[variant].run(options.records);
          const what = turn === 0 ? "warm-up" : `run ${turn}/${options.runs}`;
          log(
            `${label(variant)} ${what}: ${
              thousands(run.recordsPerSec)
            } records/s, ${
              (run.cpuMicros / run.records * 1000).toFixed(0)
            } ns CPU/record`,
          );
          if (turn === 0) continue;
          rates[variant].push(run.recordsPerSec);
          cpu[variant].push(run.cpuMicros / run.records);
        }
      }
      const figures = {} as Record<Variant, number>;
      const cpuFigures = {} as Record<Variant, number>;
      for (const variant of VARIANTS) {
        figures[variant] = median(rates[variant]);
        cpuFigures[variant] = median(cpu[variant]);
      }
      result.rounds.push({ figures, cpu: cpuFigures });
      log(
        `metrics-cost round ${round}: on/off ${
          (figures.on / figures.off).toFixed(3)
        }, A/A ${(figures.aa1 / figures.aa2).toFixed(3)}`,
      );
    } catch (error) {
      await Promise.all(Object.values(hosts).map((host) => host.kill()));
      throw error;
    }
    await Promise.all(Object.values(hosts).map((host) => host.close()));
  }
  return result;
}

/** Ratios by round, their median, and the A/A ones with the noise floor. */
function pairFigures(
  rounds: readonly Record<Variant, number>[],
): {
  pairs: number[];
  aa: number[];
  ratio: number;
  aaRatio: number;
  floor: number;
} {
  const pairs = rounds.map((r) => r.on / r.off);
  const aa = rounds.map((r) => r.aa1 / r.aa2);
  return {
    pairs,
    aa,
    ratio: median(pairs),
    aaRatio: median(aa),
    floor: median(aa.map((r) => Math.abs(r - 1))),
  };
}

/** The metrics-cost figures: throughput (the target) and CPU per record. */
function metricsFigures(result: MetricsResult) {
  const rate = pairFigures(result.rounds.map((r) => r.figures));
  const cpu = pairFigures(result.rounds.map((r) => r.cpu));
  const cost = 1 - rate.ratio;
  const allowed = Math.max(TARGET, rate.floor);
  return { rate, cpu, cost, allowed };
}

// ---------------------------------------------------------------------------
// metrics-cost-200 (only when asked for)

interface PacedMetricsResult {
  runtime: string;
  /** By round, each host's CPU µs per record written. */
  rounds: Record<Variant, number>[];
}

/**
 * The CPU a host with 200 paced connectors spends per record written,
 * metrics on against off, beside an A/A pair: four fresh hosts per round,
 * one after the other (they would share the cores otherwise), the order
 * reversed every other round.
 */
async function metricsCost200(
  runtime: Runtime,
  options: Options,
): Promise<PacedMetricsResult> {
  const result: PacedMetricsResult = { runtime, rounds: [] };
  for (let round = 1; round <= options.rounds; round++) {
    const order = round % 2 === 1 ? VARIANTS : [...VARIANTS].reverse();
    const figures = {} as Record<Variant, number>;
    for (const variant of order) {
      const label =
        `metrics-cost-200 round ${round}/${options.rounds} ${variant}`;
      await withHost({
        runtime,
        paced: 200,
        rate: RATE,
        metrics: variant === "on",
        timeoutMs: options.timeoutMs,
        label,
      }, async (host) => {
        result.runtime = host.ready.runtime;
        await sleep(options.settleMs);
        const w = await measureWindow(host, () => sleep(options.quietMs));
        figures[variant] = w.cpu * 1e6 / w.rate;
        log(
          `${label}: CPU ${percent(w.cpu, 0)} of a core, ${
            thousands(w.rate)
          } records/s, ${figures[variant].toFixed(1)} µs CPU/record`,
        );
      });
    }
    result.rounds.push(figures);
  }
  return result;
}

// ---------------------------------------------------------------------------
// Output

interface Report {
  runtime: Runtime;
  fleet?: FleetResult;
  neighbours?: NeighbourResult;
  metrics?: MetricsResult;
  metrics200?: PacedMetricsResult;
  failures: string[];
}

function header(options: Options): string[] {
  const runsNote = `1 warm-up run and ${options.runs} timed run(s) per host`;
  return [
    `# workload connectors-200: 200 connectors in one host, each generate (ratePerSecond ${RATE}) → set → file-sink into its own file, the host's file checkpoint store (commits every 1000 records or 5 s), a memory definition store, in-process runners, the API served by serveNode() with a bearer token; ${options.requests} requests per GET endpoint one after the other and ${options.requests} from ${WORKERS} loops at once, ${options.pairs} stop+start pairs of one connector one after the other and ${options.pairs} of ${WORKERS} connectors from ${WORKERS} loops, from this process over HTTP (fetch, keep-alive) while the connectors run; latency from fetch() to the body's last byte`,
    `# workload unpaced connector: generate ${
      thousands(options.records)
    } records (as fast as taken) → set → bench/count (counts per batch, stores nothing), the host's file checkpoint store; timed from its POST /connectors (start: true) to its last record counted; exactly ${
      thousands(options.records)
    } records checked on every run; ${runsNote}`,
    `# workload alone-vs-199: the unpaced connector alone in a host, and in a host where 199 connectors as in connectors-200 run (started, then ${
      options.settleMs / 1000
    } s to settle); ${options.neighbourRounds} round(s), the order reversed in the second; figure: the median of every timed run`,
    `# workload metrics-cost: ${options.rounds} rounds of 4 fresh hosts at once running the unpaced connector: metrics on, off (configRunner({ metrics: false })), and an A/A pair (off, off); one run per host in turn, the order on, off, A, A reversed every other turn and round; a host's figure is the median of its runs; on/off and A/A are ratios within a round, their medians over the rounds are reported; cost = 1 − median(on/off); noise floor = median over the rounds of |A/A − 1|; target: cost ≤ max(${
      percent(TARGET, 0)
    }, noise floor); CPU per record (the whole process, all threads) beside it`,
    ...(options.only.includes("metrics-cost-200")
      ? [
        `# workload metrics-cost-200: ${options.rounds} rounds of 4 fresh hosts, one after the other, each with 200 connectors as in connectors-200: metrics on, off, and an A/A pair (off, off), the order reversed every other round; each host's CPU time per record written over ${
          options.quietMs / 1000
        } s (after ${options.settleMs / 1000} s to settle)`,
      ]
      : []),
  ];
}

function latencyLine(l: Latencies): string {
  return `api ${l.endpoint} ${l.mode}: p50 ${
    percentile(l.ms, 50).toFixed(2)
  } ms, p99 ${percentile(l.ms, 99).toFixed(2)} ms (${l.ms.length} requests)`;
}

function printReport(
  reports: readonly Report[],
  options: Options,
  context: { machine: string; loadBefore: string; elapsedS: number },
): void {
  const out: string[] = [
    `# @ca/streams connector host benchmark (npm run bench:host${
      options.quick ? " -- --quick" : ""
    }): connectorHost() in a fresh process per host${
      options.quick
        ? "; QUICK: a smoke run, fewer rounds, runs and records"
        : ""
    }`,
    `# machine: ${context.machine}; load average before ${context.loadBefore}, after ${loadAverage()}; took ${
      context.elapsedS.toFixed(0)
    } s`,
    ...header(options),
  ];
  const met: string[] = [];
  const missed: string[] = [];
  const failed: string[] = [];
  for (const report of reports) {
    const name = report.fleet?.runtime ?? report.neighbours?.runtime ??
      report.metrics?.runtime ?? report.metrics200?.runtime ?? report.runtime;
    out.push(`# runtime: ${name}`);
    const { fleet, neighbours, metrics, metrics200 } = report;
    if (fleet) {
      out.push(
        `# connectors-200: all 200 running ${
          (fleet.startMs / 1000).toFixed(1)
        } s after host.start(); host process with no API calls (${
          (fleet.quiet.ms / 1000).toFixed(0)
        } s): CPU ${percent(fleet.quiet.cpu, 0)} of one core, RSS ${
          mb(fleet.quiet.rssBytes)
        }, ${thousands(fleet.quiet.rate)} records/s written together (paced: ${
          thousands(200 * RATE)
        })`,
        `# connectors-200: during the API calls (${
          (fleet.busy.ms / 1000).toFixed(0)
        } s): CPU ${percent(fleet.busy.cpu, 0)} of one core, RSS ${
          mb(fleet.busy.rssBytes)
        }, ${thousands(fleet.busy.rate)} records/s written together`,
      );
    }
    if (neighbours) {
      out.push(
        `# alone-vs-199: the host with 199 paced connectors had them all running ${
          (neighbours.amongStartMs / 1000).toFixed(1)
        } s after host.start(); runs alone: ${
          neighbours.alone.map(thousands).join(", ")
        }; among 199: ${neighbours.among.map(thousands).join(", ")} records/s`,
        `# alone-vs-199: the 199 paced connectors wrote ${
          neighbours.pacedBefore.map(thousands).join(", ")
        } records/s together before the runs (paced: ${
          thousands(199 * RATE)
        }), and ${
          neighbours.pacedDuring.map(thousands).join(", ")
        } records/s during them; a 10 ms timer fired at most ${
          neighbours.timerDelays.map((ms) => ms.toFixed(0)).join(", ")
        } ms late during them`,
      );
    }
    if (metrics) {
      out.push(
        `# metrics-cost by round (records/s on, off, A, A): ${
          metrics.rounds.map((r) =>
            [r.figures.on, r.figures.off, r.figures.aa1, r.figures.aa2]
              .map(thousands).join("/")
          ).join("; ")
        }`,
        `# metrics-cost by round (ns CPU per record on, off, A, A): ${
          metrics.rounds.map((r) =>
            [r.cpu.on, r.cpu.off, r.cpu.aa1, r.cpu.aa2]
              .map((us) => (us * 1000).toFixed(0)).join("/")
          ).join("; ")
        }`,
      );
    }
    if (metrics200) {
      out.push(
        `# metrics-cost-200 by round (µs CPU per record written on, off, A, A): ${
          metrics200.rounds.map((r) =>
            [r.on, r.off, r.aa1, r.aa2].map((us) => us.toFixed(1)).join("/")
          ).join("; ")
        }`,
      );
    }
    for (const failure of report.failures) {
      out.push(`# FAILED ${failure.replaceAll("\n", "\n#   ")}`);
    }
    if (fleet) { for (const l of fleet.latencies) out.push(latencyLine(l)); }
    if (neighbours) {
      const alone = median(neighbours.alone);
      const among = median(neighbours.among);
      out.push(`throughput alone: ${thousands(alone)} records/s`);
      out.push(
        `throughput among 199 running connectors: ${
          thousands(among)
        } records/s, ${(among / alone).toFixed(2)}x alone`,
      );
      out.push(
        `the 199 during the unpaced runs: ${
          thousands(median(neighbours.pacedDuring))
        } records/s together, ${
          (median(neighbours.pacedDuring) / median(neighbours.pacedBefore))
            .toFixed(2)
        }x their rate before`,
      );
    }
    if (metrics) {
      const f = metricsFigures(metrics);
      const rounds = (ratios: number[]) =>
        ratios.map((r) => r.toFixed(3)).join(" ");
      out.push(
        `metrics on/off throughput: ${f.rate.ratio.toFixed(3)}x, cost ${
          percent(f.cost)
        } (by round: ${rounds(f.rate.pairs)})`,
        `metrics A/A (off/off) throughput: ${
          f.rate.aaRatio.toFixed(3)
        }x, noise floor ${percent(f.rate.floor)} (by round: ${
          rounds(f.rate.aa)
        })`,
        `metrics on/off CPU per record: ${f.cpu.ratio.toFixed(3)}x (by round: ${
          rounds(f.cpu.pairs)
        }); A/A ${f.cpu.aaRatio.toFixed(3)}x, noise floor ${
          percent(f.cpu.floor)
        } (by round: ${rounds(f.cpu.aa)})`,
      );
      const label = `${
        reports.length > 1 ? `${report.runtime}: ` : ""
      }metrics cost ${percent(f.cost)} ≤ ${
        percent(f.allowed)
      } (3 % or the A/A noise floor ${
        percent(f.rate.floor)
      }, whichever is larger)`;
      (f.cost <= f.allowed ? met : missed).push(label);
    }
    if (metrics200) {
      const f = pairFigures(metrics200.rounds);
      out.push(
        `metrics on/off CPU per record with 200 paced connectors: ${
          f.ratio.toFixed(3)
        }x (by round: ${f.pairs.map((r) => r.toFixed(3)).join(" ")}); A/A ${
          f.aaRatio.toFixed(3)
        }x, noise floor ${percent(f.floor)} (by round: ${
          f.aa.map((r) => r.toFixed(3)).join(" ")
        })`,
      );
    }
    failed.push(...report.failures);
  }
  const targets = [
    ...met.map((t) => `${t}: met`),
    ...missed.map((t) => `${t}: not met`),
  ];
  out.push(
    `# targets: ${targets.length === 0 ? "none measured" : targets.join("; ")}${
      failed.length > 0 ? `; ${failed.length} workload(s) failed` : ""
    }`,
  );
  console.log(out.join("\n"));
}

async function main(): Promise<number> {
  const options = parseArgs(Deno.args);
  const context = {
    machine: await machineLine(),
    loadBefore: loadAverage(),
    elapsedS: 0,
  };
  const started = performance.now();
  const reports: Report[] = [];
  for (const runtime of options.runtimes) {
    const report: Report = { runtime, failures: [] };
    reports.push(report);
    const attempt = async (workload: Workload, fn: () => Promise<void>) => {
      if (!options.only.includes(workload)) return;
      const at = performance.now();
      log(`${workload} on ${runtime}`);
      try {
        await fn();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        report.failures.push(`${workload} (${runtime}): ${message}`);
        log(`${workload}: FAILED: ${message}`);
      }
      log(
        `${workload} on ${runtime}: ${
          ((performance.now() - at) / 1000).toFixed(0)
        } s`,
      );
    };
    await attempt("connectors-200", async () => {
      report.fleet = await connectors200(runtime, options);
    });
    await attempt("alone-vs-199", async () => {
      report.neighbours = await aloneVs199(runtime, options);
    });
    await attempt("metrics-cost", async () => {
      report.metrics = await metricsCost(runtime, options);
    });
    await attempt("metrics-cost-200", async () => {
      report.metrics200 = await metricsCost200(runtime, options);
    });
  }
  context.elapsedS = (performance.now() - started) / 1000;
  log(`total ${context.elapsedS.toFixed(0)} s`);
  printReport(reports, options, context);
  return reports.some((r) => r.failures.length > 0) ? 1 : 0;
}

await runBench(main, log);
