// Copyright 2026 the @ca/streams authors. MIT license.
// Reads the audit the harness keeps in a run's database (see _harness.ts):
// who held each connector's lease when (from the lease table's rows), and
// what each host committed for each connector and when (the sink's
// statements, the checkpoint table's rows); then checks that every write
// of a host for a connector falls inside one of that host's tenures of the
// connector's lease. Only for the PostgreSQL lease engine, whose table the
// audit sees.

import type { ClusterRun } from "./_harness.ts";

/** One grant of a connector's lease: from its acquisition to its end. */
export interface Tenure {
  connector: string;
  holder: string;
  token: string;
  /** When it was granted (the database clock, ms since the epoch). */
  start: number;
  /**
   * When it ended: released, or taken by another (the takeover's moment),
   * else the expiry its last renewal set.
   */
  end: number;
  /** How it ended. */
  how: "released" | "taken" | "expired";
}

/** A committed write of a host for a connector. */
export interface Write {
  connector: string;
  host: string;
  /** The database clock: a sink statement's time, or a checkpoint row's commit. */
  at: number;
  what: "sink" | "checkpoint";
  /** Sink rows written by the statement (0 for a checkpoint). */
  rows: number;
  txid: number;
  detail: string;
}

const CONNECTOR_LEASE = "connector/";

const time = (value: unknown): number =>
  value instanceof Date ? value.getTime() : Date.parse(String(value));

/** Every tenure of every connector lease, in order of their start. */
export async function tenures(run: ClusterRun): Promise<Tenure[]> {
  const rows = await run.sql.unsafe(
    `SELECT at, op, old, new FROM audit_rows
     WHERE tbl = 'ca_leases' AND coalesce(new->>'name', old->>'name') LIKE 'connector/%'
     ORDER BY at, seq`,
  );
  const current = new Map<string, Tenure>();
  const all: Tenure[] = [];
  for (const row of rows) {
    const at = time(row.at);
    const op = row.op as string;
    const old = row.old as Record<string, string> | null;
    const now = row.new as Record<string, string> | null;
    const name = (now ?? old)!.name!;
    const connector = name.slice(CONNECTOR_LEASE.length);
    const held = current.get(connector);
    if (op === "DELETE") {
      if (held !== undefined && held.token === old!.token) {
        held.end = Math.min(held.end, at);
        held.how = "released";
        current.delete(connector);
      }
      continue;
    }
    if (op === "UPDATE" && old!.token === now!.token) {
      if (held !== undefined && held.token === now!.token) {
        held.end = time(now!.expires_at);
      }
      continue;
    }
    // A grant: the previous one (if any) ends here at the latest.
    // (A grant needs the lease expired or released, so this end is the
    // expiry already, unless the engine broke its contract.)
    if (held !== undefined) {
      held.end = Math.min(held.end, at);
      held.how = held.holder === now!.holder ? "expired" : "taken";
    }
    const tenure: Tenure = {
      connector,
      holder: now!.holder!,
      token: now!.token!,
      start: at,
      end: time(now!.expires_at),
      how: "expired",
    };
    current.set(connector, tenure);
    all.push(tenure);
  }
  return all;
}

/** Every committed write: sink statements and checkpoint rows, by host. */
export async function writes(run: ClusterRun): Promise<Write[]> {
  const sink = await run.sql.unsafe(
    `SELECT at, app, txid, connector, rows, min_id, max_id FROM audit_sink ORDER BY seq`,
  );
  const checkpoints = await run.sql.unsafe(
    `SELECT at, app, txid, op, new FROM audit_rows
     WHERE tbl = 'ca_checkpoints' AND op <> 'DELETE' ORDER BY seq`,
  );
  const out: Write[] = [];
  for (const row of sink) {
    out.push({
      connector: row.connector as string,
      host: row.app as string,
      at: time(row.at),
      what: "sink",
      rows: row.rows as number,
      txid: Number(row.txid),
      detail: `ids ${row.min_id}-${row.max_id}`,
    });
  }
  for (const row of checkpoints) {
    const now = row.new as Record<string, unknown>;
    const id = String(now.id);
    out.push({
      connector: id.split("/")[0]!,
      host: row.app as string,
      at: time(row.at),
      what: "checkpoint",
      rows: 0,
      txid: Number(row.txid),
      detail: `${row.op} ${id} generation ${now.generation} position ${
        JSON.stringify(now.position)
      }`,
    });
  }
  return out.sort((a, b) => a.at - b.at);
}

