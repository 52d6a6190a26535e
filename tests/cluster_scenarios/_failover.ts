// Copyright 2026 the @ca/streams authors. MIT license.
// The failover scenario, for one lease engine: 3 hosts, 12 connectors each
// moving 100,000 records (generate, paced so that a run lasts about 25 s,
// into the run's PostgreSQL `sink` table); one host SIGKILLed mid-run.
//
// Measured and checked: from the kill to each of the dead host's
// connectors reported `running` by the host that took it (its own
// `GET /connectors`, polled every 100 ms on every survivor): within the
// lease time + 2 s; and in the end every connector's 100,000 ids in the
// sink (0 lost). Duplicates are counted (rows - distinct ids): 0 required
// with the exactly-once sink (checkpoints in PostgreSQL), reported with the
// at-least-once one.

import {
  type ClusterRun,
  type ClusterScenario,
  connectorIds,
  countsPerHost,
  describeCounts,
  type Outcome,
  RENEW_MS,
  type RunOptions,
  seconds,
  sinkConfig,
  sleep,
  type Status,
  tallySink,
  TTL_MS,
  waitFor,
  withClusterRun,
} from "./_harness.ts";

const CONNECTORS = 12;
const RECORDS = 100_000;
/** Records per second per connector: an uninterrupted run lasts 25 s. */
const RATE = 4_000;
/** The kill lands this long after every connector runs. */
const KILL_AFTER_MS = 8_000;

export function failoverScenario(options: RunOptions): ClusterScenario {
  const exactlyOnce = options.store === "postgres";
  return {
    description:
      `3 hosts (leases in ${options.engine}, definitions and checkpoints in ${options.store}), ${CONNECTORS} connectors x ${RECORDS} records into PostgreSQL (${
        exactlyOnce ? "exactly-once" : "at-least-once"
      }); one host SIGKILLed mid-run: its connectors run elsewhere within the lease time + 2 s, 0 lost`,
    run(context): Promise<Outcome> {
      return withClusterRun(
        context,
        options,
        (run, outcome) => body(run, exactlyOnce, outcome, context.log),
      );
    },
  };
}

