/**
 * The cluster benchmark's view of a lease engine from outside the hosts:
 * cumulative counters read at the engine (differences over a window give
 * operations per second), and the engine's raw capacity for the hosts'
 * own operations from one client (the baseline).
 *
 * - PostgreSQL: `pg_stat_statements` of the run's database, the lease
 *   statements told apart by kind (`INSERT INTO "ca_leases"` = acquire,
 *   `UPDATE` = renew, `DELETE` = release, `SELECT` = list) with their
 *   calls and rows; `pg_stat_user_tables` (tuples inserted, updated,
 *   deleted per table); `pg_stat_database.xact_commit`.
 * - NATS: the monitoring port: `/jsz` (each stream's last sequence: every
 *   lease acquire, renewal or release is one message of `KV_ca_leases`;
 *   JetStream API requests, which count the stream info each `list()`
 *   asks for its keys) and `/varz` (messages in from clients, which count
 *   every KV get too).
 *
 * @module
 */

import { postgresLeaseEngine } from "../../connectors/postgres/postgres_lease_engine.ts";
import { natsLeaseEngine } from "../../connectors/nats/nats_lease_engine.ts";
import type { Lease, LeaseEngine } from "../../src/cluster/lease_engine.ts";
import { BenchSetupError } from "../_tools.ts";

/** Cumulative counters, by name. */
export type Counters = Record<string, number>;

/** Reads an engine's counters. */
export interface EngineProbe {
  /** Such as `PostgreSQL 15.20` or `nats-server 2.9.10`. */
  version: string;
  /** Whether lease calls are counted by kind (PostgreSQL with pg_stat_statements). */
  byKind: boolean;
  counters(): Promise<Counters>;
  close(): Promise<void>;
}

type Row = Record<string, unknown>;
type Sql = {
  unsafe(text: string, parameters?: unknown[]): Promise<Row[]>;
  end(options?: { timeout?: number }): Promise<void>;
};

/** Connects to a PostgreSQL database with one connection. */
export async function connectPostgres(url: string): Promise<Sql> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(url, {
    max: 1,
    onnotice: () => {},
    connection: { application_name: "ca-bench-cluster" },
  }) as unknown as Sql;
  try {
    await sql.unsafe("SELECT 1");
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw new BenchSetupError(
      `Cannot reach PostgreSQL at ${url}: ${(error as Error).message}`,
    );
  }
  return sql;
}

const KINDS: [RegExp, string][] = [
  [/^\s*INSERT INTO "ca_leases"/i, "acquire"],
  [/^\s*UPDATE "ca_leases"/i, "renew"],
  [/^\s*DELETE FROM "ca_leases"/i, "release"],
  [/^\s*SELECT [^;]* FROM "ca_leases"/i, "list"],
];

/**
 * A probe of the run's PostgreSQL database (`url`).
 *
 * @param url the run's database
 * @returns the probe
 */
