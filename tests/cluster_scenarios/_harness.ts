// Copyright 2026 the @ca/streams authors. MIT license.
// The shared harness of the cluster scenarios (`npm run test:cluster`,
// scripts/test_cluster.ts): a run's own PostgreSQL database (and, for the
// NATS engine, its own bucket and stream names), `ca serve` hosts on Deno
// started in cluster mode, the API called with the test's tokens, waits
// with generous deadlines, the audit tables the test keeps in the
// database, and a cleanup that kills every child, even on failure.
//
// The audit (in the run's database, made before any host starts):
// - `audit_rows`: one row per INSERT, UPDATE or DELETE of every table a host
//   creates (the lease table, the checkpoint table, the definition table),
//   written by a deferred trigger, so `at` is the moment just before the
//   writing transaction commits (`clock_timestamp()` of the database), with
//   `app` (the session's application_name: the host id, as `ca serve` is
//   started with PGAPPNAME set to it), `txid`, and the row before and after
//   as JSON. An event trigger attaches it to each table as it is created.
// - `audit_sink`: one row per sink statement and connector (a statement
//   trigger over the inserted rows): `at`, `app`, `txid`, `rows`, and the
//   ids written.

import { api, type Served, startServe } from "../cli/_ca_serve.ts";

export { api, type Served };

/** The lease time of every scenario's cluster, in ms, and as the flag says it. */
export const TTL_MS = 3_000;
export const TTL_FLAG = "3s";
/** How often hosts renew (the host's default: a third of the lease time). */
export const RENEW_MS = TTL_MS / 3;

/** The machine's servers (the tests' variables override them). */
export const PG_URL = Deno.env.get("CA_TEST_POSTGRES_URL") ??
  "postgres://postgres@127.0.0.1:5432/test";

/** What the driver gives a scenario. */
export interface ScenarioContext {
  /** The scenario's name (its file name). */
  name: string;
  /** Unique to this run: in database, bucket and stream names. */
  runId: string;
  /** A folder of the run, for the hosts' logs. */
  dir: string;
  /** Prints a progress line under the scenario. */
  log(line: string): void;
}

/** What a scenario measured and found wrong. */
export interface Outcome {
  /** Measured numbers, printed one per line: label, value. */
  numbers: [string, string | number][];
  /** Notes printed under the numbers (what the run used, what it saw). */
  notes: string[];
  /** Each failed assertion, one line; none: the scenario passed. */
  problems: string[];
}

/** A scenario module's default export. */
export interface ClusterScenario {
  description: string;
  run(context: ScenarioContext): Promise<Outcome>;
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` every `everyMs` until it gives a value other than
 * undefined or false; fails after `deadlineMs` with what `seen` says.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: {
    deadlineMs?: number;
    everyMs?: number;
    seen?: () => string | Promise<string>;
  } = {},
): Promise<T> {
  const { deadlineMs = 60_000, everyMs = 100, seen } = options;
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not within ${deadlineMs / 1000} s${
          seen ? ` (last seen: ${await seen()})` : ""
        }`,
      );
    }
    await sleep(everyMs);
  }
}

/** A connector as `GET /connectors` lists it. */
export interface Status {
  id: string;
  host: string | null;
  state: string;
  enabled: boolean;
  recordsRead: number;
  recordsWritten: number;
  error: { code: string; message: string } | null;
}

/** `GET /cluster`. */
export interface ClusterView {
  host: string;
  joined: boolean;
  error: string | null;
  hosts: {
    id: string;
    labels: string[];
    url: string | null;
    startedAt: string | null;
    connectors: number;
  }[];
}

/** A `ca serve` of the run. */
export interface Host extends Served {
  id: string;
  /** Its lines on stderr so far. */
  lines(): string[];
}

type Row = Record<string, unknown>;
type Sql = {
  unsafe(text: string, parameters?: unknown[]): Promise<Row[]>;
  end(options?: { timeout?: number }): Promise<void>;
};

async function connect(url: string, appName: string): Promise<Sql> {
  const { default: postgres } = await import("postgres");
  return postgres(url, {
    max: 2,
    onnotice: () => {},
    connection: { application_name: appName },
  }) as unknown as Sql;
}

/** The sink table's columns; `connector` comes from generate's template. */
const SINK_COLUMNS =
  "connector text NOT NULL, id bigint NOT NULL, value bigint";

