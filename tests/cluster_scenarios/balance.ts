// Copyright 2026 the @ca/streams authors. MIT license.
// The balance scenario (PostgreSQL lease engine, definitions and checkpoints
// in PostgreSQL): 3 hosts run 30 long-running connectors (generate, paced,
// into an at-least-once PostgreSQL sink: a plain table, so a record written
// twice shows as a duplicate); a 4th host joins.
//
// Checked: the counts per host settle at 8/8/7/7 in some order (from
// GET /cluster, and from GET /connectors on every host); the connectors
// moved by the planned handoffs; then every connector is stopped through
// the API (a graceful stop too) and the sink holds, per connector, every
// id from 0 to its highest (0 lost) and each once (0 duplicates).

import { tenures } from "./_audit.ts";
import {
  type ClusterRun,
  type ClusterScenario,
  connectorIds,
  countsPerHost,
  describeCounts,
  type Host,
  type Outcome,
  RENEW_MS,
  seconds,
  sinkConfig,
  sleep,
  type Status,
  TTL_MS,
  waitFor,
  withClusterRun,
} from "./_harness.ts";

const CONNECTORS = 30;
/** Records per second per connector; more than the scenario ever reads. */
const RATE = 100;
const RECORDS = 100_000_000;

const scenario: ClusterScenario = {
  description:
    `3 hosts (leases, definitions and checkpoints in PostgreSQL), ${CONNECTORS} paced connectors into an at-least-once PostgreSQL sink; a 4th host joins: counts 8/8/7/7, 0 duplicates from the handoffs`,
  run(context): Promise<Outcome> {
    return withClusterRun(
      context,
      { engine: "postgres", store: "postgres" },
      (run, outcome) => body(run, outcome, context.log),
    );
  },
};
export default scenario;

/** Sorted counts, largest first: `8/8/7/7`. */
function shape(counts: Map<string | null, number>): string {
  return [...counts.values()].sort((a, b) => b - a).join("/");
}

/**
 * Waits until every host's own GET /connectors shows the counts `want`
 * (each connector running on a host, the same host in every view) and
 * GET /cluster agrees.
 */
async function untilSettled(
  run: ClusterRun,
  hosts: Host[],
  want: string,
): Promise<Status[]> {
  let last = "";
  let statuses: Status[] = [];
  await waitFor(
    `the connectors settle at ${want} over ${hosts.length} hosts`,
    async () => {
      const views = await Promise.all(
        hosts.map((host) => run.connectors(host)),
      );
      const clusters = await Promise.all(
        hosts.map((host) => run.cluster(host)),
      );
      statuses = views[0]!;
      const where = (view: Status[]) =>
        view.map((s) => `${s.id}@${s.host}:${s.state}`).sort().join();
      last = `${describeCounts(countsPerHost(statuses))}; cluster says ${
        clusters.map((c) =>
          `${c.host}: ${
            c.hosts.map((h) => `${h.id}=${h.connectors}`).join(" ")
          }`
        ).join("; ")
      }`;
      return views.every((view) => where(view) === where(views[0]!)) &&
        statuses.length === CONNECTORS &&
        statuses.every((s) => s.state === "running" && s.host !== null) &&
        shape(countsPerHost(statuses)) === want &&
        clusters.every((c) =>
          c.hosts.length === hosts.length &&
          c.hosts.map((h) => h.connectors).sort((a, b) => b - a).join("/") ===
            want
        );
    },
    { deadlineMs: 60_000, everyMs: 200, seen: () => last },
  );
  return statuses;
}

