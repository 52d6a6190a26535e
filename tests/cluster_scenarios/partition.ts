// Copyright 2026 the @ca/streams authors. MIT license.
// The partition scenario: hosts that really talk over a network. As root,
// the test makes a private network (tests/cluster_scenarios/_netns.ts): a
// bridge and four network namespaces on a 10.231.X.0/24 of its own, one
// for a nats-server of the run's own (JetStream, bound to its veth
// address), one for each of three `ca serve` hosts (--cluster and --store
// on that server: leases, definitions and checkpoints on NATS alone). Six
// connectors move records (generate, paced) into a JetStream stream `OUT`
// on the same server, which the test reads from the root namespace
// through the bridge.
//
// Then it cuts one host's link (its veth end on the bridge goes down) and
// measures and checks:
// - the cut host stops its copies: its own GET /connectors, asked from
//   inside its namespace, shows none running there within the lease time
//   plus one renewal period of the cut;
// - the two others run its connectors within the lease time + 2 s;
// then it restores the link: the host rejoins (GET /cluster shows 3
// hosts) and the counts rebalance (2/2/2); in the end every connector's
// records are all in `OUT` (0 lost; duplicates counted: the sink is
// at-least-once).
//
// Only loopback and the addresses the test made carry the hosts' and the
// server's traffic: the namespaces have no other interface and no default
// route. Everything is removed afterwards, on failure too.