async function body(
  run: ClusterRun,
  exactlyOnce: boolean,
  outcome: Outcome,
  log: (line: string) => void,
): Promise<void> {
  const { numbers, notes, problems } = outcome;
  notes.push(
    `leases: ${run.options.engine} (${run.clusterArg}); definitions and checkpoints: ${run.options.store} (${run.storeArg}); lease time ${TTL_MS} ms, renewal every ${RENEW_MS} ms`,
    `sink: postgres-sink into ${run.database}.sink, ${
      exactlyOnce
        ? "exactlyOnce: true (rows and checkpoint in one transaction)"
        : "at-least-once (the checkpoint store is not PostgreSQL, so exactlyOnce cannot apply): duplicates are counted, not refused"
    }`,
  );
  const hosts = await Promise.all(
    ["h1", "h2", "h3"].map((id) => run.startHost(id)),
  );
  const [first] = hosts;
  await run.untilHosts(first!, 3);
  log(`3 hosts joined; creating ${CONNECTORS} connectors`);
  const ids = connectorIds(CONNECTORS);
  for (const id of ids) {
    await run.create(
      first!,
      id,
      sinkConfig(run, id, { count: RECORDS, rate: RATE, exactlyOnce }),
    );
  }
  let statuses: Status[] = [];
  await waitFor(
    `every connector running on some host (seen by ${first!.id})`,
    async () => {
      statuses = await run.connectors(first!);
      return statuses.length === CONNECTORS &&
        statuses.every((s) => s.state === "running" && s.host !== null);
    },
    {
      seen: () => JSON.stringify(statuses.map((s) => [s.id, s.host, s.state])),
    },
  );
  const before = countsPerHost(statuses);
  numbers.push(["connectors per host before the kill", describeCounts(before)]);
  await sleep(KILL_AFTER_MS);

  // The victim: the host running the most connectors (h3 on a tie).
  const victim = [...hosts].reverse().reduce((best, host) =>
    (before.get(host.id) ?? 0) > (before.get(best.id) ?? 0) ? host : best
  );
  const survivors = hosts.filter((host) => host !== victim);
  const own = (await run.connectors(victim)).filter((s) =>
    s.host === victim.id && s.state === "running"
  ).map((s) => s.id);
  const atKill = await run.sinkCounts();
  victim.signal("SIGKILL");
  const killedAt = performance.now();
  log(`SIGKILLed ${victim.id}, which ran ${own.join(", ")}`);
  numbers.push([
    `connectors of ${victim.id} at the kill`,
    `${own.length} (${own.join(", ")})`,
  ]);
  const done = own.map((id) => atKill.get(id)?.distinct ?? 0);
  numbers.push([
    "their records in the sink at the kill",
    `${Math.min(...done)}-${Math.max(...done)} of ${RECORDS}`,
  ]);
  if (own.length === 0) {
    problems.push(`${victim.id} ran no connector at the kill`);
  }
  if (done.some((n) => n >= RECORDS)) {
    problems.push("a connector of the victim had finished before the kill");
  }

  // From the kill to each one reported running by the host that took it.
  const takenAt = new Map<string, { host: string; ms: number }>();
  let allSeenByFirst: number | undefined;
  const observer = survivors[0]!;
  await waitFor(
    `the connectors of ${victim.id} running on other hosts`,
    async () => {
      const now = () => performance.now() - killedAt;
      await Promise.all(survivors.map(async (host) => {
        for (const s of await run.connectors(host)) {
          if (
            own.includes(s.id) && s.host === host.id &&
            s.state === "running" && !takenAt.has(s.id)
          ) {
            takenAt.set(s.id, { host: host.id, ms: now() });
          }
        }
      }));
      if (allSeenByFirst === undefined) {
        const view = await run.connectors(observer);
        if (
          own.every((id) =>
            view.some((s) =>
              s.id === id && s.host !== null && s.host !== victim.id &&
              s.state === "running"
            )
          )
        ) {
          allSeenByFirst = now();
        }
      }
      return takenAt.size === own.length && allSeenByFirst !== undefined;
    },
    {
      deadlineMs: 60_000,
      everyMs: 100,
      seen: () => JSON.stringify([...takenAt]),
    },
  );
  const times = own.map((id) => takenAt.get(id)!.ms);
  const worst = Math.max(...times);
  numbers.push([
    "kill -> running on another host (each, its new host's API)",
    `min ${seconds(Math.min(...times))}, max ${seconds(worst)} (bound ${
      seconds(TTL_MS + 2_000)
    })`,
  ]);
  numbers.push([
    `kill -> all shown running elsewhere by ${observer.id}'s GET /connectors`,
    seconds(allSeenByFirst!),
  ]);
  numbers.push([
    "taken by",
    describeCounts(
      countsPerHost(
        own.map((id) => ({ host: takenAt.get(id)!.host } as Status)),
      ),
    ),
  ]);
  if (worst > TTL_MS + 2_000) {
    problems.push(
      `a connector of ${victim.id} ran elsewhere only ${
        seconds(worst)
      } after the kill: more than the lease time + 2 s (${
        seconds(TTL_MS + 2_000)
      })`,
    );
  }

  // Every record, in the end.
  log("waiting for every connector's records");
  let counts = await run.sinkCounts();
  await waitFor(
    `${RECORDS} distinct ids of every connector in the sink`,
    async () => {
      counts = await run.sinkCounts();
      return ids.every((id) => (counts.get(id)?.distinct ?? 0) >= RECORDS);
    },
    {
      deadlineMs: 180_000,
      everyMs: 1_000,
      seen: () =>
        ids.map((id) => `${id}=${counts.get(id)?.distinct ?? 0}`).join(" "),
    },
  );
  // Anything still in flight lands now, or never.
  await sleep(2 * RENEW_MS);
  counts = await run.sinkCounts();
  const { duplicates } = tallySink(counts, ids, RECORDS, outcome, {
    sink: "the sink",
    duplicates: "duplicates",
  });
  if (exactlyOnce && duplicates > 0) {
    problems.push(`${duplicates} duplicate rows with the exactly-once sink`);
  }
  const final = await run.connectors(observer);
  notes.push(
    `at the end ${observer.id} lists: ${
      describeCounts(countsPerHost(final))
    } (host: null = none runs it); states ${
      [...new Set(final.map((s) => s.state))].join(", ")
    }`,
  );
  const failed = final.filter((s) => s.error !== null);
  for (const s of failed) {
    notes.push(`${s.id} reports error ${s.error!.code}: ${s.error!.message}`);
  }
}
