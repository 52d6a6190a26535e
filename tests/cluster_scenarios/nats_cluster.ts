// Copyright 2026 the @ca/streams authors. MIT license.
// The NATS-cluster scenario: three nats-server processes of the run's own
// on 127.0.0.1, clustered (routes between them, a cluster name, a
// server_name each, JetStream with a store directory each); the lease
// bucket (`ca_leases`), the checkpoint bucket (`ca_checkpoints`), the
// definitions stream (`CA_DEFINITIONS`) and the sink stream (`OUT`) with
// 3 replicas: the hosts ask for them (`?replicas=3` on --cluster and
// --store), the test makes only its sink stream, and checks afterwards that
// everything is replicated 3 times.
//
// Three hosts, each given the three servers' URLs (rotated, so each
// connects first to another one); six connectors move records (generate,
// paced) into `OUT`, their sinks given the three URLs too.
// Then the test SIGKILLs the server that leads the lease bucket and
// checks, over 5 lease times, that the hosts carry on: every connector
// keeps running where it ran (every host's GET /connectors), every host
// stays joined, every lease key keeps being renewed (its revision moves
// on, its holder stays), records keep flowing into `OUT`; and in the end
// every connector's records are all there (0 lost).

import {
  type ClusterScenario,
  type ClusterView,
  connectorIds,
  countsPerHost,
  describeCounts,
  NATS_SERVER,
  type Outcome,
  type ScenarioContext,
  seconds,
  sleep,
  type Status,
  tallySink,
  waitFor,
} from "./_harness.ts";
import {
  connectNats,
  freePort,
  getJson,
  postJson,
  type Proc,
  serveEnv,
  type ServeHost,
  sinkCounts,
  startNatsServer,
  startProcess,
  streamSinkConfig,
  subjectCounts,
  type TestNats,
  untilListening,
} from "./_netns.ts";

const DENO = new URL("../../node_modules/.bin/deno", import.meta.url).pathname;
const CA = new URL("../../connectors/cli/ca.ts", import.meta.url).pathname;
/**
 * The lease time of this scenario's hosts. Not the harness's 3 s: a
 * JetStream stream whose leader dies has no leader for a raft election
 * timeout (nats-server 2.9: 4-9 s, measured 4.6 s), during which no lease
 * can be renewed; a host trusts its leases for 0.9 of the lease time from
 * the start of its last renewal, which came up to a quarter of it before
 * the kill. So the lease time must exceed (9 s + a campaign) / 0.65: 20 s.
 * With 3 s, every host loses every lease at such a kill (see the report).
 */
const TTL_MS = 20_000;
const TTL_FLAG = "20s";
/** The hosts' renewal period (their default: a quarter of the lease time). */
const RENEW_MS = TTL_MS / 4;
const SERVERS = 3;
const HOST_IDS = ["h1", "h2", "h3"];
const CONNECTORS = 6;
const RECORDS = 16_000;
/**
 * Records per second per connector: an uninterrupted run lasts 80 s, well
 * past the kill and the watch (a connector that finished would release its
 * lease and look stopped to the checks).
 */
const RATE = 200;
/** The kill lands this long after every connector runs. */
const KILL_AFTER_MS = 5_000;
/**
 * How long the hosts are watched after the kill: past the longest raft
 * election (9 s) plus a lease time, so a lease that was not renewed would
 * have expired.
 */
const WATCH_MS = TTL_MS + 5_000;
const POLL_MS = 200;
/** What `ca serve` names them (their engines' defaults). */
const LEASE_BUCKET = "ca_leases";
const CHECKPOINT_BUCKET = "ca_checkpoints";
const DEFINITIONS_STREAM = "CA_DEFINITIONS";
const REPLICATED = [
  `KV_${LEASE_BUCKET}`,
  `KV_${CHECKPOINT_BUCKET}`,
  DEFINITIONS_STREAM,
  "OUT",
];