/**
 * The writes made outside every tenure of their host on their connector:
 * after the host's lease ended (expired, released) and before it was
 * granted to it again. Writes of sessions that are no host of `hostIds`
 * are not judged.
 */
export function outsideTenures(
  all: Tenure[],
  made: Write[],
  hostIds: readonly string[],
): { write: Write; previous: Tenure | undefined }[] {
  const bad: { write: Write; previous: Tenure | undefined }[] = [];
  for (const write of made) {
    if (!hostIds.includes(write.host)) continue;
    const mine = all.filter((t) =>
      t.connector === write.connector && t.holder === write.host
    );
    if (mine.some((t) => t.start <= write.at && write.at <= t.end)) continue;
    const previous = mine.filter((t) => t.start <= write.at).at(-1);
    bad.push({ write, previous });
  }
  return bad;
}

/** A moment of the database clock as `HH:MM:SS.mmm`. */
export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

/** A checkpoint acquisition: a host's start of a run, fencing the one before. */
export interface Acquisition {
  connector: string;
  host: string;
  at: number;
  generation: number;
}

/**
 * Checks the checkpoint fencing from the audit alone, whatever the lease
 * engine: every committed checkpoint row of a host for a connector (its
 * commit time) follows an acquisition of that connector's checkpoint by the
 * same host, with no acquisition by another host in between; and every sink
 * statement committed in a transaction that also committed its checkpoint
 * (the exactly-once sink writes nothing else).
 *
 * @returns The acquisitions, the commits checked, the violations as lines.
 */
export async function generationCheck(
  run: ClusterRun,
  hostIds: readonly string[],
  options: { exactlyOnce: boolean },
): Promise<
  { acquisitions: Acquisition[]; commits: number; problems: string[] }
> {
  const rows = await run.sql.unsafe(
    `SELECT at, app, txid, op, old, new FROM audit_rows
     WHERE tbl = 'ca_checkpoints' AND op <> 'DELETE' ORDER BY at, seq`,
  );
  const acquisitions: Acquisition[] = [];
  const latest = new Map<string, Acquisition>();
  const committedTx = new Set<number>();
  const problems: string[] = [];
  let commits = 0;
  for (const row of rows) {
    const now = row.new as Record<string, unknown>;
    const old = row.old as Record<string, unknown> | null;
    const connector = String(now.id).split("/")[0]!;
    const host = row.app as string;
    const at = time(row.at);
    if (old === null || String(old.generation) !== String(now.generation)) {
      const acquisition = {
        connector,
        host,
        at,
        generation: Number(now.generation),
      };
      acquisitions.push(acquisition);
      latest.set(connector, acquisition);
      continue;
    }
    commits++;
    committedTx.add(Number(row.txid));
    if (!hostIds.includes(host)) continue;
    const holder = latest.get(connector);
    if (holder?.host !== host) {
      problems.push(
        `${host} committed ${connector}'s checkpoint (generation ${now.generation}, position ${
          JSON.stringify(now.position)
        }) at ${clock(at)} after ${
          holder
            ? `${holder.host} acquired it (generation ${holder.generation}) at ${
              clock(holder.at)
            }`
            : "no acquisition"
        }`,
      );
    }
  }
  if (options.exactlyOnce) {
    const sink = await run.sql.unsafe(
      "SELECT at, app, txid, connector, min_id, max_id FROM audit_sink ORDER BY seq",
    );
    for (const row of sink) {
      if (!committedTx.has(Number(row.txid)) && problems.length < 30) {
        problems.push(
          `${row.app} wrote ${row.connector} ids ${row.min_id}-${row.max_id} at ${
            clock(time(row.at))
          } in a transaction that committed no checkpoint`,
        );
      }
    }
  }
  return { acquisitions, commits, problems };
}
