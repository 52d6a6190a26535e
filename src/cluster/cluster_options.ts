// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { LeaseEngine } from "./lease_engine.ts";

/**
 * How a `ConnectorHost` joins a cluster: hosts given the same definition
 * store and the same lease engine share the enabled connectors, each
 * connector running on exactly one host at a time.
 *
 * Every `renewEveryMs` a host renews its leases (its membership,
 * `host/ID`, and one per connector it runs, `connector/ID`, which carry
 * the connector's status for the other hosts to show), reads the
 * definitions that changed, and computes from the live hosts and who holds
 * what where every connector should run; all hosts compute the same. It
 * takes the free connectors planned for it (starting them from their
 * checkpoints: the checkpoint store's `acquire()` fences the previous
 * holder), and hands over at a record boundary those planned elsewhere
 * (stopped gracefully, committed, released). A host that cannot renew
 * within the lease's time aborts its connectors at once, and its
 * checkpoint commits fail from then on.
 *
 * @example Two hosts on one lease engine share four connectors
 * ```ts
 * import { ConnectorHost, memoryDefinitionStore, memoryLeaseEngine } from "@ca/streams/host";
 * import type { ClusterOptions, ConnectorRunner } from "@ca/streams/host";
 *
 * const runner: ConnectorRunner = {
 *   check: () => Promise.resolve([]),
 *   start() {
 *     let end!: () => void;
 *     const ended = new Promise<undefined>((resolve) => (end = () => resolve(undefined)));
 *     const stop = () => (end(), ended.then(() => {}));
 *     return {
 *       started: Promise.resolve(),
 *       ended,
 *       stop,
 *       abort: stop,
 *       progress: () => ({ recordsRead: 0, recordsWritten: 0, recordsDeadLettered: 0, position: null }),
 *     };
 *   },
 *   reset: () => Promise.resolve(),
 * };
 * const definitions = memoryDefinitionStore();
 * const leases = memoryLeaseEngine({ ttlMs: 3_000 });
 * const cluster = (hostId: string): ClusterOptions => ({ leases, hostId, renewEveryMs: 50 });
 * const a = new ConnectorHost({ definitions, runner, cluster: cluster("a") });
 * const b = new ConnectorHost({ definitions, runner, cluster: cluster("b") });
 * await Promise.all([a.start(), b.start()]);
 * for (const id of ["c1", "c2", "c3", "c4"]) {
 *   await a.fetch(new Request("http://a/connectors", {
 *     method: "POST",
 *     headers: { "content-type": "application/json" },
 *     body: JSON.stringify({ id, config: { processors: [] }, start: true }),
 *   }));
 * }
 * const runsOn = () => a.connectors().map((status) => status.host);
 * for (let i = 0; i < 200 && runsOn().filter((host) => host === "b").length !== 2; i++) {
 *   await new Promise((resolve) => setTimeout(resolve, 20));
 * }
 * if (runsOn().filter((host) => host === "b").length !== 2) throw new Error(`unexpected ${runsOn()}`);
 * await Promise.all([a.stop(), b.stop()]);
 * ```
 */
export interface ClusterOptions {
  /** The lease engine every host of the cluster shares. The host does not close it. */
  leases: LeaseEngine;
  /** This host's id, unique in the cluster: 1-100 characters of A-Z a-z 0-9 . _ -. */
  hostId: string;
  /**
   * This host's labels. A connector whose config has
   * `placement: { labels: [...] }` runs only on hosts that have all of them.
   */
  labels?: readonly string[];
  /** Where this host's API is reached, shown to the other hosts (`GET /cluster`). */
  url?: string;
  /**
   * How often the host renews its leases and looks at the cluster, in ms.
   * Default a quarter of the lease engine's `ttlMs`; at most half of it.
   */
  renewEveryMs?: number;
}