import {
  type ClusterScenario,
  type ClusterView,
  connectorIds,
  countsPerHost,
  describeCounts,
  NATS_SERVER,
  type Outcome,
  RENEW_MS,
  type ScenarioContext,
  seconds,
  sleep,
  type Status,
  tallySink,
  TTL_FLAG,
  TTL_MS,
  waitFor,
} from "./_harness.ts";
import {
  checkNetnsUsable,
  connectNats,
  getJson,
  postJson,
  PrivateNetwork,
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
const HOST_IDS = ["h1", "h2", "h3"];
const CONNECTORS = 6;
const RECORDS = 8_000;
/** Records per second per connector: an uninterrupted run lasts 40 s. */
const RATE = 200;
/** The cut lands this long after every connector runs. */
const CUT_AFTER_MS = 5_000;
/** How long the partition lasts at least after the takeover is seen. */
const HOLD_MS = 2_000;
const NATS_PORT = 4222;
const API_PORT = 8080;
const POLL_MS = 100;

/** States in which a connector's copy runs (or is about to) on its host. */
const ACTIVE = new Set(["activating", "running", "deactivating"]);

const scenario: ClusterScenario = {
  description:
    `3 hosts in their own network namespaces, a nats-server of the run's own on a veth address (leases, definitions, checkpoints and the sink), ${CONNECTORS} connectors x ${RECORDS} records; one host's link cut: it stops its copies, the others take its connectors within the lease time + 2 s; link restored: it rejoins and the counts rebalance; 0 lost`,
  async run(context): Promise<Outcome> {
    const outcome: Outcome = { numbers: [], notes: [], problems: [] };
    const procs: Proc[] = [];
    let network: PrivateNetwork | undefined;
    let nc: TestNats | undefined;
    try {
      await checkNetnsUsable("partition");
      network = await PrivateNetwork.create(["nats", ...HOST_IDS]);
      await body(context, network, procs, outcome, (made) => nc = made);
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
      await network?.close().catch((error) =>
        outcome.problems.push(String(error))
      );
    }
    return outcome;
  },
};
export default scenario;

async function body(
  context: ScenarioContext,
  network: PrivateNetwork,
  procs: Proc[],
  outcome: Outcome,
  connected: (nc: TestNats) => void,
): Promise<void> {
  const { numbers, notes, problems } = outcome;
  const log = context.log;
  notes.push(`network: ${network.describe()}`);

  // The run's nats-server, inside its namespace, on its veth address.
  const natsNode = network.node("nats");
  const natsUrl = `nats://${natsNode.address}:${NATS_PORT}`;
  const storeDir = await Deno.makeTempDir({
    dir: context.dir,
    prefix: "partition-nats-",
  });
  procs.push(
    await startNatsServer("nats", NATS_SERVER, [
      "-js",
      "-a",
      natsNode.address,
      "-p",
      String(NATS_PORT),
      "-sd",
      storeDir,
      "-n",
      `ca-partition-${context.runId}`,
    ], { ns: natsNode.ns }),
  );
  const nc = await connectNats([natsUrl]);
  connected(nc);
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "OUT", subjects: ["out.>"] });
  notes.push(
    `nats-server ${natsUrl} in netns ${natsNode.ns} (store ${storeDir}); leases, definitions, checkpoints and the sink stream OUT there; lease time ${TTL_MS} ms, renewal every ${RENEW_MS} ms`,
  );

  // Three hosts, each in its namespace, its API on its own address.
  const hosts: ServeHost[] = [];
  for (const id of HOST_IDS) {
    const node = network.node(id);
    const proc = startProcess(id, DENO, [
      "run",
      "-A",
      CA,
      "serve",
      "--hostname",
      node.address,
      "--port",
      String(API_PORT),
      "--cluster",
      natsUrl,
      "--store",
      natsUrl,
      "--host-id",
      id,
      "--lease-ttl",
      TTL_FLAG,
    ], { ns: node.ns, env: serveEnv() });
    procs.push(proc);
    hosts.push({ ...proc, ns: node.ns, url: "" });
  }
  for (const host of hosts) host.url = await untilListening(host);
  const [first] = hosts;
  const cluster = (host: ServeHost, fromInside = false) =>
    getJson<ClusterView>(host, "/cluster", { fromInside, timeoutMs: 2_000 });
  const connectors = async (host: ServeHost, fromInside = false) =>
    (await getJson<{ connectors: Status[] }>(host, "/connectors", {
      fromInside,
      timeoutMs: 2_000,
    })).connectors;
  let view: ClusterView | undefined;
  await waitFor("h1 sees 3 hosts", async () => {
    view = await cluster(first!);
    return view.joined && view.hosts.length === 3;
  }, { seen: () => JSON.stringify(view) });
  log(
    `3 hosts joined over ${network.prefix}.0/24; creating ${CONNECTORS} connectors`,
  );

  const ids = connectorIds(CONNECTORS);
  for (const id of ids) {
    await postJson(first!, "/connectors", {
      id,
      config: streamSinkConfig(id, natsUrl, { count: RECORDS, rate: RATE }),
      start: true,
    });
  }
  const balanced = (statuses: Status[], hostIds: string[]) => {
    const counts = countsPerHost(statuses);
    const per = hostIds.map((id) => counts.get(id) ?? 0);
    return statuses.length === CONNECTORS &&
      statuses.every((s) =>
        s.state === "running" && hostIds.includes(s.host!)
      ) &&
      Math.max(...per) - Math.min(...per) <= 1;
  };
  let statuses: Status[] = [];
  await waitFor(
    "every connector running, spread over the 3 hosts (seen by h1)",
    async () => balanced(statuses = await connectors(first!), HOST_IDS),
    {
      seen: () => JSON.stringify(statuses.map((s) => [s.id, s.host, s.state])),
    },
  );
  numbers.push([
    "connectors per host before the cut",
    describeCounts(countsPerHost(statuses)),
  ]);
  await sleep(CUT_AFTER_MS);

  // Cut h3 off.
  const victim = hosts[2]!;
  const survivors = hosts.slice(0, 2);
  const own = (await connectors(victim)).filter((s) =>
    s.host === victim.name && ACTIVE.has(s.state)
  ).map((s) => s.id);
  if (own.length === 0) {
    throw new Error(`${victim.name} runs no connector before the cut`);
  }
  const atCut = await subjectCounts(nc, "OUT", "out");
  await network.cut(victim.name);
  const cutAt = performance.now();
  const since = () => performance.now() - cutAt;
  log(
    `cut ${victim.name}'s link (${
      network.node(victim.name).link
    } down); it ran ${own.join(", ")}`,
  );
  numbers.push([
    `connectors of ${victim.name} at the cut`,
    `${own.length} (${own.join(", ")})`,
  ]);
  numbers.push([
    "their records in OUT at the cut",
    own.map((id) => `${id}=${atCut.get(id) ?? 0}`).join(" "),
  ]);

  // Both sides, polled together: the cut host's own view (from inside its
  // namespace) and the survivors' (from here, through the bridge).
  let stoppedAt: number | undefined;
  /** When the cut host itself says it left the cluster (GET /cluster joined false). */
  let leftAt: number | undefined;
  let victimView: Status[] = [];
  let victimCluster: ClusterView | undefined;
  const takenAt = new Map<string, { host: string; ms: number }>();
  // What the cut host says of its connectors, each change with its time.
  const timeline: string[] = [];
  const lastSeen = new Map<string, string>();
  await waitFor(
    `${victim.name} stops its copies and the others run its connectors`,
    async () => {
      await Promise.all([
        (async () => {
          if (stoppedAt !== undefined) return;
          const [list, self] = await Promise.all([
            connectors(victim, true),
            leftAt === undefined ? cluster(victim, true) : undefined,
          ]);
          victimView = list;
          const ms = since();
          if (self !== undefined && !self.joined) leftAt = ms;
          for (const s of victimView.filter((s) => own.includes(s.id))) {
            const now = `${s.host ?? "none"}/${s.state}`;
            if (lastSeen.get(s.id) !== now) {
              lastSeen.set(s.id, now);
              timeline.push(`${seconds(ms)} ${s.id} ${now}`);
            }
          }
          if (
            !victimView.some((s) =>
              s.host === victim.name && ACTIVE.has(s.state)
            )
          ) {
            stoppedAt = ms;
            victimCluster = await cluster(victim, true).catch(() => undefined);
          }
        })(),
        ...survivors.map(async (host) => {
          for (const s of await connectors(host)) {
            if (
              own.includes(s.id) && s.host === host.name &&
              s.state === "running" && !takenAt.has(s.id)
            ) takenAt.set(s.id, { host: host.name, ms: since() });
          }
        }),
      ]);
      return stoppedAt !== undefined && takenAt.size === own.length;
    },
    {
      deadlineMs: 60_000,
      everyMs: POLL_MS,
      seen: () =>
        `${victim.name} lists ${
          JSON.stringify(victimView.map((s) => [s.id, s.host, s.state]))
        }; taken ${JSON.stringify([...takenAt])}`,
    },
  );
  const stopBound = TTL_MS + RENEW_MS;
  numbers.push([
    `cut -> ${victim.name}'s own GET /cluster says joined: false`,
    leftAt === undefined ? "not seen" : seconds(leftAt),
  ]);
  numbers.push([
    `cut -> ${victim.name}'s own API shows none running there`,
    `${seconds(stoppedAt!)} (bound: lease time + one renewal ${
      seconds(stopBound)
    })`,
  ]);
  if (stoppedAt! > stopBound + POLL_MS) {
    problems.push(
      `${victim.name} still ran a copy ${
        seconds(stoppedAt!)
      } after its link was cut: more than the lease time + one renewal period (${
        seconds(stopBound)
      })`,
    );
  }
  notes.push(
    `${victim.name}'s own view of its connectors after the cut (host/state, each change): ${
      timeline.join("; ")
    }`,
  );
  notes.push(
    `${victim.name} while cut off lists ${
      describeCounts(countsPerHost(victimView))
    } (states ${
      [...new Set(victimView.map((s) => s.state))].join(", ")
    }); its GET /cluster: ${
      victimCluster === undefined ? "no answer" : JSON.stringify({
        joined: victimCluster.joined,
        error: victimCluster.error,
        hosts: victimCluster.hosts.map((h) => h.id),
      })
    }`,
  );
  const times = own.map((id) => takenAt.get(id)!.ms);
  const worst = Math.max(...times);
  numbers.push([
    "cut -> running on another host (each, its new host's API)",
    `min ${seconds(Math.min(...times))}, max ${seconds(worst)} (bound ${
      seconds(TTL_MS + 2_000)
    })`,
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
      `a connector of ${victim.name} ran elsewhere only ${
        seconds(worst)
      } after the cut: more than the lease time + 2 s (${
        seconds(TTL_MS + 2_000)
      })`,
    );
  }
  await sleep(HOLD_MS);
  const during = await connectors(first!);
  numbers.push([
    "connectors per host during the partition (h1's view)",
    describeCounts(countsPerHost(during)),
  ]);
  const stillCut = await connectors(victim, true);
  if (stillCut.some((s) => s.host === victim.name && ACTIVE.has(s.state))) {
    problems.push(
      `${victim.name} runs a copy again while still cut off: ${
        JSON.stringify(stillCut.map((s) => [s.id, s.host, s.state]))
      }`,
    );
  }

  // Restore the link: the host rejoins and takes its share again.
  await network.restore(victim.name);
  const restoredAt = performance.now();
  const sinceRestore = () => performance.now() - restoredAt;
  log(`restored ${victim.name}'s link`);
  let rejoinedMs: number | undefined;
  await waitFor(
    `${victim.name} rejoins and the counts rebalance to 2/2/2 (seen by h1)`,
    async () => {
      if (rejoinedMs === undefined) {
        view = await cluster(first!);
        const self = await cluster(victim);
        if (view.hosts.length === 3 && self.joined && self.hosts.length === 3) {
          rejoinedMs = sinceRestore();
        }
      }
      statuses = await connectors(first!);
      return rejoinedMs !== undefined && balanced(statuses, HOST_IDS);
    },
    {
      deadlineMs: 60_000,
      everyMs: POLL_MS,
      seen: () =>
        `${JSON.stringify(view)}; ${
          JSON.stringify(statuses.map((s) => [s.id, s.host, s.state]))
        }`,
    },
  );
  const rebalancedMs = sinceRestore();
  numbers.push([
    `restore -> ${victim.name} rejoined (GET /cluster of h1 and of itself)`,
    seconds(rejoinedMs!),
  ]);
  numbers.push([
    "restore -> counts rebalanced (h1's view)",
    `${seconds(rebalancedMs)}: ${describeCounts(countsPerHost(statuses))}`,
  ]);
  const atRebalance = await subjectCounts(nc, "OUT", "out");
  if (ids.every((id) => (atRebalance.get(id) ?? 0) >= RECORDS)) {
    notes.push(
      "every connector had finished before the rebalance: it moved no running connector",
    );
  }

  // Every record, in the end.
  log("waiting for every connector's records");
  let counts = await subjectCounts(nc, "OUT", "out");
  let full = new Map<string, { rows: number; distinct: number; max: number }>();
  await waitFor(
    `${RECORDS} distinct ids of every connector in OUT`,
    async () => {
      counts = await subjectCounts(nc, "OUT", "out");
      if (!ids.every((id) => (counts.get(id) ?? 0) >= RECORDS)) return false;
      full = await sinkCounts(nc, "OUT", "out");
      return ids.every((id) => (full.get(id)?.distinct ?? 0) >= RECORDS);
    },
    {
      deadlineMs: 120_000,
      everyMs: 1_000,
      seen: () => ids.map((id) => `${id}=${counts.get(id) ?? 0}`).join(" "),
    },
  );
  await sleep(2 * RENEW_MS);
  full = await sinkCounts(nc, "OUT", "out");
  tallySink(full, ids, RECORDS, outcome, {
    sink: "OUT",
    duplicates: "duplicates (at-least-once sink)",
  });
  const final = await connectors(first!);
  notes.push(
    `at the end h1 lists: ${describeCounts(countsPerHost(final))}; states ${
      [...new Set(final.map((s) => s.state))].join(", ")
    }`,
  );
  for (const s of final.filter((s) => s.error !== null)) {
    notes.push(`${s.id} reports error ${s.error!.code}: ${s.error!.message}`);
  }
}
