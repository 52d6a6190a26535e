// Copyright 2026 the @ca/streams authors. MIT license.
// The zombie scenario, for one lease engine (definitions and checkpoints in
// PostgreSQL): 3 hosts, 9 connectors each moving 100,000 records into an
// exactly-once PostgreSQL sink. One host is SIGSTOPped; once the others
// run its connectors (its leases expired: it is paused past the lease
// time), it is SIGCONTed.
//
// Checked in the audit the test keeps in the database (_harness.ts,
// _audit.ts): with the PostgreSQL engine, no host (the zombie above all)
// committed a sink statement or a checkpoint row for a connector outside
// its own tenures of that connector's lease (a tenure ends when its lease
// expires or is released; the zombie may legitimately get connectors back
// later, as a new grant); with either engine, no host committed a
// connector's checkpoint after another host acquired it (the generations
// in the checkpoint table's audit), and no sink row was committed without
// its checkpoint; the zombie committed nothing for its old connectors
// after the SIGCONT unless granted them again;
// it reports its copies stopped within one renewal period of the SIGCONT
// (its own GET /connectors, polled every 50 ms); and the sink holds
// exactly 100,000 distinct rows per connector, no duplicates.

import {
  clock,
  generationCheck,
  outsideTenures,
  tenures,
  writes,
} from "./_audit.ts";
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
  TTL_MS,
  waitFor,
  withClusterRun,
} from "./_harness.ts";

const CONNECTORS = 9;
const RECORDS = 100_000;
/** Records per second per connector: an uninterrupted run lasts 33 s. */
const RATE = 3_000;
/** The pause lands this long after every connector runs. */
const STOP_AFTER_MS = 6_000;
/** States of a run that is not over. */
const ACTIVE = new Set([
  "activating",
  "running",
  "recovering",
  "degraded",
  "deactivating",
]);

export function zombieScenario(
  engine: RunOptions["engine"],
): ClusterScenario {
  return {
    description:
      `3 hosts (leases in ${engine}, definitions and checkpoints in PostgreSQL), ${CONNECTORS} connectors x ${RECORDS} records into an exactly-once PostgreSQL sink; one host SIGSTOPped past its lease, then SIGCONTed: it commits and writes nothing after it lost a lease, stops its copies within one renewal period`,
    run(context): Promise<Outcome> {
      return withClusterRun(
        context,
        { engine, store: "postgres" },
        (run, outcome) => body(run, outcome, context.log),
      );
    },
  };
}