async function body(
  run: ClusterRun,
  outcome: Outcome,
  log: (line: string) => void,
): Promise<void> {
  const { numbers, notes, problems } = outcome;
  notes.push(
    `database ${run.database}; lease time ${TTL_MS} ms, renewal every ${RENEW_MS} ms; ${CONNECTORS} connectors at ${RATE} records/s each, at-least-once sink (plain table)`,
  );
  const hosts = await Promise.all(
    ["h1", "h2", "h3"].map((id) => run.startHost(id)),
  );
  const [first] = hosts;
  await run.untilHosts(first!, 3);
  const ids = connectorIds(CONNECTORS);
  for (const id of ids) {
    await run.create(
      first!,
      id,
      sinkConfig(run, id, { count: RECORDS, rate: RATE, exactlyOnce: false }),
    );
  }
  const before = await untilSettled(run, hosts, "10/10/10");
  numbers.push([
    "connectors per host, 3 hosts",
    describeCounts(countsPerHost(before)),
  ]);
  await sleep(3_000);

  log("a 4th host joins");
  const joinedAt = performance.now();
  const [{ now: joinDb }] = await run.sql.unsafe(
    "SELECT clock_timestamp() AS now",
  ) as { now: Date }[];
  const fourth = await run.startHost("h4");
  hosts.push(fourth);
  const after = await untilSettled(run, hosts, "8/8/7/7");
  const settledMs = performance.now() - joinedAt;
  numbers.push([
    "connectors per host, 4 hosts",
    describeCounts(countsPerHost(after)),
  ]);
  numbers.push(["h4 started -> settled at 8/8/7/7", seconds(settledMs)]);
  const moved = after.filter((s) =>
    before.find((b) => b.id === s.id)!.host !== s.host
  );
  numbers.push([
    "connectors moved",
    `${moved.length} (${
      moved.map((s) =>
        `${s.id} ${before.find((b) => b.id === s.id)!.host}->${s.host}`
      ).join(", ")
    })`,
  ]);
  if (moved.some((s) => s.host !== fourth.id)) {
    notes.push("some connectors moved between the first three hosts too");
  }
  // The moved connectors write on their new host for a while.
  await sleep(3_000);
  const stable = await run.connectors(first!);
  if (shape(countsPerHost(stable)) !== "8/8/7/7") {
    problems.push(
      `the counts did not stay at 8/8/7/7: ${
        describeCounts(countsPerHost(stable))
      }`,
    );
  }

  log("stopping every connector through the API");
  for (const id of ids) {
    await run.call(first!, "POST", `/connectors/${id}/stop`);
  }
  let statuses: Status[] = [];
  await waitFor(
    "every connector stopped",
    async () => {
      statuses = await run.connectors(first!);
      return statuses.every((s) => s.state === "stopped" && s.host === null);
    },
    {
      deadlineMs: 60_000,
      seen: () => JSON.stringify(statuses.map((s) => [s.id, s.host, s.state])),
    },
  );
  await sleep(RENEW_MS);

  const counts = await run.sinkCounts();
  let duplicates = 0;
  let lost = 0;
  let total = 0;
  for (const id of ids) {
    const c = counts.get(id) ?? { rows: 0, distinct: 0, max: -1 };
    total += c.rows;
    duplicates += c.rows - c.distinct;
    lost += c.max + 1 - c.distinct;
    if (c.rows !== c.distinct || c.distinct !== c.max + 1) {
      problems.push(
        `${id}: ${c.rows} rows, ${c.distinct} distinct ids, highest ${c.max}: expected each id from 0 to the highest once`,
      );
    }
    if (c.distinct === 0) problems.push(`${id} wrote nothing`);
  }
  const movedRows = moved.map((s) => counts.get(s.id)?.rows ?? 0);
  numbers.push(["rows in the sink", total]);
  numbers.push([
    "rows of each moved connector",
    movedRows.length
      ? `${Math.min(...movedRows)}-${Math.max(...movedRows)}`
      : "none",
  ]);
  numbers.push(["duplicates", duplicates]);
  numbers.push(["lost (gaps below the highest id)", lost]);

  // The handoffs, as the lease table saw them: after the join, every grant
  // of a connector's lease follows a release by its previous holder (a
  // planned handoff), never an expiry.
  const all = await tenures(run);
  const grants = all.filter((t) => t.start >= joinDb.getTime());
  const toFourth = grants.filter((t) => t.holder === fourth.id);
  numbers.push([
    "lease grants after the join",
    `${grants.length} (${toFourth.length} to ${fourth.id})`,
  ]);
  const previousOf = (t: (typeof all)[number]) =>
    all.filter((p) => p.connector === t.connector && p.start < t.start).at(-1);
  for (const t of grants.filter((t) => t.holder !== fourth.id)) {
    const before = previousOf(t);
    notes.push(
      `also granted after the join: ${t.connector} to ${t.holder}${
        before ? ` (before: ${before.holder}, ended ${before.how})` : ""
      }`,
    );
  }
  const unplanned = grants.filter((t) => previousOf(t)?.how !== "released");
  if (unplanned.length > 0) {
    problems.push(
      `${unplanned.length} lease grant(s) after the join did not follow a release by the previous holder (not a planned handoff): ${
        unplanned.map((t) => `${t.connector} to ${t.holder}`).join(", ")
      }`,
    );
  }
}