export async function postgresProbe(url: string): Promise<EngineProbe> {
  const sql = await connectPostgres(url);
  let byKind = true;
  try {
    await sql.unsafe("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    await sql.unsafe("SELECT 1 FROM pg_stat_statements LIMIT 1");
  } catch {
    byKind = false; // not preloaded: the table counters only
  }
  const shown = (await sql.unsafe("SHOW server_version"))[0]!
    .server_version as string;
  return {
    version: `PostgreSQL ${shown}`,
    byKind,
    async counters(): Promise<Counters> {
      const out: Counters = {};
      for (
        const row of await sql.unsafe(
          `SELECT relname, n_tup_ins::float8 AS ins, n_tup_upd::float8 AS upd,
             n_tup_del::float8 AS del FROM pg_stat_user_tables`,
        )
      ) {
        const name = row.relname as string;
        out[`table.${name}.ins`] = row.ins as number;
        out[`table.${name}.upd`] = row.upd as number;
        out[`table.${name}.del`] = row.del as number;
      }
      out["db.commits"] = (await sql.unsafe(
        `SELECT xact_commit::float8 AS n FROM pg_stat_database
         WHERE datname = current_database()`,
      ))[0]!.n as number;
      if (byKind) {
        let statements = 0;
        for (const kind of ["acquire", "renew", "release", "list"]) {
          out[`lease.${kind}.calls`] = 0;
          out[`lease.${kind}.rows`] = 0;
        }
        for (
          const row of await sql.unsafe(
            `SELECT query, calls::float8 AS calls, rows::float8 AS rows
             FROM pg_stat_statements
             WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          )
        ) {
          const query = row.query as string;
          if (/pg_stat_|pg_database|^\s*SHOW /i.test(query)) continue;
          statements += row.calls as number;
          const kind = KINDS.find(([re]) => re.test(query))?.[1];
          if (kind === undefined) continue;
          out[`lease.${kind}.calls`] += row.calls as number;
          out[`lease.${kind}.rows`] += row.rows as number;
        }
        out["db.statements"] = statements;
      }
      return out;
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

interface Jsz {
  api: { total: number; errors: number };
  account_details?: {
    stream_detail?: { name: string; state: { last_seq: number } }[];
  }[];
}

/**
 * A probe of a `nats-server` through its monitoring port.
 *
 * @param monitor its base URL, such as `http://127.0.0.1:8222/`
 * @returns the probe
 */
export async function natsProbe(monitor: string): Promise<EngineProbe> {
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(new URL(path, monitor));
    if (!response.ok) {
      throw new Error(`Cannot read ${path} of nats-server: ${response.status}`);
    }
    return await response.json() as T;
  };
  const varz = await get<{ version: string }>("varz");
  return {
    version: `nats-server ${varz.version}`,
    byKind: false,
    async counters(): Promise<Counters> {
      const [jsz, v] = await Promise.all([
        get<Jsz>("jsz?accounts=true&streams=true"),
        get<{ in_msgs: number; out_msgs: number }>("varz"),
      ]);
      const out: Counters = {
        "js.api": jsz.api.total,
        "msgs.in": v.in_msgs,
        "msgs.out": v.out_msgs,
      };
      for (const account of jsz.account_details ?? []) {
        for (const stream of account.stream_detail ?? []) {
          out[`stream.${stream.name}.seq`] = stream.state.last_seq;
        }
      }
      return out;
    },
    close: () => Promise.resolve(),
  };
}

/** What one client gets out of an idle engine. */
export interface Baseline {
  /** Renewal calls per second, each of `batch` leases, one at a time. */
  renewCallsPerSec: number;
  /** Leases renewed per second by them. */
  leasesPerSec: number;
  batch: number;
  /** `list("connector/")` calls per second over `listed` live leases, one at a time. */
  listCallsPerSec: number;
  listed: number;
  /** Acquires per second (the `listed` leases taken, 32 at a time). */
  acquiresPerSec: number;
}

/**
 * The engine's raw capacity for the hosts' operations, from one client of
 * the engine's own code (`postgresLeaseEngine` on the table
 * `bench_baseline_leases`, `natsLeaseEngine` on the bucket
 * `bench_baseline`): `listed` leases acquired; `list("connector/")` over
 * them in a loop for `seconds` (at most half the lease time, so none
 * expires); then `renew()` of `batch` of them (a host's membership and
 * its share) in a loop for `seconds`.
 *
 * @param engine `postgres` or `nats`
 * @param url the run's database, or the NATS server
 * @param options the lease time, the sizes and the duration
 * @returns what one client achieved
 */
export async function baseline(
  engine: "postgres" | "nats",
  url: string,
  options: { ttlMs: number; batch: number; listed: number; seconds: number },
): Promise<Baseline> {
  const leases: LeaseEngine = engine === "postgres"
    ? postgresLeaseEngine(url, {
      table: "bench_baseline_leases",
      ttlMs: options.ttlMs,
    })
    : natsLeaseEngine({ url, bucket: "bench_baseline", ttlMs: options.ttlMs });
  try {
    // Warm-up: the table or bucket made, the connection opened.
    await leases.list("connector/");
    let held: Lease[] = [];
    const names = Array.from(
      { length: options.listed },
      (_, i) => `connector/b${String(i).padStart(5, "0")}`,
    );
    const acquireStart = performance.now();
    for (let i = 0; i < names.length; i += 32) {
      const got = await Promise.all(
        names.slice(i, i + 32).map((name) =>
          leases.acquire(name, "bench", JSON.stringify({ state: "running" }))
        ),
      );
      for (const lease of got) {
        if (lease === undefined) {
          throw new Error("Cannot measure the baseline: an acquire failed");
        }
        held.push(lease);
      }
    }
    const acquiresPerSec = names.length /
      ((performance.now() - acquireStart) / 1000);
    const listMs = Math.min(options.seconds * 1000, options.ttlMs / 2);
    let lists = 0;
    const listStart = performance.now();
    while (lists === 0 || performance.now() - listStart < listMs) {
      const listed = await leases.list("connector/");
      if (listed.length !== options.listed) {
        throw new Error(
          `Cannot measure the baseline: list() gave ${listed.length} leases, not ${options.listed}`,
        );
      }
      lists++;
    }
    const listCallsPerSec = lists / ((performance.now() - listStart) / 1000);
    let batch = held.slice(0, options.batch);
    held = [];
    let renews = 0;
    const renewStart = performance.now();
    while (
      renews === 0 || performance.now() - renewStart < options.seconds * 1000
    ) {
      const renewed = await leases.renew(
        batch.map((lease) => ({
          ...lease,
          data: `{"state":"running","n":${renews}}`,
        })),
      );
      if (renewed.some((lease) => lease === undefined)) {
        throw new Error("Cannot measure the baseline: a renewal failed");
      }
      batch = renewed as Lease[];
      renews++;
    }
    const renewCallsPerSec = renews /
      ((performance.now() - renewStart) / 1000);
    return {
      renewCallsPerSec,
      leasesPerSec: renewCallsPerSec * batch.length,
      batch: batch.length,
      listCallsPerSec,
      listed: options.listed,
      acquiresPerSec,
    };
  } finally {
    await leases.close();
  }
}
