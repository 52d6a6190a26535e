// Copyright 2026 the @ca/streams authors. MIT license.
// The parallel scenario (PostgreSQL lease engine, definitions and
// checkpoints in PostgreSQL): one connector with `parallelism: 3` reads a
// Redis stream through one consumer group (each instance its own consumer,
// named after its pipeline id `par.i`) into an at-least-once PostgreSQL
// sink, while the test adds entries to the stream at a steady pace.
//
// Checked: the 3 instances run on 3 different hosts (every host's
// GET /connectors), each with its own checkpoint, and each reads a share of
// the stream; one host is SIGKILLed mid-run: its instance runs on another
// host within the lease time + 2 s; in the end the sink holds every entry
// (0 lost; duplicates reported: the killed instance's unacknowledged
// entries are read again by its consumer on its new host).

import { createClient } from "redis";
import {
  ClusterRun,
  type ClusterScenario,
  type Host,
  type Outcome,
  seconds,
  sleep,
  type Status,
  TTL_MS,
  waitFor,
} from "./_harness.ts";

const REDIS_URL = Deno.env.get("CA_TEST_REDIS_URL") ??
  "redis://127.0.0.1:6379";
const ENTRIES = 30_000;
/** Entries added per second: the run lasts about 30 s. */
const RATE = 1_000;
const ID = "par";
const INSTANCES = 3;

/** An instance as GET /connectors shows it. */
interface InstanceStatus {
  index: number;
  host: string | null;
  state: string;
  recordsRead: number;
}

const scenario: ClusterScenario = {
  description:
    `3 hosts, one connector with parallelism ${INSTANCES}: a Redis consumer group (one consumer per instance) into an at-least-once PostgreSQL sink, ${ENTRIES} entries added at ${RATE}/s; each instance on its own host with its own checkpoint; one host SIGKILLed mid-run: its instance moves within the lease time + 2 s, 0 lost`,
  async run(context): Promise<Outcome> {
    const outcome: Outcome = { numbers: [], notes: [], problems: [] };
    const run = new ClusterRun(context, {
      engine: "postgres",
      store: "postgres",
    });
    const redis = redisClient();
    const stream = `ca-cluster-parallel-${context.runId}`;
    try {
      await redis.connect();
      await run.open();
      await body(run, redis, stream, outcome, context.log);
    } catch (error) {
      outcome.problems.push((error as Error).message ?? String(error));
    } finally {
      if (outcome.problems.length > 0) outcome.notes.push(...run.tails());
      await run.close().catch((error) => outcome.problems.push(String(error)));
      await redis.del(stream).catch(() => {});
      await redis.quit().catch(() => {});
    }
    return outcome;
  },
};
export default scenario;

type Redis = ReturnType<typeof redisClient>;

function redisClient() {
  return createClient({ url: REDIS_URL });
}