const AUDIT_SQL = `
CREATE TABLE audit_rows (
  seq bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  app text NOT NULL DEFAULT current_setting('application_name'),
  txid bigint NOT NULL DEFAULT txid_current(),
  tbl text NOT NULL,
  op text NOT NULL,
  old jsonb,
  new jsonb
);
CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit_rows (tbl, op, old, new) VALUES (
    TG_TABLE_NAME, TG_OP,
    CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
    CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
  RETURN NULL;
END $$;
CREATE FUNCTION audit_attach() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE created record;
BEGIN
  FOR created IN SELECT * FROM pg_event_trigger_ddl_commands()
    WHERE object_type = 'table' AND command_tag = 'CREATE TABLE'
  LOOP
    IF created.object_identity !~ '(^|\\.)(audit_|sink)' THEN
      EXECUTE format(
        'CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON %s
           DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_row()',
        created.object_identity);
    END IF;
  END LOOP;
END $$;
CREATE EVENT TRIGGER audit_attach ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
  EXECUTE FUNCTION audit_attach();
CREATE TABLE audit_sink (
  seq bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  app text NOT NULL DEFAULT current_setting('application_name'),
  txid bigint NOT NULL DEFAULT txid_current(),
  connector text NOT NULL,
  rows integer NOT NULL,
  min_id bigint NOT NULL,
  max_id bigint NOT NULL
);
CREATE FUNCTION audit_sink() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit_sink (connector, rows, min_id, max_id)
    SELECT connector, count(*), min(id), max(id) FROM written GROUP BY connector;
  RETURN NULL;
END $$;
CREATE TABLE sink (${SINK_COLUMNS});
CREATE TRIGGER audit_sink AFTER INSERT ON sink REFERENCING NEW TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION audit_sink();
`;

/** The engine of the run's leases, and where definitions and checkpoints go. */
export interface RunOptions {
  engine: "postgres" | "nats";
  store: "postgres" | "nats";
}

/**
 * One scenario's cluster: its database, its NATS names, its hosts. `open()`
 * makes the database and the audit; `close()` kills every host still
 * there (SIGCONT first: a stopped one too), drops the database, and keeps
 * the hosts' logs in the run's folder.
 */
export class ClusterRun {
  readonly options: RunOptions;
  readonly context: ScenarioContext;
  readonly database: string;
  /** The run's database, as hosts and sinks reach it. */
  readonly pgUrl: string;
  readonly hosts = new Map<string, Host>();
  #all: Host[] = [];
  #sql: Sql | undefined;
  #admin: Sql | undefined;
  #nats: PrivateNats | undefined;

  constructor(context: ScenarioContext, options: RunOptions) {
    this.context = context;
    this.options = options;
    this.database = `ca_cluster_${
      context.name.replace(/\W/g, "_")
    }_${context.runId}`.toLowerCase();
    const url = new URL(PG_URL);
    url.pathname = `/${this.database}`;
    this.pgUrl = url.href;
  }

  /** The `--store` argument of every host. */
  get storeArg(): string {
    return this.options.store === "postgres" ? this.pgUrl : this.natsUrl;
  }

  /** The `--cluster` argument of every host. */
  get clusterArg(): string {
    return this.options.engine === "postgres" ? this.pgUrl : this.natsUrl;
  }

