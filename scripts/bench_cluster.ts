/**
 * Cluster benchmark: `deno run -A scripts/bench_cluster.ts [--connectors N]
 * [--hosts N] [--kill N] [--engine postgres,nats] [--lease-ttl S]
 * [--rate R] [--window S] [--postgres URL]` (`npm run bench:cluster`).
 *
 * For each lease engine, `--hosts` (20) `ca serve` processes on Deno, in
 * cluster mode on this machine, share `--connectors` (1,000) light
 * connectors: each `generate` at `--rate` (1) record/s → `console-sink`
 * (the hosts' stdout goes to /dev/null), its runner in the host's process,
 * its checkpoints in the cluster's store. The engine is the run's own
 * server (scripts/bench_cluster/private_servers.ts): a PostgreSQL from
 * `initdb` (the machine's allows 100 connections; 20 hosts open up to
 * 120), or a `nats-server -js` with its monitoring port (the engines'
 * bucket and stream names are fixed). With `--engine postgres` the hosts
 * keep definitions, checkpoints and leases in one database of the run's
 * own (`--store` and `--cluster` the same URL); with `nats`, all in NATS.
 * `--postgres URL` uses an existing server instead (a database of the run
 * is created there and dropped).
 *
 * Measured, per engine:
 * 1. The baseline: one client of the engine's own lease code on an idle
 *    engine: `list("connector/")` over `--connectors` leases, and
 *    `renew()` of a host's batch (its share plus its membership), each in
 *    a loop, one call at a time.
 * 2. The hosts started and joined; `--window`/3 s with 0 connectors: the
 *    engine's operations per second, and every host's RSS.
 * 3. `--connectors` connectors created through the API (`POST
 *    /connectors`, one request in flight per host, round robin), then
 *    waited for until `GET /connectors` shows all running and `GET
 *    /cluster` counts per host differ by at most one.
 * 4. One lease time to settle, then a `--window` (30 s) window: lease
 *    operations per second at the engine (PostgreSQL: statements by kind
 *    and rows, from pg_stat_statements and pg_stat_user_tables; NATS:
 *    messages of `KV_ca_leases`, JetStream API requests, client messages),
 *    against what the renewal loop should make ((connectors + hosts) /
 *    (lease time / 4) leases renewed per second) and against the baseline
 *    (the headroom); the engine's CPU; every host's CPU and RSS; memory
 *    per connector = (RSS with the connectors − RSS with none) / connectors.
 * 5. `--kill` (5) hosts SIGKILLed at once: the time until the survivors'
 *    `GET /cluster` lists only them, until their leases cover every
 *    connector with counts per host differing by at most one, and until
 *    `GET /connectors` shows every connector running on a survivor, so
 *    balanced (a remote connector's state is what its host last wrote in
 *    its lease: up to one renewal late).
 *
 * Output: `#` header lines (machine, runtimes, workload), then a table per
 * engine, one figure per row with its unit; progress goes to stderr. A
 * setup failure (a server missing, a host that does not start) ends the
 * run with its message and exit 1; an engine whose cluster does not settle
 * is reported as FAILED with what was seen, and the exit code is 1.
 *
 * @module
 */

import { api, type Served, startServe } from "../tests/cli/_ca_serve.ts";
import {
  callApi,
  type ClusterView,
  countsPerHost,
  describeCounts,
  type Status,
} from "../tests/cluster_scenarios/_harness.ts";
import {
  BenchSetupError,
  list,
  loadAverage,
  machineLine,
  positiveInt,
  runBench,
  thousands,
} from "./_tools.ts";
import {
  type Baseline,
  baseline,
  connectPostgres,
  type Counters,
  type EngineProbe,
  natsProbe,
  postgresProbe,
} from "./bench_cluster/engine_probe.ts";
import {
  hostProcesses,
  type ProcessSample,
  processTree,
  sample,
} from "./bench_cluster/processes.ts";
import {
  type PrivateServer,
  startNats,
  startPostgres,
} from "./bench_cluster/private_servers.ts";

const ENGINES = ["postgres", "nats"] as const;
type Engine = typeof ENGINES[number];

interface Options {
  connectors: number;
  hosts: number;
  kill: number;
  engines: readonly Engine[];
  ttlS: number;
  rate: number;
  windowS: number;
  postgres: string | undefined;
}

