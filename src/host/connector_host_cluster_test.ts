// Copyright 2026 the @ca/streams authors. MIT license.
// Several hosts in one process share connectors through one memory lease
// engine and one definition store; one FakeRunner counts every run, so
// `maxLive` tells whether a connector ever ran twice at once.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { LeaseEngine } from "../cluster/lease_engine.ts";
import { memoryLeaseEngine } from "../cluster/memory_lease_engine.ts";
import type { DefinitionStore } from "../definition_store/definition_store.ts";
import { memoryDefinitionStore } from "../definition_store/memory_definition_store.ts";
import { FakeRunner } from "./_fake_runner.ts";
import { ConnectorHost } from "./connector_host.ts";

const TTL_MS = 400;
const RENEW_MS = 40;

interface Cluster {
  definitions: DefinitionStore;
  leases: LeaseEngine;
  runner: FakeRunner;
  hosts: Map<string, ConnectorHost>;
  join(
    id: string,
    options?: { labels?: string[]; leases?: LeaseEngine; log?: string[] },
  ): Promise<ConnectorHost>;
  stop(): Promise<void>;
}

function cluster(): Cluster {
  const definitions = memoryDefinitionStore();
  const leases = memoryLeaseEngine({ ttlMs: TTL_MS });
  const runner = new FakeRunner();
  const hosts = new Map<string, ConnectorHost>();
  return {
    definitions,
    leases,
    runner,
    hosts,
    async join(id, options = {}) {
      const host = new ConnectorHost({
        definitions,
        runner,
        ...(options.log === undefined ? {} : {
          clusterLog: (level: string, message: string) =>
            options.log!.push(`${level}: ${message}`),
        }),
        cluster: {
          leases: options.leases ?? leases,
          hostId: id,
          labels: options.labels,
          renewEveryMs: RENEW_MS,
        },
      });
      hosts.set(id, host);
      await host.start();
      return host;
    },
    async stop() {
      await Promise.all([...hosts.values()].map((host) => host.stop()));
      await leases.close();
    },
  };
}