const scenario: ClusterScenario = {
  description:
    `3 clustered nats-servers (JetStream, replicas 3 for leases, checkpoints, definitions and the sink), 3 hosts, ${CONNECTORS} connectors x ${RECORDS} records; the server leading the lease bucket SIGKILLed: the hosts carry on (no connector moves or stops, leases renewed, records flow), 0 lost`,
  async run(context): Promise<Outcome> {
    const outcome: Outcome = { numbers: [], notes: [], problems: [] };
    const procs: Proc[] = [];
    let nc: TestNats | undefined;
    try {
      await body(context, procs, outcome, (made) => nc = made);
    } catch (error) {
      outcome.problems.push((error as Error).message ?? String(error));
    } finally {
      if (outcome.problems.length > 0) {
        for (const proc of procs) {
          outcome.notes.push(`--- ${proc.name} (last 15 lines)`);
          for (const line of proc.output().trimEnd().split("\n").slice(-15)) {
            outcome.notes.push(`  ${line}`);
          }
        }
      }
      await nc?.close().catch(() => {});
      for (const proc of [...procs].reverse()) {
        await proc.kill();
        await Deno.writeTextFile(
          `${context.dir}/${context.name}-${proc.name}.log`,
          proc.output(),
        ).catch(() => {});
      }
    }
    return outcome;
  },
};
export default scenario;

/**
 * Runs one of the test's own reads of the cluster, again on failure (its
 * connection may be the one on the killed server, moving to another).
 */
async function retried<T>(what: string, read: () => Promise<T>): Promise<T> {
  let last: unknown;
  const found = await waitFor(
    what,
    () =>
      read().then((value) => ({ value }), (error) => {
        last = error;
        return undefined;
      }),
    {
      deadlineMs: 30_000,
      everyMs: 500,
      seen: () => (last as Error)?.message ?? String(last),
    },
  );
  return found.value;
}