async function body(
  run: ClusterRun,
  outcome: Outcome,
  log: (line: string) => void,
): Promise<void> {
  const { numbers, notes, problems } = outcome;
  const leaseAudit = run.options.engine === "postgres";
  notes.push(
    `leases: ${run.options.engine} (${run.clusterArg}); database ${run.database}; lease time ${TTL_MS} ms, renewal every ${RENEW_MS} ms; sink exactlyOnce: true`,
  );
  if (!leaseAudit) {
    notes.push(
      "the lease history is not audited with the NATS engine (its bucket keeps one revision per key): the zombie is judged by the checkpoint generations and by the SIGCONT time",
    );
  }
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
      sinkConfig(run, id, { count: RECORDS, rate: RATE, exactlyOnce: true }),
    );
  }
  let statuses: Status[] = [];
  await waitFor(
    "every connector running on some host",
    async () => {
      statuses = await run.connectors(first!);
      return statuses.length === CONNECTORS &&
        statuses.every((s) => s.state === "running" && s.host !== null);
    },
    {
      seen: () => JSON.stringify(statuses.map((s) => [s.id, s.host, s.state])),
    },
  );
  numbers.push([
    "connectors per host before the pause",
    describeCounts(countsPerHost(statuses)),
  ]);
  await sleep(STOP_AFTER_MS);

  const zombie = hosts[2]!;
  const survivors = hosts.slice(0, 2);
  const own = (await run.connectors(zombie)).filter((s) =>
    s.host === zombie.id && s.state === "running"
  ).map((s) => s.id);
  zombie.signal("SIGSTOP");
  const stoppedAt = performance.now();
  const [{ now: stoppedDb }] = await run.sql.unsafe(
    "SELECT clock_timestamp() AS now",
  ) as { now: Date }[];
  log(`SIGSTOPped ${zombie.id}, which ran ${own.join(", ")}`);
  numbers.push([`connectors of ${zombie.id} at the SIGSTOP`, own.join(", ")]);
  if (own.length === 0) problems.push(`${zombie.id} ran no connector`);

  // Until the others run every one of them (each reported by its new host).
  const takenAt = new Map<string, number>();
  await waitFor(
    `the connectors of ${zombie.id} running on other hosts`,
    async () => {
      await Promise.all(survivors.map(async (host) => {
        for (const s of await run.connectors(host)) {
          if (
            own.includes(s.id) && s.host === host.id && s.state === "running" &&
            !takenAt.has(s.id)
          ) {
            takenAt.set(s.id, performance.now() - stoppedAt);
          }
        }
      }));
      return takenAt.size === own.length;
    },
    { seen: () => JSON.stringify([...takenAt]) },
  );
  numbers.push([
    "SIGSTOP -> its connectors running elsewhere",
    `max ${seconds(Math.max(...takenAt.values()))}`,
  ]);
  // The new holders commit a few batches while the zombie sleeps on.
  await sleep(1_000);
  const pausedMs = performance.now() - stoppedAt;
  zombie.signal("SIGCONT");
  const contAt = performance.now();
  const [{ now: contDb }] = await run.sql.unsafe(
    "SELECT clock_timestamp() AS now",
  ) as { now: Date }[];
  numbers.push([
    `${zombie.id} paused for`,
    `${seconds(pausedMs)} (lease time ${seconds(TTL_MS)})`,
  ]);

  // Its copies stopped, as it reports them itself.
  let seen: Status[] = [];
  const copiesStoppedMs = await waitFor(
    `${zombie.id} reports its old runs stopped`,
    async () => {
      seen = await run.connectors(zombie);
      const still = seen.filter((s) =>
        own.includes(s.id) && s.host === zombie.id && ACTIVE.has(s.state)
      );
      return still.length === 0 && performance.now() - contAt;
    },
    {
      everyMs: 50,
      deadlineMs: 30_000,
      seen: () => JSON.stringify(seen.map((s) => [s.id, s.host, s.state])),
    },
  );
  numbers.push([
    "SIGCONT -> its copies reported stopped (its own API)",
    `${seconds(copiesStoppedMs)} (one renewal period: ${seconds(RENEW_MS)})`,
  ]);
  if (copiesStoppedMs > RENEW_MS) {
    problems.push(
      `${zombie.id} still reported a run of its old connectors ${
        seconds(copiesStoppedMs)
      } after the SIGCONT: more than one renewal period (${seconds(RENEW_MS)})`,
    );
  }

  log("waiting for every connector's records");
  let counts = await run.sinkCounts();
  await waitFor(
    `${RECORDS} rows of every connector in the sink`,
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
  await sleep(2 * RENEW_MS);
  counts = await run.sinkCounts();
  const perConnector: string[] = [];
  let duplicates = 0;
  for (const id of ids) {
    const c = counts.get(id) ?? { rows: 0, distinct: 0, max: -1 };
    duplicates += c.rows - c.distinct;
    perConnector.push(`${id}=${c.rows}`);
    if (c.rows !== RECORDS || c.distinct !== RECORDS || c.max !== RECORDS - 1) {
      problems.push(
        `${id}: ${c.rows} rows, ${c.distinct} distinct ids (max ${c.max}) in the sink, expected exactly ${RECORDS}`,
      );
    }
  }
  numbers.push(["rows per connector", perConnector.join(" ")]);
  numbers.push(["duplicates", duplicates]);

  // The audit. Fencing by generations, whatever the engine.
  const hostIds = hosts.map((host) => host.id);
  const fencing = await generationCheck(run, hostIds, { exactlyOnce: true });
  const made = await writes(run);
  const contMs = contDb.getTime();
  const stopMs = stoppedDb.getTime();
  numbers.push([
    "audited commits (sink statements, checkpoint rows)",
    `${
      made.filter((w) => w.what === "sink").length
    }, ${fencing.commits}; checkpoint acquisitions ${fencing.acquisitions.length}`,
  ]);
  numbers.push([
    "commits after another host acquired the checkpoint",
    fencing.problems.length,
  ]);
  problems.push(...fencing.problems.slice(0, 10));
  // The zombie's last commits before the pause, and who fenced it when.
  for (const id of own) {
    const last = made.filter((w) =>
      w.host === zombie.id && w.connector === id && w.at < stopMs
    ).at(-1);
    const taker = fencing.acquisitions.find((a) =>
      a.connector === id && a.at >= stopMs && a.host !== zombie.id
    );
    notes.push(
      `${id}: ${zombie.id}'s last commit before the SIGSTOP at ${
        last ? clock(last.at) : "-"
      }; SIGSTOP ${clock(stopMs)}; acquired by ${taker?.host ?? "nobody"} at ${
        taker ? clock(taker.at) : "-"
      } (generation ${taker?.generation ?? "-"}); SIGCONT ${clock(contMs)}`,
    );
    if (taker === undefined) {
      problems.push(
        `${id}: no other host acquired its checkpoint after the SIGSTOP`,
      );
    }
  }
  // Of the zombie's old connectors, nothing after the SIGCONT unless it
  // acquired them again (a later acquisition of its own).
  const reacquired = fencing.acquisitions.filter((a) =>
    a.host === zombie.id && a.at >= contMs
  );
  const afterCont = made.filter((w) =>
    w.host === zombie.id && w.at >= contMs && own.includes(w.connector)
  );
  const unfenced = afterCont.filter((write) =>
    !reacquired.some((a) => a.connector === write.connector && a.at <= write.at)
  );
  numbers.push([
    `${zombie.id}'s commits after the SIGCONT`,
    `${
      made.filter((w) => w.host === zombie.id && w.at >= contMs).length
    }; for its old connectors without acquiring them again: ${unfenced.length}; checkpoints it acquired again: ${reacquired.length}${
      reacquired.length > 0
        ? ` (${
          reacquired.map((a) => `${a.connector} at ${clock(a.at)}`).join(", ")
        })`
        : ""
    }`,
  ]);
  for (const write of unfenced.slice(0, 10)) {
    {
      problems.push(
        `${zombie.id} committed ${write.what} (${write.detail}) for ${write.connector} at ${
          clock(write.at)
        }, after the SIGCONT (${clock(contMs)}), without acquiring it again`,
      );
    }
  }
  // With the PostgreSQL engine: every commit inside its host's lease.
  if (leaseAudit) {
    const all = await tenures(run);
    const bad = outsideTenures(all, made, hostIds);
    numbers.push([
      "commits outside their host's lease (lease audit)",
      `${bad.length} (lease grants: ${all.length}; to ${zombie.id} after the SIGSTOP: ${
        all.filter((t) => t.holder === zombie.id && t.start >= stopMs).length
      })`,
    ]);
    for (const { write, previous } of bad.slice(0, 10)) {
      problems.push(
        `${write.host} committed ${write.what} (${write.detail}${
          write.rows ? `, ${write.rows} rows` : ""
        }) for ${write.connector} at ${
          clock(write.at)
        }, outside its leases of it${
          previous
            ? `: its last tenure ${clock(previous.start)}-${
              clock(previous.end)
            } ended (${previous.how})`
            : ": it never held it"
        }`,
      );
    }
  }
  const lostLines = zombie.lines().filter((line) =>
    /lost (its|the) lease/i.test(line)
  );
  notes.push(
    `${zombie.id} logged ${lostLines.length} line(s) about lost leases${
      lostLines.length > 0 ? `, e.g. ${lostLines[0]!.slice(0, 200)}` : ""
    }`,
  );
}