  /** The run's own `nats-server` (see `open()`). */
  get natsUrl(): string {
    if (this.#nats === undefined) throw new Error("the run has no NATS server");
    return this.#nats.url;
  }

  /** The test's own session on the run's database. */
  get sql(): Sql {
    if (this.#sql === undefined) throw new Error("the run is not open");
    return this.#sql;
  }

  async open(): Promise<void> {
    this.#admin = await connect(PG_URL, "ca-cluster-test");
    await this.#admin.unsafe(`CREATE DATABASE "${this.database}"`);
    this.#sql = await connect(this.pgUrl, "ca-cluster-test");
    await this.#sql.unsafe(AUDIT_SQL);
    if (this.options.engine === "nats" || this.options.store === "nats") {
      this.#nats = await startNats(
        `${this.context.dir}/nats-${this.context.name}`,
      );
    }
  }

  /** Starts host `id` (`ca serve` on Deno, from source) and waits until it is ready. */
  async startHost(id: string, labels: string[] = []): Promise<Host> {
    const args = [
      "--store",
      this.storeArg,
      "--cluster",
      this.clusterArg,
      "--host-id",
      id,
      "--lease-ttl",
      TTL_FLAG,
    ];
    if (labels.length > 0) args.push("--labels", labels.join(","));
    const served = await startServe("deno", args, { PGAPPNAME: id });
    const host: Host = {
      ...served,
      id,
      lines: () => served.stderr().split("\n").filter((line) => line !== ""),
    };
    this.hosts.set(id, host);
    this.#all.push(host);
    return host;
  }

  /** A request to `host`'s API that must succeed (2xx); its JSON body. */
  call<T = unknown>(
    host: Host,
    method: string,
    route: string,
    json?: unknown,
  ): Promise<T> {
    return callApi<T>(host, method, route, json);
  }

  /** `GET /connectors` on `host`. */
  async connectors(host: Host): Promise<Status[]> {
    return (await this.call<{ connectors: Status[] }>(
      host,
      "GET",
      "/connectors",
    )).connectors;
  }

  /** `GET /cluster` on `host`. */
  cluster(host: Host): Promise<ClusterView> {
    return this.call<ClusterView>(host, "GET", "/cluster");
  }

  /** Waits until `host` sees `count` live hosts, itself joined. */
  async untilHosts(host: Host, count: number): Promise<ClusterView> {
    let last: ClusterView | undefined;
    return await waitFor(
      `${host.id} sees ${count} hosts`,
      async () => {
        last = await this.cluster(host);
        return last.joined && last.hosts.length === count && last;
      },
      { seen: () => JSON.stringify(last) },
    );
  }

  /** Creates and starts connector `id` through `host`. */
  async create(host: Host, id: string, config: unknown): Promise<void> {
    await this.call(host, "POST", "/connectors", { id, config, start: true });
  }

  /** The hosts still running, not `except`. */
  live(...except: Host[]): Host[] {
    return [...this.hosts.values()].filter((host) =>
      !host.ended() && !except.includes(host)
    );
  }

  /** Per connector: rows in the sink, distinct ids, the highest id. */
  async sinkCounts(): Promise<
    Map<string, { rows: number; distinct: number; max: number }>
  > {
    const rows = await this.sql.unsafe(
      `SELECT connector, count(*)::int AS rows, count(DISTINCT id)::int AS distinct,
         coalesce(max(id), -1)::int AS max FROM sink GROUP BY connector`,
    );
    return new Map(
      rows.map((row) => [
        row.connector as string,
        {
          rows: row.rows as number,
          distinct: row.distinct as number,
          max: row.max as number,
        },
      ]),
    );
  }

  /** The last lines of every host's stderr: what a failure prints. */
  tails(lines = 15): string[] {
    const out: string[] = [];
    for (const host of this.#all) {
      out.push(`--- ${host.id} (last ${lines} lines of stderr)`);
      for (const line of host.lines().slice(-lines)) out.push(`  ${line}`);
    }
    return out;
  }

  /** Kills every host, keeps their logs, drops the database. */
  async close(): Promise<void> {
    const errors: unknown[] = [];
    await Promise.all(this.#all.map(async (host) => {
      if (!host.ended()) {
        host.signal("SIGCONT");
        await host.stop("SIGKILL").catch((error) => errors.push(error));
      }
      await Deno.writeTextFile(
        `${this.context.dir}/${this.context.name}-${host.id}.log`,
        host.stderr(),
      ).catch(() => {});
    }));
    await this.#nats?.stop().catch((error) => errors.push(error));
    await this.#sql?.end({ timeout: 5 }).catch(() => {});
    if (this.#admin !== undefined) {
      await this.#admin.unsafe(
        `DROP DATABASE IF EXISTS "${this.database}" WITH (FORCE)`,
      ).catch((error) => errors.push(error));
      await this.#admin.end({ timeout: 5 }).catch(() => {});
    }
    if (errors.length > 0) {
      throw new Error(`Cannot clean up ${this.context.name}: ${errors}`);
    }
  }
}

/** A `nats-server` of the run's own. */
interface PrivateNats {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `nats-server` with JetStream on a free port of 127.0.0.1, its
 * storage in `dir`: the names `ca serve` gives its NATS stores and lease
 * bucket (`CA_DEFINITIONS`, `ca_checkpoints`, `ca_leases`) cannot be set
 * from its command line, and the machine's server is shared, so each run
 * that needs NATS has a server of its own, whose names nobody else uses.
 */
export async function startNats(dir: string): Promise<PrivateNats> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await Deno.mkdir(dir, { recursive: true });
  const child = new Deno.Command(NATS_SERVER, {
    args: ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let output = "";
  const reading = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (output += chunk) }),
  ).catch(() => {});
  const stop = async () => {
    try {
      child.kill("SIGKILL");
    } catch { /* already ended */ }
    await child.status;
    await reading;
  };
  try {
    await waitFor(
      `${NATS_SERVER} on port ${port} is ready`,
      () => output.includes("Server is ready"),
      { deadlineMs: 20_000, seen: () => output.slice(-500) },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `nats://127.0.0.1:${port}`, stop };
}

/** The machine's `nats-server` (the same version as the one on 4222). */
export const NATS_SERVER = Deno.env.get("CA_NATS_SERVER") ??
  "/usr/sbin/nats-server";