async function body(
  context: ScenarioContext,
  procs: Proc[],
  outcome: Outcome,
  connected: (nc: TestNats) => void,
): Promise<void> {
  const { numbers, notes, problems } = outcome;
  const log = context.log;

  // Three servers, clustered.
  const ports = Array.from({ length: SERVERS }, () => freePort());
  const routePorts = Array.from({ length: SERVERS }, () => freePort());
  const urls = ports.map((port) => `nats://127.0.0.1:${port}`);
  const clusterName = `ca_nats_cluster_${context.runId}`;
  const servers: Proc[] = [];
  for (let i = 0; i < SERVERS; i++) {
    const dir = await Deno.makeTempDir({
      dir: context.dir,
      prefix: `nats_cluster-n${i + 1}-`,
    });
    servers.push(
      await startNatsServer(`n${i + 1}`, NATS_SERVER, [
        "-js",
        "-a",
        "127.0.0.1",
        "-p",
        String(ports[i]),
        "-sd",
        dir,
        "-n",
        `n${i + 1}`,
        "--cluster_name",
        clusterName,
        "--cluster",
        `nats://127.0.0.1:${routePorts[i]}`,
        "--routes",
        routePorts.filter((_, j) => j !== i).map((port) =>
          `nats://127.0.0.1:${port}`
        ).join(","),
      ]),
    );
    procs.push(servers[i]!);
  }
  notes.push(
    `servers n1-n3: client ${urls.join(", ")}; routes ${
      routePorts.map((p) => `127.0.0.1:${p}`).join(", ")
    }; cluster ${clusterName}; lease time ${TTL_MS} ms, renewal every ${RENEW_MS} ms or less`,
  );
  const nc = await connectNats(urls);
  connected(nc);
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const { Kvm } = await import("@nats-io/kv");
  const jsm = await waitFor(
    "the JetStream cluster answers (a metadata leader)",
    () => jetstreamManager(nc).catch(() => undefined),
    { deadlineMs: 60_000, everyMs: 500 },
  );

  // The sink stream, replicas 3; the hosts make the rest themselves.
  const started = performance.now();
  await waitFor(
    "the JetStream cluster takes a stream with 3 replicas",
    async () => {
      try {
        await jsm.streams.add({
          name: "OUT",
          subjects: ["out.>"],
          num_replicas: 3,
        });
        return true;
      } catch (error) {
        context.log(`not yet: ${(error as Error).message}`);
        return false;
      }
    },
    { deadlineMs: 60_000, everyMs: 500 },
  );
  numbers.push([
    "JetStream cluster ready, the sink stream made (R3)",
    seconds(performance.now() - started),
  ]);

  // Three hosts, each given every server (rotated).
  const rotated = (
    i: number,
  ) => [...urls.slice(i % SERVERS), ...urls.slice(0, i % SERVERS)];
  const hosts: ServeHost[] = [];
  for (const [i, id] of HOST_IDS.entries()) {
    const servers = rotated(i).join(",") + "?replicas=3";
    const proc = startProcess(id, DENO, [
      "run",
      "-A",
      CA,
      "serve",
      "--hostname",
      "127.0.0.1",
      "--port",
      "0",
      "--cluster",
      servers,
      "--store",
      servers,
      "--host-id",
      id,
      "--lease-ttl",
      TTL_FLAG,
    ], { env: serveEnv() });
    procs.push(proc);
    hosts.push({ ...proc, url: "" });
  }
  for (const host of hosts) host.url = await untilListening(host);
  const [first] = hosts;
  const cluster = (host: ServeHost) =>
    getJson<ClusterView>(host, "/cluster", { timeoutMs: 2_000 });
  const connectors = async (host: ServeHost) =>
    (await getJson<{ connectors: Status[] }>(host, "/connectors", {
      timeoutMs: 2_000,
    })).connectors;
  let view: ClusterView | undefined;
  await waitFor("h1 sees 3 hosts", async () => {
    view = await cluster(first!);
    return view.joined && view.hosts.length === 3;
  }, { seen: () => JSON.stringify(view) });
  log(`3 hosts joined; creating ${CONNECTORS} connectors`);
  const ids = connectorIds(CONNECTORS);
  for (const [i, id] of ids.entries()) {
    await postJson(first!, "/connectors", {
      id,
      config: streamSinkConfig(id, rotated(i), {
        count: RECORDS,
        rate: RATE,
      }),
      start: true,
    });
  }
  let statuses: Status[] = [];
  await waitFor(
    "every connector running, spread over the 3 hosts (seen by h1)",
    async () => {
      statuses = await connectors(first!);
      const counts = countsPerHost(statuses);
      const per = HOST_IDS.map((id) => counts.get(id) ?? 0);
      return statuses.length === CONNECTORS &&
        statuses.every((s) =>
          s.state === "running" && HOST_IDS.includes(s.host!)
        ) && Math.max(...per) - Math.min(...per) <= 1;
    },
    {
      seen: () => JSON.stringify(statuses.map((s) => [s.id, s.host, s.state])),
    },
  );
  const placement = new Map(statuses.map((s) => [s.id, s.host!]));
  numbers.push([
    "connectors per host",
    describeCounts(countsPerHost(statuses)),
  ]);
  for (const name of REPLICATED) {
    const info = await jsm.streams.info(name);
    if (info.config.num_replicas !== 3) {
      problems.push(
        `${name} has ${info.config.num_replicas} replicas once the hosts run, not 3`,
      );
    }
  }
  await sleep(KILL_AFTER_MS);

  // Kill the server that leads the lease bucket.
  const leasesInfo = await jsm.streams.info(`KV_${LEASE_BUCKET}`);
  const leaderName = leasesInfo.cluster?.leader;
  const victim = servers.find((s) => s.name === leaderName);
  if (victim === undefined) {
    throw new Error(
      `no leader of KV_${LEASE_BUCKET} among n1-n3: ${
        JSON.stringify(leasesInfo.cluster)
      }`,
    );
  }
  const leaders: string[] = [];
  for (const name of REPLICATED) {
    const info = await jsm.streams.info(name);
    leaders.push(
      `${name}: leader ${info.cluster?.leader}, replicas ${
        (info.cluster?.replicas ?? []).map((r) =>
          `${r.name}${r.current ? "" : "(behind)"}`
        ).join(",")
      }`,
    );
  }
  notes.push(`before the kill: ${leaders.join("; ")}`);
  const kv = await new Kvm(nc).open(LEASE_BUCKET);
  const readLeases = async () => {
    const found = new Map<string, { holder: string; revision: number }>();
    // The live keys from the stream's subjects: a kv.keys() consumer over
    // keys renewed while it reads can end early.
    const prefix = `$KV.${LEASE_BUCKET}.`;
    const info = await jsm.streams.info(`KV_${LEASE_BUCKET}`, {
      subjects_filter: `${prefix}>`,
    });
    for (const subject of Object.keys(info.state.subjects ?? {})) {
      const key = subject.slice(prefix.length);
      const entry = await kv.get(key);
      if (entry !== null && entry.operation === "PUT") {
        found.set(key, {
          holder: entry.json<{ holder: string }>().holder,
          revision: entry.revision,
        });
      }
    }
    return found;
  };
  const leasesAtKill = await retried(
    "the test reads the lease keys",
    readLeases,
  );
  const outAtKill = await subjectCounts(nc, "OUT", "out");
  const writtenAtKill = new Map<string, number>();
  for (const host of hosts) {
    for (const s of await connectors(host)) {
      if (s.host === host.name) writtenAtKill.set(s.id, s.recordsWritten);
    }
  }
  const direct = hosts[servers.indexOf(victim)]!;
  victim.signal("SIGKILL");
  await victim.status;
  const killedAt = performance.now();
  const since = () => performance.now() - killedAt;
  log(
    `SIGKILLed ${victim.name} (leader of KV_${LEASE_BUCKET}; ${direct.name} was connected to it)`,
  );
  numbers.push([
    "server killed",
    `${victim.name}: leader of KV_${LEASE_BUCKET}; ${direct.name} was given its URL`,
  ]);

  // Watch every host for 5 lease times.
  const changes: string[] = [];
  const errors: string[] = [];
  /** A connector restarted from its checkpoint on its own host (a store or sink call failed during the election). */
  const recoveries: string[] = [];
  const seenChange = new Set<string>();
  const change = (text: string, into = changes) => {
    if (seenChange.has(text)) return;
    seenChange.add(text);
    into.push(`${seconds(since())} ${text}`);
  };
  let lastTotal = [...outAtKill.values()].reduce((a, b) => a + b, 0);
  let lastGrowth = 0;
  let longestPause = 0;
  let polls = 0;
  while (since() < WATCH_MS) {
    polls++;
    await Promise.all(hosts.map(async (host) => {
      try {
        const [list, seen] = await Promise.all([
          connectors(host),
          cluster(host),
        ]);
        if (!seen.joined || seen.hosts.length !== 3) {
          change(
            `${host.name}: joined ${seen.joined}, ${seen.hosts.length} hosts, error ${seen.error}`,
          );
        } else if (seen.error !== null) {
          // A renewal that failed while the leases are still trusted.
          change(`${host.name} (joined): ${seen.error}`, errors);
        }
        for (const s of list) {
          if (s.host === placement.get(s.id) && s.state !== "running") {
            change(
              `${host.name} lists ${s.id} on ${s.host} ${s.state}${
                s.error === null ? "" : ` (${s.error.code}: ${s.error.message})`
              }`,
              recoveries,
            );
          } else if (s.host !== placement.get(s.id)) {
            change(
              `${host.name} lists ${s.id} on ${s.host} ${s.state}${
                s.error === null ? "" : ` (${s.error.code}: ${s.error.message})`
              }`,
            );
          }
        }
      } catch (error) {
        change(`${host.name}'s API: ${(error as Error).message}`);
      }
    }));
    try {
      const counts = await subjectCounts(nc, "OUT", "out");
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      const now = since();
      if (total > lastTotal) {
        longestPause = Math.max(longestPause, now - lastGrowth);
        lastGrowth = now;
        lastTotal = total;
      }
    } catch (error) {
      change(`the test's own read of OUT: ${(error as Error).message}`, errors);
    }
    await sleep(POLL_MS);
  }
  longestPause = Math.max(longestPause, since() - lastGrowth);
  const leasesAfter = await retried(
    "the test reads the lease keys",
    readLeases,
  );
  const outAfter = await retried(
    "the test reads OUT",
    () => subjectCounts(nc, "OUT", "out"),
  );
  const writtenAfter = new Map<string, number>();
  for (const host of hosts) {
    for (const s of await connectors(host)) {
      if (s.host === host.name) writtenAfter.set(s.id, s.recordsWritten);
    }
  }
  numbers.push([
    `watched after the kill`,
    `${
      seconds(since())
    }, ${polls} polls of the 3 hosts' GET /connectors and GET /cluster`,
  ]);
  numbers.push([
    "changes seen (host, state, membership)",
    changes.length === 0 ? "none" : changes.length,
  ]);
  for (const line of changes.slice(0, 30)) notes.push(`change: ${line}`);
  numbers.push([
    "errors while joined (GET /cluster error; the test's reads)",
    errors.length === 0 ? "none" : errors.length,
  ]);
  for (const line of errors.slice(0, 10)) {
    notes.push(`error while joined: ${line}`);
  }
  numbers.push([
    "restarts on the same host during the election",
    recoveries.length === 0 ? "none" : recoveries.length,
  ]);
  for (const line of recoveries.slice(0, 10)) notes.push(`restart: ${line}`);
  // Whatever restarted, every connector runs where it ran, as every host says.
  let settled: string[] = [];
  await waitFor(
    "every connector running where it ran, as every host says",
    async () => {
      settled = [];
      for (const host of hosts) {
        for (const s of await connectors(host)) {
          if (s.host !== placement.get(s.id) || s.state !== "running") {
            settled.push(`${host.name}: ${s.id} on ${s.host} ${s.state}`);
          }
        }
      }
      return settled.length === 0;
    },
    { deadlineMs: 30_000, everyMs: 500, seen: () => settled.join("; ") },
  ).catch((error) => problems.push((error as Error).message));
  if (changes.length > 0) {
    problems.push(
      `the hosts did not carry on unchanged after ${victim.name} was killed: ${
        changes.slice(0, 5).join("; ")
      }${changes.length > 5 ? ` (and ${changes.length - 5} more)` : ""}`,
    );
  }
  // Leases: the same keys and holders, every revision moved on.
  const leaseLines: string[] = [];
  for (const [key, at] of leasesAtKill) {
    const after = leasesAfter.get(key);
    leaseLines.push(`${key}@${at.revision}->${after?.revision ?? "gone"}`);
    if (after === undefined || after.holder !== at.holder) {
      problems.push(
        `lease ${key} of ${at.holder} at the kill is ${
          after === undefined ? "gone" : `held by ${after.holder}`
        } ${seconds(WATCH_MS)} later`,
      );
    } else if (after.revision <= at.revision) {
      problems.push(
        `lease ${key} was not renewed after the kill (revision ${at.revision})`,
      );
    }
  }
  for (const key of leasesAfter.keys()) {
    if (!leasesAtKill.has(key)) {
      problems.push(`a new lease ${key} appeared after the kill`);
    }
  }
  numbers.push([
    "lease keys (revision at the kill -> after the watch)",
    `${leasesAtKill.size}: ${leaseLines.join(" ")}`,
  ]);
  const flow: string[] = [];
  for (const id of ids) {
    const grew = (outAfter.get(id) ?? 0) - (outAtKill.get(id) ?? 0);
    const wrote = (writtenAfter.get(id) ?? 0) - (writtenAtKill.get(id) ?? 0);
    flow.push(`${id}=+${grew}`);
    if (grew <= 0 || wrote <= 0) {
      problems.push(
        `${id} moved no record during the watch (OUT +${grew}, recordsWritten +${wrote})`,
      );
    }
  }
  numbers.push([
    `records into OUT during the ${seconds(WATCH_MS)} watch`,
    flow.join(" "),
  ]);
  numbers.push([
    "longest pause of OUT's growth after the kill",
    seconds(longestPause),
  ]);

  // Every record, in the end.
  log("waiting for every connector's records");
  let counts = await subjectCounts(nc, "OUT", "out");
  let full = new Map<string, { rows: number; distinct: number; max: number }>();
  await waitFor(
    `${RECORDS} distinct ids of every connector in OUT`,
    async () => {
      counts = await retried(
        "the test reads OUT",
        () => subjectCounts(nc, "OUT", "out"),
      );
      if (!ids.every((id) => (counts.get(id) ?? 0) >= RECORDS)) return false;
      full = await retried(
        "the test reads OUT",
        () => sinkCounts(nc, "OUT", "out"),
      );
      return ids.every((id) => (full.get(id)?.distinct ?? 0) >= RECORDS);
    },
    {
      deadlineMs: 60_000,
      everyMs: 1_000,
      seen: () => ids.map((id) => `${id}=${counts.get(id) ?? 0}`).join(" "),
    },
  );
  // Anything still in flight lands now, or never.
  await sleep(2_000);
  full = await retried(
    "the test reads OUT",
    () => sinkCounts(nc, "OUT", "out"),
  );
  tallySink(full, ids, RECORDS, outcome, {
    sink: "OUT",
    duplicates: "duplicates (at-least-once sink)",
  });
  const after: string[] = [];
  for (const name of REPLICATED) {
    const info = await retried(
      `the test reads ${name}`,
      () => jsm.streams.info(name),
    );
    after.push(
      `${name}: R${info.config.num_replicas}, leader ${info.cluster?.leader}`,
    );
  }
  notes.push(`at the end: ${after.join("; ")}`);
}