const USAGE = "Usage: deno run -A scripts/bench_cluster.ts [--connectors N] " +
  "[--hosts N] [--kill N] [--engine postgres,nats] [--lease-ttl S] " +
  "[--rate R] [--window S] [--postgres URL]";

function parseArgs(args: readonly string[]): Options {
  const options: Options = {
    connectors: 1000,
    hosts: 20,
    kill: 5,
    engines: ENGINES,
    ttlS: 10,
    rate: 1,
    windowS: 30,
    postgres: undefined,
  };
  let killGiven = false;
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.split(/=(.*)/s, 2);
    const value = (): string | undefined => inline ?? args[++i];
    switch (flag) {
      case "--connectors":
        options.connectors = positiveInt("connectors", value());
        break;
      case "--hosts":
        options.hosts = positiveInt("hosts", value(), 2);
        break;
      case "--kill":
        options.kill = positiveInt("kill", value());
        killGiven = true;
        break;
      case "--engine":
        options.engines = list("engine", value(), ENGINES, true);
        break;
      case "--lease-ttl": {
        const text = value()?.replace(/s$/, "");
        options.ttlS = positiveInt("lease-ttl", text, 2);
        break;
      }
      case "--rate": {
        const text = value();
        const rate = Number(text);
        if (!(rate > 0 && rate <= 1000)) {
          throw new BenchSetupError(
            `Cannot run the benchmark: --rate needs a number above 0 and at most 1000, got ${text}`,
          );
        }
        options.rate = rate;
        break;
      }
      case "--window":
        options.windowS = positiveInt("window", value(), 3);
        break;
      case "--postgres": {
        const url = value();
        if (url === undefined || !/^postgres(ql)?:\/\//.test(url)) {
          throw new BenchSetupError(
            `Cannot run the benchmark: --postgres needs a postgres:// URL, got ${url}`,
          );
        }
        options.postgres = url;
        break;
      }
      default:
        throw new BenchSetupError(
          `Cannot run the benchmark: unknown argument ${args[i]}\n${USAGE}`,
        );
    }
  }
  if (!killGiven) {
    options.kill = Math.min(options.kill, Math.floor(options.hosts / 4));
  }
  if (options.kill < 1 || options.kill >= options.hosts) {
    throw new BenchSetupError(
      `Cannot run the benchmark: --kill needs at least 1 and fewer than --hosts (${options.hosts}), got ${options.kill}`,
    );
  }
  return options;
}

function log(message: string): void {
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(0);
}

/** A `ca serve` of the run. */
interface Host extends Served {
  id: string;
}

/** Polls `check` until it gives a value; fails after `deadlineMs`. */
async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  deadlineMs: number,
  seen: () => string,
  everyMs = 500,
): Promise<T> {
  const deadline = performance.now() + deadlineMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (performance.now() > deadline) {
      throw new Error(
        `${what}: not within ${
          (deadlineMs / 1000).toFixed(0)
        } s (last seen: ${seen()})`,
      );
    }
    await sleep(everyMs);
  }
}

function spread(counts: Iterable<number>): number {
  const values = [...counts];
  return values.length === 0 ? 0 : Math.max(...values) - Math.min(...values);
}

/** The connector config: light, and cheap to sink. */
function connectorConfig(rate: number): Record<string, unknown> {
  return {
    runners: { main: { runtime: "deno" } },
    processors: [
      {
        name: "numbers",
        use: "generate",
        args: { count: 1_000_000_000, ratePerSecond: rate },
      },
      { name: "out", use: "console-sink" },
    ],
  };
}

/** Per second, the difference of each counter between two readings. */
function rates(
  a: Counters,
  b: Counters,
  seconds: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(b)) {
    out[key] = ((b[key] ?? 0) - (a[key] ?? 0)) / seconds;
  }
  return out;
}

/** A window's measurements. */
interface Window {
  seconds: number;
  engine: Record<string, number>;
  /** The engine server's CPU, in cores. */
  engineCpu: number;
  /** The engine server's memory (PSS summed over its processes), in bytes. */
  engineRss: number;
  /** By host: CPU in cores, RSS at the end. */
  hosts: Map<string, { cpu: number; rssBytes: number }>;
}

/** One engine's run. */
interface EngineResult {
  engine: Engine;
  version: string;
  byKind: boolean;
  baseline?: Baseline;
  hostsStartS?: number;
  createS?: number;
  /** Creates answered 503 (the store timed out) and asked again. */
  createRetries?: number;
  allRunningS?: number;
  idle?: Window;
  loaded?: Window;
  rebalance?: {
    killed: string[];
    moved: number;
    hostsGoneS: number;
    heldS: number;
    runningS: number;
    counts: string;
  };
  failure?: string;
  notes: string[];
}