async function body(
  run: ClusterRun,
  redis: Redis,
  stream: string,
  outcome: Outcome,
  log: (line: string) => void,
): Promise<void> {
  const { numbers, notes, problems } = outcome;
  notes.push(
    `database ${run.database}; Redis stream ${stream} at ${REDIS_URL}; lease time ${TTL_MS} ms`,
  );
  // The group exists before any instance reads: every entry goes to it.
  await redis.xGroupCreate(stream, "workers", "0", { MKSTREAM: true });
  const hosts = await Promise.all(
    ["h1", "h2", "h3"].map((id) => run.startHost(id)),
  );
  const [first] = hosts;
  await run.untilHosts(first!, 3);
  await run.create(first!, ID, {
    runners: { main: { runtime: "deno" } },
    parallelism: INSTANCES,
    processors: [
      {
        name: "entries",
        use: "redis-stream-source",
        args: {
          url: REDIS_URL,
          stream,
          group: "workers",
          format: "json",
          valueField: "value",
          claimIdleMs: 60_000,
        },
      },
      {
        name: "rows",
        use: "postgres-sink",
        args: {
          url: run.pgUrl,
          table: "sink",
          columns: {
            connector: "/value/connector",
            id: "/value/id",
            value: "/value/value",
          },
        },
      },
    ],
  });

  const instances = async (host: Host): Promise<InstanceStatus[]> => {
    const [status] = (await run.connectors(host)).filter((s) =>
      s.id === ID
    ) as (Status & { instances?: InstanceStatus[] })[];
    return status?.instances ?? [];
  };
  let seen: InstanceStatus[] = [];
  await waitFor(
    "3 instances running on 3 hosts, as every host sees them",
    async () => {
      const views = await Promise.all(hosts.map(instances));
      seen = views[0]!;
      const where = (view: InstanceStatus[]) =>
        view.map((one) => `${one.index}@${one.host}:${one.state}`).join();
      return views.every((view) => where(view) === where(seen)) &&
        seen.length === INSTANCES &&
        seen.every((one) => one.state === "running" && one.host !== null) &&
        new Set(seen.map((one) => one.host)).size === INSTANCES;
    },
    { deadlineMs: 60_000, everyMs: 200, seen: () => JSON.stringify(seen) },
  );
  numbers.push([
    "instances",
    seen.map((one) => `${ID}#${one.index} on ${one.host}`).join(", "),
  ]);

  // The producer: ENTRIES entries at RATE per second.
  log(`adding ${ENTRIES} entries at ${RATE}/s`);
  let added = 0;
  const producing = (async () => {
    const started = performance.now();
    while (added < ENTRIES) {
      const due = Math.min(
        ENTRIES,
        Math.floor((performance.now() - started) / 1000 * RATE) + 100,
      );
      const batch = [];
      for (; added < due; added++) {
        batch.push(redis.xAdd(stream, "*", {
          value: JSON.stringify({ connector: ID, id: added, value: added }),
        }));
      }
      await Promise.all(batch);
      await sleep(50);
    }
  })();

  await sleep(10_000);
  const victim = hosts.find((host) =>
    host.id === seen.find((one) => one.index === 1)!.host
  )!;
  const others = hosts.filter((host) => host !== victim);
  log(`SIGKILL ${victim.id}, which runs ${ID}#1`);
  const killedAt = performance.now();
  await victim.stop("SIGKILL");
  let moved: InstanceStatus | undefined;
  await waitFor(
    `${ID}#1 running on another host`,
    async () => {
      moved = (await instances(others[0]!)).find((one) => one.index === 1);
      return moved?.state === "running" && moved.host !== victim.id &&
        moved.host !== null;
    },
    { deadlineMs: 60_000, everyMs: 100, seen: () => JSON.stringify(moved) },
  );
  const tookMs = performance.now() - killedAt;
  numbers.push([
    `SIGKILL ${victim.id} -> ${ID}#1 running on ${moved!.host}`,
    `${seconds(tookMs)} (bound: lease time + 2 s = ${seconds(TTL_MS + 2000)})`,
  ]);
  if (tookMs > TTL_MS + 2000) {
    problems.push(
      `${ID}#1 ran elsewhere only ${seconds(tookMs)} after the kill`,
    );
  }
  await producing;

  log("waiting for every entry in the sink");
  let counts = { rows: 0, distinct: 0, max: -1 };
  await waitFor(
    `all ${ENTRIES} entries in the sink`,
    async () => {
      counts = (await run.sinkCounts()).get(ID) ?? counts;
      return counts.distinct === ENTRIES;
    },
    { deadlineMs: 90_000, everyMs: 500, seen: () => JSON.stringify(counts) },
  ).catch((error) => problems.push((error as Error).message));
  numbers.push(["entries added", ENTRIES]);
  numbers.push([
    "distinct in the sink (lost)",
    `${counts.distinct} (${ENTRIES - counts.distinct})`,
  ]);
  numbers.push(["duplicates", counts.rows - counts.distinct]);

  // Each instance read a share, and keeps a checkpoint of its own.
  const final = await instances(others[0]!);
  numbers.push([
    "records read per instance (since its last start)",
    final.map((one) => `${ID}#${one.index}=${one.recordsRead}`).join(" "),
  ]);
  const byHost = await run.sql.unsafe(
    `SELECT app AS host, sum(rows)::int AS rows FROM audit_sink
       GROUP BY 1 ORDER BY 1`,
  ) as { host: string; rows: number }[];
  numbers.push([
    "rows written per host",
    byHost.map((row) => `${row.host}=${row.rows}`).join(" "),
  ]);
  const checkpoints = await run.sql.unsafe(
    `SELECT id FROM ca_checkpoints ORDER BY id`,
  ) as { id: string }[];
  numbers.push([
    "checkpoints",
    checkpoints.map((row) => row.id).join(", "),
  ]);
  for (let index = 0; index < INSTANCES; index++) {
    if (!checkpoints.some((row) => row.id.startsWith(`${ID}.${index}/`))) {
      problems.push(`instance ${index} has no checkpoint of its own`);
    }
  }
  const group = await redis.xInfoConsumers(stream, "workers");
  numbers.push([
    "consumers of the group",
    group.map((consumer) => consumer.name).sort().join(", "),
  ]);
  if (group.length !== INSTANCES) {
    problems.push(
      `the group has ${group.length} consumers, not one per instance`,
    );
  }
}