async function api(
  host: ConnectorHost,
  method: string,
  path: string,
  body?: unknown,
  // deno-lint-ignore no-explicit-any -- JSON answers, read field by field
): Promise<{ status: number; body: Record<string, any> }> {
  const response = await host.fetch(
    new Request(`http://host${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  const text = await response.text();
  return { status: response.status, body: text === "" ? {} : JSON.parse(text) };
}

async function create(
  host: ConnectorHost,
  count: number,
  config: Record<string, unknown> = { processors: [] },
): Promise<string[]> {
  const ids = Array.from(
    { length: count },
    (_, i) => `c${String(i).padStart(2, "0")}`,
  );
  for (const id of ids) {
    const created = await api(host, "POST", "/connectors", {
      id,
      config,
      start: true,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  }
  return ids;
}

async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Connectors live per host, as the runs say (the truth, not the API). */
function liveByHost(c: Cluster): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [hostId, host] of c.hosts) {
    counts[hostId] = host.connectors().filter((status) =>
      status.host === hostId && status.state === "running"
    ).length;
  }
  return counts;
}

function liveRuns(c: Cluster): number {
  return c.runner.runs.filter((run) => run.live).length;
}

function everyRunOnce(c: Cluster, ids: string[]): void {
  for (const id of ids) {
    assert.equal(c.runner.maxLive.get(id), 1, `${id} ran twice at once`);
  }
}

test("hosts of a cluster run each enabled connector once, spread evenly, and any host shows where", async () => {
  const c = cluster();
  try {
    const a = await c.join("a");
    await c.join("b");
    await c.join("c");
    const ids = await create(a, 12);
    await waitFor("12 running, 4 per host", () => {
      const counts = liveByHost(c);
      return liveRuns(c) === 12 &&
        Object.values(counts).every((count) => count === 4);
    });
    everyRunOnce(c, ids);
    // Every host answers for the whole cluster (once its loop saw the leases).
    await waitFor(
      "every host knows where each runs",
      () =>
        [...c.hosts.values()].every((host) =>
          host.connectors().every((status) => status.host !== null)
        ),
    );
    for (const host of c.hosts.values()) {
      const listed = await api(host, "GET", "/connectors");
      assert.equal(listed.body.connectors.length, 12);
      for (const status of listed.body.connectors) {
        assert.ok(["a", "b", "c"].includes(status.host), status.host);
        assert.equal(c.runner.live(status.id).length, 1);
      }
    }
    await waitFor("the others' statuses say running", async () => {
      const listed = await api(a, "GET", "/connectors");
      return listed.body.connectors.every((status: { state: string }) =>
        status.state === "running"
      );
    });
    const view = await api(a, "GET", "/cluster");
    assert.equal(view.status, 200);
    assert.equal(view.body.host, "a");
    assert.deepEqual(
      view.body.hosts.map((host: { id: string; connectors: number }) => [
        host.id,
        host.connectors,
      ]),
      [["a", 4], ["b", 4], ["c", 4]],
    );
  } finally {
    await c.stop();
  }
});

test("a host that joins takes its share through graceful handoffs: 8/8/7/7", async () => {
  const c = cluster();
  try {
    const a = await c.join("a");
    await c.join("b");
    await c.join("c");
    const ids = await create(a, 30);
    await waitFor("30 running", () => liveRuns(c) === 30);
    const runsBefore = c.runner.runs.length;
    await c.join("d");
    await waitFor("8/8/7/7", () => {
      const counts = Object.values(liveByHost(c)).sort();
      return liveRuns(c) === 30 && counts.join() === "7,7,8,8";
    });
    everyRunOnce(c, ids);
    // Each host that gained a lease fenced the previous holder first.
    for (const id of ids) {
      const calls = c.runner.calls.filter((call) => call.endsWith(` ${id}`));
      assert.deepEqual(
        calls.filter((_, i) => i % 2 === 0),
        calls.filter((call) => call.startsWith("fence")),
        `${id}: ${calls}`,
      );
    }
    const moved = c.runner.runs.slice(runsBefore);
    assert.equal(moved.length, 7, "only d's share moved");
    const handedOver = c.runner.runs.filter((run) => run.endedBy !== undefined);
    assert.equal(handedOver.length, 7);
    assert.ok(
      handedOver.every((run) => run.endedBy === "stop"),
      "a planned handoff stops gracefully",
    );
  } finally {
    await c.stop();
  }
});

test("a host that stops hands its connectors over; one that falls silent loses them when its leases expire", async () => {
  const c = cluster();
  // Host c talks to the engine through a switch that can cut it off.
  let cut = false;
  const switched: LeaseEngine = {
    ttlMs: c.leases.ttlMs,
    acquire: (...args) =>
      cut ? Promise.reject(new Error("cut off")) : c.leases.acquire(...args),
    renew: (...args) =>
      cut ? Promise.reject(new Error("cut off")) : c.leases.renew(...args),
    release: (...args) =>
      cut ? Promise.reject(new Error("cut off")) : c.leases.release(...args),
    list: (...args) =>
      cut ? Promise.reject(new Error("cut off")) : c.leases.list(...args),
    close: () => Promise.resolve(),
  };
  try {
    const a = await c.join("a");
    const b = await c.join("b");
    const said: string[] = [];
    const silent = await c.join("c", { leases: switched, log: said });
    const ids = await create(a, 9);
    await waitFor("3/3/3", () =>
      liveRuns(c) === 9 &&
      Object.values(liveByHost(c)).join() === "3,3,3");
    // b stops (a SIGTERM): its three go to a and c, stopped gracefully first.
    await b.stop();
    c.hosts.delete("b");
    await waitFor(
      "9 on a and c",
      () =>
        liveRuns(c) === 9 && Object.values(liveByHost(c)).join() === "5,4" ||
        Object.values(liveByHost(c)).join() === "4,5",
    );
    everyRunOnce(c, ids);
    // c falls silent: its runs end once its leases cannot be trusted, and a
    // takes them once they expired.
    const onC = silent.connectors().filter((status) => status.host === "c")
      .map((status) => status.id);
    cut = true;
    await waitFor(
      "all 9 on a",
      () => liveRuns(c) === 9 && liveByHost(c).a === 9,
    );
    everyRunOnce(c, ids);
    for (const id of onC) {
      const ended = c.runner.runs.filter((run) =>
        run.id === id && run.endedBy !== undefined
      );
      assert.ok(
        ended.some((run) => run.endedBy === "abort"),
        `${id}: c aborted it when its lease ran out`,
      );
      assert.equal(
        ended.at(-1)?.context?.holdsLease?.(),
        false,
        `${id}: the runner was told the lease is gone`,
      );
    }
    // And it said so, for its operator.
    assert.ok(said.includes("info: joined the cluster as host c"), `${said}`);
    for (const id of onC) {
      assert.ok(
        said.some((line) =>
          line.startsWith(`error: connector ${id}: lost its lease`)
        ),
        `${said}`,
      );
    }
  } finally {
    cut = false;
    await c.stop();
  }
});

test("stop, reset and delete work from any host of the cluster", async () => {
  const c = cluster();
  try {
    const a = await c.join("a");
    const b = await c.join("b");
    const [first, second] = await create(a, 2);
    await waitFor("both running", () => liveRuns(c) === 2);
    // Whichever host runs them, b stops them.
    for (const id of [first, second]) {
      const stopped = await api(b, "POST", `/connectors/${id}/stop`);
      assert.equal(stopped.status, 200);
    }
    await waitFor("none running", () => liveRuns(c) === 0);
    await waitFor(
      "no leases left",
      async () => (await c.leases.list("connector/")).length === 0,
    );
    const reset = await api(a, "POST", `/connectors/${first}/reset`, {
      position: 5,
    });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    assert.deepEqual(c.runner.resets, [{ id: first, position: 5 }]);
    const deleted = await api(b, "DELETE", `/connectors/${second}`);
    assert.equal(deleted.status, 204);
    await waitFor(
      "a forgets it",
      () => a.connectors().every((status) => status.id !== second),
    );
    // Started again from a, it runs on one of them.
    const started = await api(a, "POST", `/connectors/${first}/start`);
    assert.equal(started.status, 200);
    await waitFor("running again", () => c.runner.live(first).length === 1);
    // A reset of a running one is refused wherever it runs.
    const refused = await api(b, "POST", `/connectors/${first}/reset`, {});
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, "CA_ERR_HOST_NOT_STOPPED");
  } finally {
    await c.stop();
  }
});

test("affinity labels keep a connector on hosts that have them", async () => {
  const c = cluster();
  try {
    const a = await c.join("a", { labels: ["eu"] });
    await c.join("b", { labels: ["us"] });
    const ids = await create(a, 4, {
      processors: [],
      placement: { labels: ["us"] },
    });
    await waitFor("4 on b", () => liveRuns(c) === 4 && liveByHost(c).b === 4);
    everyRunOnce(c, ids);
  } finally {
    await c.stop();
  }
});

test("a host id in use is refused until its lease expires", async () => {
  const c = cluster();
  try {
    await c.join("a");
    const twin = new ConnectorHost({
      definitions: c.definitions,
      runner: c.runner,
      cluster: { leases: c.leases, hostId: "a", renewEveryMs: RENEW_MS },
    });
    await twin.start();
    const view = await api(twin, "GET", "/cluster");
    assert.equal(view.body.joined, false);
    assert.match(view.body.error, /host id "a" is held by a live lease/);
    await twin.stop();
  } finally {
    await c.stop();
  }
});

test("a cluster option with a wrong shape is refused", () => {
  const definitions = memoryDefinitionStore();
  const runner = new FakeRunner();
  const leases = memoryLeaseEngine({ ttlMs: 1000 });
  assert.throws(
    () =>
      new ConnectorHost({
        definitions,
        runner,
        cluster: { leases, hostId: "no spaces" },
      }),
    /cluster\.hostId must be 1-100 characters/,
  );
  assert.throws(
    () =>
      new ConnectorHost({
        definitions,
        runner,
        cluster: { leases, hostId: "a", renewEveryMs: 600 },
      }),
    /renewEveryMs must be a number above 0 and at most half the lease time \(1000 ms\)/,
  );
});

test("a connector with parallelism runs its instances on different hosts, each once, and stops as one", async () => {
  const c = cluster();
  try {
    const a = await c.join("a");
    await c.join("b");
    await c.join("c");
    const [id] = await create(a, 1, { processors: [], parallelism: 3 });
    const liveInstances = () =>
      c.runner.runs.filter((run) => run.live).map((run) =>
        run.context?.instance?.index
      ).sort();
    await waitFor("3 instances live", () => liveInstances().join() === "0,1,2");
    // Each on its own host, as any host's API says.
    await waitFor(
      "every host shows the 3 instances on 3 hosts",
      () =>
        [...c.hosts.values()].every((host) => {
          const [status] = host.connectors();
          return status.state === "running" &&
            new Set(status.instances?.map((one) => one.host)).size === 3 &&
            status.instances!.every((one) => one.state === "running");
        }),
    );
    const [status] = a.connectors();
    assert.equal(status.host, null);
    assert.deepEqual(status.instances!.map((one) => one.index), [0, 1, 2]);
    for (const run of c.runner.runs) {
      assert.equal(run.id, id, "the runner is given the connector's id");
      assert.equal(run.context?.instance?.count, 3);
    }
    // A host stops: its instance goes to another host, which then runs two.
    const counts = () => {
      const perHost = new Map<string, number>();
      for (const one of a.connectors()[0].instances ?? []) {
        if (one.state === "running" && one.host !== null) {
          perHost.set(one.host, (perHost.get(one.host) ?? 0) + 1);
        }
      }
      return [...perHost.values()].sort().join();
    };
    await c.hosts.get("c")!.stop();
    c.hosts.delete("c");
    await waitFor(
      "3 instances on 2 hosts",
      () => liveInstances().join() === "0,1,2" && counts() === "1,2",
    );
    // No instance ever ran twice at once.
    assert.ok(c.runner.runs.length >= 4, "c's instance started again");
    for (const index of [0, 1, 2]) {
      assert.equal(
        c.runner.maxLive.get(`${id}#${index}`),
        1,
        `instance ${index}`,
      );
    }
    // Stopped from any host: every instance stops, gracefully.
    const stopped = await api(a, "POST", `/connectors/${id}/stop`);
    assert.equal(stopped.status, 200);
    await waitFor("no instance live", () => liveInstances().length === 0);
    assert.ok(
      c.runner.runs.every((run) => run.endedBy === "stop"),
      "every instance was stopped, none aborted",
    );
    await waitFor(
      "no leases left",
      async () => (await c.leases.list("connector/")).length === 0,
    );
  } finally {
    await c.stop();
  }
});

test("an instance's failure is recorded in its connector's history, and it recovers alone", async () => {
  const c = cluster();
  try {
    const a = await c.join("a");
    await c.join("b");
    c.runner.script = (_id, attempt) =>
      attempt === 2
        ? {
          fail: { code: "ECONNRESET", message: "lost it", transient: true },
          at: "run",
        }
        : undefined;
    const [id] = await create(a, 1, { processors: [], parallelism: 2 });
    await waitFor(
      "2 instances live after one recovered",
      () =>
        c.runner.runs.filter((run) => run.live).length === 2 &&
        c.runner.runs.length === 3,
    );
    const history = (await c.definitions.read(id)).map((event) =>
      event.type === "failed"
        ? `failed ${
          (event.data as { error: { message: string } }).error.message
        }`
        : event.type
    );
    assert.deepEqual(history.slice(0, 2), ["created", "started"]);
    assert.ok(
      history.some((line) => /^failed instance [01]: lost it$/.test(line)),
      `${history}`,
    );
    assert.ok(history.includes("recovering"), `${history}`);
  } finally {
    await c.stop();
  }
});