class Run {
  readonly options: Options;
  readonly engine: Engine;
  readonly runId = `${Date.now().toString(36)}${
    Math.random().toString(36).slice(2, 6)
  }`;
  readonly hosts: Host[] = [];
  server: PrivateServer | undefined;
  /** The URL the hosts get for --store and --cluster. */
  engineUrl = "";
  probe: EngineProbe | undefined;
  #adminUrl: string | undefined;
  #database = "";
  #pids = new Map<string, number[]>();

  constructor(options: Options, engine: Engine) {
    this.options = options;
    this.engine = engine;
  }

  get ttlMs(): number {
    return this.options.ttlS * 1000;
  }

  async open(): Promise<void> {
    if (this.engine === "postgres") {
      if (this.options.postgres === undefined) {
        this.server = await startPostgres();
        this.#adminUrl = this.server.url;
      } else {
        this.#adminUrl = this.options.postgres;
      }
      this.#database = `ca_bench_cluster_${this.runId}`;
      const admin = await connectPostgres(this.#adminUrl);
      try {
        await admin.unsafe(`CREATE DATABASE "${this.#database}"`);
      } finally {
        await admin.end({ timeout: 5 });
      }
      const url = new URL(this.#adminUrl);
      url.pathname = `/${this.#database}`;
      this.engineUrl = url.href;
      this.probe = await postgresProbe(this.engineUrl);
    } else {
      this.server = await startNats();
      this.engineUrl = this.server.url;
      this.probe = await natsProbe(this.server.monitor!);
    }
  }

  hostId(n: number): string {
    return `h${String(n).padStart(2, "0")}-${this.runId}`;
  }

  /** Starts the hosts, a few at a time (each waits until it is ready). */
  async startHosts(): Promise<void> {
    const ids = Array.from(
      { length: this.options.hosts },
      (_, i) => this.hostId(i + 1),
    );
    const AT_ONCE = 5;
    for (let i = 0; i < ids.length; i += AT_ONCE) {
      const started = await Promise.allSettled(
        ids.slice(i, i + AT_ONCE).map(async (id) => {
          const served = await startServe("deno", [
            "--store",
            this.engineUrl,
            "--cluster",
            this.engineUrl,
            "--host-id",
            id,
            "--lease-ttl",
            `${this.options.ttlS}s`,
          ], { PGAPPNAME: id });
          const host: Host = { ...served, id };
          this.hosts.push(host);
        }),
      );
      const failed = started.find((s) => s.status === "rejected");
      if (failed !== undefined) {
        throw new BenchSetupError(
          `Cannot start the hosts of the ${this.engine} cluster: ${
            (failed as PromiseRejectedResult).reason?.message ??
              (failed as PromiseRejectedResult).reason
          }`,
        );
      }
      log(`${this.engine}: ${this.hosts.length}/${ids.length} hosts ready`);
    }
    this.hosts.sort((a, b) => a.id < b.id ? -1 : 1);
    this.#pids = await hostProcesses(ids);
    const missing = ids.filter((id) => this.#pids.get(id)!.length === 0);
    if (missing.length > 0) {
      throw new BenchSetupError(
        `Cannot find the processes of hosts ${missing.join(", ")} in /proc`,
      );
    }
  }

  live(): Host[] {
    return this.hosts.filter((host) => !host.ended());
  }

  /** Host CPU, RSS and the engine's, over `seconds`. */
  async window(seconds: number): Promise<Window> {
    const hosts = this.live();
    const before = new Map<string, ProcessSample>();
    for (const host of hosts) {
      before.set(host.id, await sample(this.#pids.get(host.id)!));
    }
    // The server's processes now (PostgreSQL: a backend per connection).
    const serverPids = this.server === undefined
      ? []
      : await processTree(this.server.pid);
    const serverBefore = await sample(serverPids);
    const c0 = await this.probe!.counters();
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const c1 = await this.probe!.counters();
    const t1 = performance.now();
    const serverAfter = await sample(serverPids);
    const elapsed = (t1 - t0) / 1000;
    const out: Window = {
      seconds: elapsed,
      engine: rates(c0, c1, elapsed),
      engineCpu: (serverAfter.cpuMicros - serverBefore.cpuMicros) / 1e6 /
        elapsed,
      engineRss: serverAfter.pssBytes,
      hosts: new Map(),
    };
    for (const host of hosts) {
      const after = await sample(this.#pids.get(host.id)!);
      out.hosts.set(host.id, {
        cpu: (after.cpuMicros - before.get(host.id)!.cpuMicros) / 1e6 /
          elapsed,
        rssBytes: after.rssBytes,
      });
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.hosts.map(async (host) => {
      if (!host.ended()) await host.stop("SIGKILL").catch(() => {});
    }));
    await this.probe?.close().catch(() => {});
    if (this.#adminUrl !== undefined && this.server === undefined) {
      const admin = await connectPostgres(this.#adminUrl);
      await admin.unsafe(
        `DROP DATABASE IF EXISTS "${this.#database}" WITH (FORCE)`,
      ).catch((error) => log(`cannot drop ${this.#database}: ${error}`));
      await admin.end({ timeout: 5 });
    }
    await this.server?.stop();
  }
}

/** The spare engine's capacity, then the cluster. */
async function benchEngine(
  options: Options,
  engine: Engine,
): Promise<EngineResult> {
  const run = new Run(options, engine);
  const result: EngineResult = {
    engine,
    version: "",
    byKind: false,
    notes: [],
  };
  const N = options.connectors;
  const H = options.hosts;
  try {
    log(`${engine}: starting its server`);
    await run.open();
    result.version = run.probe!.version;
    result.byKind = run.probe!.byKind;
    const batch = Math.ceil(N / H) + 1;
    log(
      `${engine}: baseline: list() over ${N} leases, renew() of ${batch}, one client`,
    );
    result.baseline = await baseline(engine, run.engineUrl, {
      ttlMs: run.ttlMs,
      batch,
      listed: N,
      seconds: 5,
    });
    log(
      `${engine}: baseline: ${
        result.baseline.listCallsPerSec.toFixed(1)
      } list/s, ${result.baseline.renewCallsPerSec.toFixed(0)} renew/s (${
        thousands(result.baseline.leasesPerSec)
      } leases/s)`,
    );

    const hostsStart = performance.now();
    await run.startHosts();
    const first = run.hosts[0]!;
    let view: ClusterView | undefined;
    await waitFor(
      `${engine}: every host joins`,
      async () => {
        view = await callApi<ClusterView>(first, "GET", "/cluster");
        return view.joined && view.hosts.length === H ? view : undefined;
      },
      60_000,
      () => JSON.stringify(view?.hosts.map((h) => h.id)),
    );
    result.hostsStartS = (performance.now() - hostsStart) / 1000;
    log(
      `${engine}: ${H} hosts joined after ${result.hostsStartS.toFixed(1)} s`,
    );
    await sleep(run.ttlMs);
    const idleS = Math.max(5, Math.round(options.windowS / 3));
    log(`${engine}: ${idleS} s with 0 connectors`);
    result.idle = await run.window(idleS);

    // Create the connectors: one request in flight per host, round robin.
    const ids = Array.from(
      { length: N },
      (_, i) => `c${String(i + 1).padStart(5, "0")}`,
    );
    const config = connectorConfig(options.rate);
    const createStart = performance.now();
    let next = 0;
    let retries = 0;
    await Promise.all(run.hosts.map(async (host) => {
      while (next < ids.length) {
        const id = ids[next++]!;
        // A store that times out (503) is asked again, as a client would;
        // a 409 then means the first attempt was stored after all.
        for (let attempt = 1;; attempt++) {
          const answer = await api(host, "POST", "/connectors", {
            json: { id, config, start: true },
          });
          if (answer.status === 201 || (attempt > 1 && answer.status === 409)) {
            break;
          }
          if (answer.status !== 503 || attempt === 5) {
            throw new Error(
              `POST /connectors (${id}, attempt ${attempt}) on ${host.id} answered ${answer.status}: ${
                answer.text.slice(0, 300)
              }`,
            );
          }
          retries++;
          await sleep(1000);
        }
      }
    }));
    result.createRetries = retries;
    result.createS = (performance.now() - createStart) / 1000;
    log(
      `${engine}: ${N} connectors created in ${result.createS.toFixed(1)} s`,
    );
    let statuses: Status[] = [];
    let clusterView: ClusterView | undefined;
    const settled = async (hosts: Host[]): Promise<true | undefined> => {
      const names = new Set(hosts.map((host) => host.id));
      const at = hosts[0]!;
      clusterView = await callApi<ClusterView>(at, "GET", "/cluster");
      if (
        clusterView.hosts.length !== hosts.length ||
        clusterView.hosts.some((h) => !names.has(h.id)) ||
        clusterView.hosts.reduce((sum, h) => sum + h.connectors, 0) !== N ||
        spread(clusterView.hosts.map((h) => h.connectors)) > 1
      ) {
        return undefined;
      }
      statuses = (await callApi<{ connectors: Status[] }>(
        at,
        "GET",
        "/connectors",
      )).connectors;
      const counts = countsPerHost(statuses);
      const ok = statuses.length === N &&
        statuses.every((s) => s.state === "running" && names.has(s.host!)) &&
        counts.size === hosts.length && spread(counts.values()) <= 1;
      return ok ? true : undefined;
    };
    const seen = () => {
      const states = new Map<string, number>();
      for (const s of statuses) {
        states.set(s.state, (states.get(s.state) ?? 0) + 1);
      }
      return `GET /cluster: ${
        clusterView?.hosts.map((h) => h.connectors).join("/")
      }; GET /connectors: ${statuses.length} connectors, states ${
        JSON.stringify(Object.fromEntries(states))
      }, per host ${describeCounts(countsPerHost(statuses))}`;
    };
    await waitFor(
      `${engine}: all ${N} connectors run, balanced over ${H} hosts`,
      () => settled(run.live()),
      Math.max(180_000, N * 200),
      seen,
      1000,
    );
    result.allRunningS = (performance.now() - createStart) / 1000;
    log(
      `${engine}: all ${N} running, balanced, ${
        result.allRunningS.toFixed(1)
      } s after the first POST`,
    );
    await sleep(run.ttlMs);
    log(`${engine}: ${options.windowS} s window with ${N} connectors`);
    result.loaded = await run.window(options.windowS);
    // Still every connector running, still balanced.
    if ((await settled(run.live())) === undefined) {
      result.notes.push(
        `after the window the cluster was no longer settled: ${seen()}`,
      );
    }

    // Kill the last `kill` hosts at once.
    const victims = run.hosts.slice(H - options.kill);
    const killed = new Set(victims.map((host) => host.id));
    const moved = statuses.filter((s) => killed.has(s.host!)).length;
    log(
      `${engine}: SIGKILL ${victims.length} hosts holding ${moved} connectors`,
    );
    const killAt = performance.now();
    for (const host of victims) host.signal("SIGKILL");
    const survivors = run.hosts.filter((host) => !killed.has(host.id));
    let hostsGoneS: number | undefined;
    let heldS: number | undefined;
    await waitFor(
      `${engine}: after the kill, all ${N} connectors run, balanced over ${survivors.length} hosts`,
      async () => {
        const v = await callApi<ClusterView>(survivors[0]!, "GET", "/cluster");
        clusterView = v;
        const now = (performance.now() - killAt) / 1000;
        if (hostsGoneS === undefined && v.hosts.length === survivors.length) {
          hostsGoneS = now;
        }
        if (
          heldS === undefined && hostsGoneS !== undefined &&
          v.hosts.reduce((sum, h) => sum + h.connectors, 0) === N &&
          spread(v.hosts.map((h) => h.connectors)) <= 1
        ) {
          heldS = now;
        }
        return heldS !== undefined && (await settled(survivors))
          ? true
          : undefined;
      },
      Math.max(120_000, run.ttlMs * 6),
      seen,
      250,
    );
    const runningS = (performance.now() - killAt) / 1000;
    result.rebalance = {
      killed: victims.map((host) => host.id),
      moved,
      hostsGoneS: hostsGoneS!,
      heldS: heldS!,
      runningS,
      counts: [...countsPerHost(statuses).values()].sort((a, b) => b - a)
        .join("/"),
    };
    log(
      `${engine}: rebalanced ${
        runningS.toFixed(1)
      } s after the kill (${result.rebalance.counts})`,
    );
  } catch (error) {
    if (error instanceof BenchSetupError) {
      await run.close().catch(() => {});
      throw error;
    }
    result.failure = (error as Error)?.message ?? String(error);
    log(`${engine}: FAILED: ${result.failure}`);
    const lost = run.hosts.filter((host) =>
      host.stderr().includes("the membership lease expired")
    );
    const lostLines = sum(
      run.hosts.map((host) =>
        host.stderr().split("\n").filter((line) =>
          line.includes("lost its lease")
        ).length
      ),
    );
    result.notes.push(
      `${lost.length} of ${run.hosts.length} hosts logged "the membership lease expired"; ${lostLines} "lost its lease" lines in all`,
    );
    for (const host of run.hosts.slice(0, 3)) {
      const tail = host.stderr().trim().split("\n").slice(-8).join("\n    ");
      result.notes.push(`${host.id} stderr (last lines):\n    ${tail}`);
    }
  }
  await run.close();
  return result;
}

// ---------------------------------------------------------------------------
// Output

async function packageVersion(name: string): Promise<string> {
  try {
    const text = await Deno.readTextFile(
      new URL(`../node_modules/${name}/package.json`, import.meta.url),
    );
    return `${name} ${JSON.parse(text).version}`;
  } catch {
    return `${name} (not installed)`;
  }
}

type Row = [figure: string, value: string, unit: string, note?: string];

function table(rows: Row[]): string[] {
  const widths = [0, 1, 2].map((i) =>
    Math.max(...rows.map((row) => row[i]!.length))
  );
  return rows.map(([figure, value, unit, note]) =>
    `${figure.padEnd(widths[0]!)}  ${value.padStart(widths[1]!)} ${
      unit.padEnd(widths[2]!)
    }${note ? `  ${note}` : ""}`.trimEnd()
  );
}

const f1 = (n: number) => n.toFixed(1);
const f0 = (n: number) => thousands(n);
const pct = (cores: number) => `${(cores * 100).toFixed(0)}`;

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function engineRows(r: EngineResult, options: Options): Row[] {
  const rows: Row[] = [];
  const N = options.connectors;
  const H = options.hosts;
  const renewS = options.ttlS / 4;
  const b = r.baseline;
  if (b) {
    rows.push(
      [
        "baseline: renew() of a host's batch, 1 client",
        f0(b.renewCallsPerSec),
        "calls/s",
        `${b.batch} leases each: ${f0(b.leasesPerSec)} leases renewed/s`,
      ],
      [
        "baseline: list('connector/'), 1 client",
        f1(b.listCallsPerSec),
        "calls/s",
        `over ${f0(b.listed)} live leases`,
      ],
      [
        "baseline: acquire(), 1 client, 32 in flight",
        f0(b.acquiresPerSec),
        "calls/s",
      ],
    );
  }
  if (r.hostsStartS !== undefined) {
    rows.push([
      `${H} hosts started and joined`,
      f1(r.hostsStartS),
      "s",
      "5 started at a time",
    ]);
  }
  const leaseRows = (w: Window, label: string, connectors: number) => {
    const e = w.engine;
    const expected = (connectors + H) / renewS;
    if (r.engine === "postgres") {
      const leasesRenewed = e["table.ca_leases.upd"] ?? 0;
      if (r.byKind) {
        rows.push(
          [
            `${label}: renew statements (UPDATE, batched)`,
            f1(e["lease.renew.calls"]!),
            "calls/s",
            `expected ${f1(H / renewS)} (${H} hosts / ${renewS} s)`,
          ],
          [
            `${label}: leases renewed (UPDATE rows)`,
            f0(e["lease.renew.rows"]!),
            "leases/s",
            `expected ${f0(expected)} ((${connectors} + ${H}) / ${renewS} s)${
              b
                ? `; baseline ${f0(b.leasesPerSec)}: ${
                  f1(b.leasesPerSec / Math.max(e["lease.renew.rows"]!, 1e-9))
                }x headroom`
                : ""
            }`,
          ],
          [
            `${label}: list statements (SELECT)`,
            f1(e["lease.list.calls"]!),
            "calls/s",
            `expected ${f1(2 * H / renewS)} (2 per renewal)${
              b
                ? `; baseline ${f1(b.listCallsPerSec)} over ${
                  f0(b.listed)
                } leases: ${
                  f1(
                    b.listCallsPerSec / Math.max(e["lease.list.calls"]!, 1e-9) *
                      (connectors === 0 ? 1 : 1),
                  )
                }x headroom`
                : ""
            }`,
          ],
          [
            `${label}: lease rows read by list`,
            f0(e["lease.list.rows"]!),
            "rows/s",
          ],
          [
            `${label}: acquire / release statements`,
            `${f1(e["lease.acquire.calls"]!)} / ${
              f1(e["lease.release.calls"]!)
            }`,
            "calls/s",
          ],
          [
            `${label}: all statements on the run's database`,
            f0(e["db.statements"]!),
            "stmts/s",
            `${f0(e["db.commits"]!)} commits/s`,
          ],
        );
      } else {
        rows.push([
          `${label}: leases renewed (ca_leases tuples updated)`,
          f0(leasesRenewed),
          "leases/s",
          `expected ${f0(expected)}`,
        ]);
      }
      rows.push([
        `${label}: ca_leases tuples updated (pg_stat_user_tables)`,
        f0(leasesRenewed),
        "tuples/s",
      ]);
      const others = Object.keys(e)
        .filter((k) =>
          /^table\.(.*)\.(ins|upd)$/.test(k) && !k.includes("ca_leases") &&
          !k.includes("bench_baseline")
        )
        .map((k) => k.split(".")[1]!);
      for (const t of [...new Set(others)]) {
        const writes = (e[`table.${t}.ins`] ?? 0) + (e[`table.${t}.upd`] ?? 0);
        if (writes > 0) {
          rows.push([
            `${label}: ${t} tuples written (ins + upd)`,
            f1(writes),
            "tuples/s",
          ]);
        }
      }
    } else {
      const leaseWrites = e["stream.KV_ca_leases.seq"] ?? 0;
      rows.push(
        [
          `${label}: lease writes (KV_ca_leases messages)`,
          f0(leaseWrites),
          "writes/s",
          `expected ${
            f0(expected)
          } renewals ((${connectors} + ${H}) / ${renewS} s), one KV update each${
            b
              ? `; baseline ${f0(b.leasesPerSec)}: ${
                f1(b.leasesPerSec / Math.max(leaseWrites, 1e-9))
              }x headroom`
              : ""
          }`,
        ],
        [
          `${label}: JetStream API requests`,
          f0(e["js.api"] ?? 0),
          "req/s",
          `list() asks for the stream's subjects once per call: expected ${
            f1(2 * H / renewS)
          } lists/s${
            b
              ? `; baseline ${f1(b.listCallsPerSec)} lists/s over ${
                f0(b.listed)
              } leases`
              : ""
          }`,
        ],
        [
          `${label}: client messages into nats-server`,
          f0(e["msgs.in"] ?? 0),
          "msgs/s",
          "every KV get, update, definition read",
        ],
        [
          `${label}: KV_ca_checkpoints / CA_DEFINITIONS writes`,
          `${f1(e["stream.KV_ca_checkpoints.seq"] ?? 0)} / ${
            f1(e["stream.CA_DEFINITIONS.seq"] ?? 0)
          }`,
          "msgs/s",
        ],
      );
    }
    rows.push([
      `${label}: engine server CPU`,
      pct(w.engineCpu),
      "% of a core",
      `PSS ${mib(w.engineRss)} MiB (its processes, shared pages divided)`,
    ]);
    const cpus = [...w.hosts.values()].map((h) => h.cpu);
    const rss = [...w.hosts.values()].map((h) => h.rssBytes);
    rows.push(
      [
        `${label}: hosts' CPU, all ${w.hosts.size}`,
        pct(sum(cpus)),
        "% of a core",
        `per host mean ${pct(sum(cpus) / cpus.length)} %, max ${
          pct(Math.max(...cpus))
        } %`,
      ],
      [
        `${label}: hosts' RSS, all ${w.hosts.size}`,
        mib(sum(rss)),
        "MiB",
        `per host mean ${mib(sum(rss) / rss.length)}, min ${
          mib(Math.min(...rss))
        }, max ${mib(Math.max(...rss))} MiB`,
      ],
    );
  };
  if (r.idle) leaseRows(r.idle, `0 connectors (${f0(r.idle.seconds)} s)`, 0);
  if (r.createS !== undefined) {
    rows.push([
      `create ${f0(N)} connectors (POST /connectors)`,
      f1(r.createS),
      "s",
      `${f0(N / r.createS)} creates/s, one in flight per host; ${
        r.createRetries ?? 0
      } answered 503 (store timeout) and were retried`,
    ]);
  }
  if (r.allRunningS !== undefined) {
    rows.push([
      `all ${f0(N)} running and balanced`,
      f1(r.allRunningS),
      "s",
      "from the first POST",
    ]);
  }
  if (r.loaded) {
    leaseRows(r.loaded, `${f0(N)} connectors (${f0(r.loaded.seconds)} s)`, N);
    if (r.idle) {
      const idleRss = sum([...r.idle.hosts.values()].map((h) => h.rssBytes));
      const loadedRss = sum(
        [...r.loaded.hosts.values()].map((h) => h.rssBytes),
      );
      const cpuIdle = sum([...r.idle.hosts.values()].map((h) => h.cpu));
      const cpuLoaded = sum([...r.loaded.hosts.values()].map((h) => h.cpu));
      rows.push(
        [
          "memory per connector",
          f0((loadedRss - idleRss) / N / 1024),
          "KiB",
          `(${mib(loadedRss)} − ${mib(idleRss)} MiB) / ${f0(N)}`,
        ],
        [
          "host CPU per connector",
          ((cpuLoaded - cpuIdle) / N * 1000).toFixed(2),
          "ms/s",
          `(${pct(cpuLoaded)} % − ${pct(cpuIdle)} % of a core) / ${f0(N)}`,
        ],
      );
    }
  }
  if (r.rebalance) {
    const rb = r.rebalance;
    rows.push(
      [
        `SIGKILL ${rb.killed.length} hosts: their connectors`,
        f0(rb.moved),
        "connectors",
        `lease time ${options.ttlS} s, renewal every ${renewS} s`,
      ],
      [
        "  until GET /cluster lists only the survivors",
        f1(rb.hostsGoneS),
        "s",
        "membership leases expired",
      ],
      [
        "  until their leases cover all, balanced",
        f1(rb.heldS),
        "s",
        "GET /cluster counts differ by ≤ 1",
      ],
      [
        "  until all run again, balanced",
        f1(rb.runningS),
        "s",
        `GET /connectors: every one running on a survivor, ${rb.counts}`,
      ],
    );
  }
  return rows;
}

async function main(): Promise<number> {
  const options = parseArgs(Deno.args);
  const context = { machine: await machineLine(), loadBefore: loadAverage() };
  const started = performance.now();
  const versions = [
    `deno ${Deno.version.deno} (V8 ${Deno.version.v8}, TypeScript ${Deno.version.typescript})`,
    await packageVersion("postgres"),
    await packageVersion("@nats-io/kv"),
    await packageVersion("@nats-io/transport-node"),
  ];
  const results: EngineResult[] = [];
  for (const engine of options.engines) {
    results.push(await benchEngine(options, engine));
  }
  const elapsedS = (performance.now() - started) / 1000;
  const out: string[] = [
    `# @ca/streams cluster benchmark (npm run bench:cluster): ${
      thousands(options.connectors)
    } connectors on ${options.hosts} \`ca serve\` hosts (Deno, one process each), lease time ${options.ttlS} s (renewed every ${
      options.ttlS / 4
    } s), ${new Date().toISOString().slice(0, 10)}`,
    `# machine: ${context.machine}; load average before ${context.loadBefore}, after ${loadAverage()}; took ${
      elapsedS.toFixed(0)
    } s`,
    `# runtimes: ${versions.join(", ")}; engines: ${
      results.map((r) => `${r.engine}: ${r.version || "?"}`).join(", ")
    }`,
    `# workload: each connector generate (ratePerSecond ${options.rate}) → console-sink (the hosts' stdout is /dev/null), its runner in the host process, checkpoints in the cluster's store; postgres: definitions, checkpoints and leases in one database of a private PostgreSQL (fsync on, max_connections 400, pg_stat_statements)${
      options.postgres ? ` (here: ${options.postgres})` : ""
    }; nats: definitions in JetStream, checkpoints and leases in KV of a private nats-server -js`,
    `# measured at the engine over the window (pg_stat_statements, pg_stat_user_tables; nats-server /jsz and /varz); CPU and RSS from /proc of each host process and the engine server's process tree; baseline: one client of the engine's own lease code on the idle engine, one call at a time`,
  ];
  let failed = 0;
  for (const r of results) {
    out.push("", `## ${r.engine} (${r.version || "not started"})`);
    out.push(...table(engineRows(r, options)));
    for (const note of r.notes) out.push(`# note: ${note}`);
    if (r.failure !== undefined) {
      failed++;
      out.push(`# FAILED ${r.failure.replaceAll("\n", "\n#   ")}`);
    }
  }
  console.log(out.join("\n"));
  return failed > 0 ? 1 : 0;
}

await runBench(main, log);