/**
 * A connector config: `generate` of `count` records `{ id, value,
 * connector }` at `rate` per second into the run's `sink` table.
 */
export function sinkConfig(
  run: ClusterRun,
  connector: string,
  options: { count: number; rate: number; exactlyOnce: boolean },
): Record<string, unknown> {
  return {
    runners: { main: { runtime: "deno" } },
    processors: [
      {
        name: "numbers",
        use: "generate",
        args: {
          count: options.count,
          ratePerSecond: options.rate,
          template: { connector },
        },
      },
      {
        name: "rows",
        use: "postgres-sink",
        args: {
          url: run.pgUrl,
          table: "sink",
          ...(options.exactlyOnce ? { exactlyOnce: true } : {}),
        },
      },
    ],
  };
}

/** `c01`, `c02`, ... */
export function connectorIds(count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `c${String(i + 1).padStart(2, "0")}`,
  );
}

/** How many connectors each host runs, as `statuses` say (`null`: none). */
export function countsPerHost(statuses: Status[]): Map<string | null, number> {
  const counts = new Map<string | null, number>();
  for (const status of statuses) {
    counts.set(status.host, (counts.get(status.host) ?? 0) + 1);
  }
  return counts;
}

/** A short text of per-host counts: `h1=4 h2=4 h3=4`. */
export function describeCounts(counts: Map<string | null, number>): string {
  return [...counts].sort(([a], [b]) => String(a) < String(b) ? -1 : 1)
    .map(([host, n]) => `${host}=${n}`).join(" ");
}

/** Milliseconds as seconds with one decimal: `3.4 s`. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** Per connector: rows in the sink, distinct ids, the highest id. */
export interface SinkCount {
  rows: number;
  distinct: number;
  max: number;
}

/**
 * The end of a run: every connector's `expected` records (ids 0 to
 * `expected` - 1) must be in `sink` at least once. Adds the counts per
 * connector, the lost and the duplicates to `outcome`, and a problem per
 * connector short of its ids; returns the lost and the duplicates.
 */
export function tallySink(
  counts: ReadonlyMap<string, SinkCount>,
  ids: readonly string[],
  expected: number,
  outcome: Outcome,
  labels: { sink: string; duplicates: string },
): { lost: number; duplicates: number } {
  let lost = 0;
  let duplicates = 0;
  const perConnector: string[] = [];
  for (const id of ids) {
    const c = counts.get(id) ?? { rows: 0, distinct: 0, max: -1 };
    lost += expected - c.distinct;
    duplicates += c.rows - c.distinct;
    perConnector.push(
      `${id}=${c.distinct}${
        c.rows > c.distinct ? `+${c.rows - c.distinct}` : ""
      }`,
    );
    if (c.distinct !== expected || c.max !== expected - 1) {
      outcome.problems.push(
        `${id}: ${c.distinct} distinct ids in ${labels.sink} (max ${c.max}), expected ${expected} (0 to ${
          expected - 1
        })`,
      );
    }
  }
  outcome.numbers.push([
    "distinct records per connector (+duplicates)",
    perConnector.join(" "),
  ]);
  outcome.numbers.push(["lost", lost]);
  outcome.numbers.push([labels.duplicates, duplicates]);
  return { lost, duplicates };
}

/**
 * Runs a scenario's `body` on a `ClusterRun` of its own: opened first,
 * closed last whatever happened (every host killed, the database dropped);
 * a thrown error becomes a problem, and a failed run's outcome gets the
 * hosts' last log lines.
 */
export async function withClusterRun(
  context: ScenarioContext,
  options: RunOptions,
  body: (run: ClusterRun, outcome: Outcome) => Promise<void>,
): Promise<Outcome> {
  const outcome: Outcome = { numbers: [], notes: [], problems: [] };
  const run = new ClusterRun(context, options);
  try {
    await run.open();
    await body(run, outcome);
  } catch (error) {
    outcome.problems.push((error as Error).message ?? String(error));
  } finally {
    if (outcome.problems.length > 0) outcome.notes.push(...run.tails());
    await run.close().catch((error) => outcome.problems.push(String(error)));
  }
  return outcome;
}

/** A request to a host's API that must succeed (2xx); its JSON body. */
export async function callApi<T = unknown>(
  host: Served & { id: string },
  method: string,
  route: string,
  json?: unknown,
): Promise<T> {
  const answer = await api(host, method, route, { json });
  if (answer.status < 200 || answer.status > 299) {
    throw new Error(
      `${method} ${route} on ${host.id} answered ${answer.status}: ${
        answer.text.slice(0, 500)
      }`,
    );
  }
  return answer.body as T;
}
