// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ConfigIssue } from "../config/config_issue.ts";
import type { Position } from "../checkpoint/position.ts";
import type { ConnectionHealth } from "../health/connection_health.ts";
import type { ConnectorStartContext } from "./connector_start_context.ts";

/**
 * What a host needs to run connectors: check, start, reset, and remove
 * what a deleted one kept. `ca serve`
 * uses one that runs pipeline configs as `ca run` does; tests and
 * embedders pass their own.
 *
 * @example A runner whose connectors run until stopped
 * ```ts
 * import { ConnectorHost, memoryDefinitionStore } from "@ca/streams/host";
 * import type { ConnectorRunner, RunningConnector } from "@ca/streams/host";
 *
 * const live = new Set<string>();
 * const runner: ConnectorRunner = {
 *   check: (config) =>
 *     Promise.resolve(typeof config.id === "string" ? [] : [{ path: "/id", message: "required" }]),
 *   start(id): RunningConnector {
 *     live.add(id);
 *     let end!: () => void;
 *     const ended = new Promise<undefined>((resolve) => (end = () => resolve(undefined)));
 *     const stop = () => (live.delete(id), end(), ended.then(() => {}));
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
 * const host = new ConnectorHost({ definitions: memoryDefinitionStore(), runner });
 * await host.start();
 * await host.fetch(new Request("http://host/connectors", {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({ id: "orders", config: { processors: [] }, start: true }),
 * }));
 * if (!live.has("orders")) throw new Error("expected it to run");
 * await host.stop();
 * if (live.size !== 0) throw new Error("expected it stopped");
 * ```
 */
export interface ConnectorRunner {
  /**
   * Checks a connector config (a JSON object as stored: `${ENV}` unresolved) without
   * running it. Returns the issues (path + message), empty when it is valid. Refuses
   * `modules:`, a runner `executable:` and a `script:` unless the runner allows them.
   */
  check(config: Record<string, unknown>): Promise<ConfigIssue[]>;
  /**
   * Starts the connector: its pipeline(s), resumed from its checkpoint
   * (checkpoint id = connector id). `context` says what the host knows of
   * its place in a cluster (none for a host alone).
   */
  start(
    id: string,
    config: Record<string, unknown>,
    context?: ConnectorStartContext,
  ): RunningConnector;
  /**
   * Fences whoever ran the connector before: acquires its checkpoint(s)
   * in their store, so that a commit of an older generation fails
   * (`CA_ERR_FENCED`) from then on. In a cluster the host calls it as soon
   * as it gains the connector's lease, before `start()` (which acquires
   * again): a host paused past its lease is fenced at once, not only once
   * the new run has started. Optional.
   */
  fence?(
    id: string,
    config: Record<string, unknown>,
    context?: ConnectorStartContext,
  ): Promise<void>;
  /**
   * Moves the connector's checkpoint to `position` (undefined: the start);
   * with `parallelism` above 1, every instance's. Called only while it is
   * stopped.
   */
  reset(
    id: string,
    config: Record<string, unknown>,
    position: Position | undefined,
  ): Promise<void>;
  /**
   * Removes what the connector keeps outside its definition: its
   * checkpoints, and what its processors keep on their systems (a
   * replication slot, a durable consumer), so that a connector created
   * again with the same id starts afresh. Optional.
   *
   * `DELETE /connectors/{id}` calls it once the connector is stopped, before
   * the `deleted` event is appended. When it rejects, the host answers 500
   * with its message and keeps the connector, so the delete can be tried
   * again: it must do nothing harmful when called again, or for what is
   * already gone (a slot that does not exist).
   */
  remove?(id: string, config: Record<string, unknown>): Promise<void>;
}

/**
 * A started connector, as `ConnectorRunner.start()` returns it.
 *
 * @example Stop a connector and wait for its end
 * ```ts
 * import type { RunningConnector } from "@ca/streams/host";
 *
 * async function stopAndReport(running: RunningConnector): Promise<string> {
 *   await running.stop();
 *   const failure = await running.ended;
 *   return failure === undefined ? "stopped" : `failed: ${failure.message}`;
 * }
 * let end!: () => void;
 * const ended = new Promise<undefined>((resolve) => (end = () => resolve(undefined)));
 * const running: RunningConnector = {
 *   started: Promise.resolve(),
 *   ended,
 *   stop: () => (end(), ended.then(() => {})),
 *   abort: () => (end(), ended.then(() => {})),
 *   progress: () => ({ recordsRead: 0, recordsWritten: 0, recordsDeadLettered: 0, position: null }),
 * };
 * if (await stopAndReport(running) !== "stopped") throw new Error("unexpected");
 * ```
 */
export interface RunningConnector {
  /** Resolves once every runner of it runs; rejects with a ConnectorFailure-carrying error when it cannot start. */
  readonly started: Promise<void>;
  /** Settles once it ended: `undefined` when it stopped or finished, else why it failed. Never rejects. */
  readonly ended: Promise<ConnectorFailure | undefined>;
  /** Graceful: sources stop, what was read drains to the sinks, checkpoints are committed. Resolves when ended. */
  stop(): Promise<void>;
  /** At once. Resolves when ended. */
  abort(reason?: unknown): Promise<void>;
  /** Counters now (cheap; polled by the host for the API and metrics). */
  progress(): ConnectorProgress;
  /**
   * Subscribes to the records out of a stage (a processor of the config,
   * its sources included, by name), once per batch, for the host's live
   * tap (`GET /connectors/{id}/tap`). Optional: without it the host
   * answers that the connector cannot be tapped.
   *
   * `listener` is called inside the pipeline with each batch's records (the
   * array moves on: read it, never change or keep it), so it must be quick
   * and never throw; the host's copies the few records it samples and
   * never waits. With no listener the pipeline pays nothing more than a
   * check per batch. Returns the unsubscribe function. After the
   * connector ended the listener is simply never called again.
   *
   * @throws {TapError} `CA_ERR_HOST_UNKNOWN_STAGE` for a name that is no
   * processor of the config; `CA_ERR_HOST_TAP_UNSUPPORTED` for one whose
   * records cannot be tapped (a sink, a stage of a child runner, a
   * connector run without per-stage observers).
   */
  tap?(
    stage: string,
    listener: (records: readonly unknown[]) => void,
  ): () => void;
}

/**
 * Why a connector failed, as `RunningConnector.ended` reports it: the host
 * restarts it with backoff when `transient`, and leaves it `degraded` at
 * once when not.
 *
 * @example Tell a config error from a lost connection
 * ```ts
 * import type { ConnectorFailure } from "@ca/streams/host";
 *
 * const lost: ConnectorFailure = { code: "ECONNREFUSED", message: "connect ECONNREFUSED 127.0.0.1:6379", transient: true };
 * const broken: ConnectorFailure = { code: "CA_ERR_CONFIG", message: "Cannot load package \"redis\"", transient: false };
 * const retried = [lost, broken].filter((failure) => failure.transient);
 * if (retried.length !== 1) throw new Error("unexpected");
 * ```
 */
export interface ConnectorFailure {
  /** A stable code (`CA_ERR_...`) when the error has one, else "CA_ERR_CONNECTOR". */
  code: string;
  /** What went wrong, in words ("Cannot X: reason"); no secrets in it. */
  message: string;
  /**
   * Worth restarting with backoff (a lost connection, a sink that fails, a crashed runner).
   * False for a config error (bad args, a missing package, a module that does not load):
   * the host then goes `degraded` at once.
   */
  transient: boolean;
}

/**
 * A connector's counters now, as `RunningConnector.progress()` reports
 * them; the host shows them in the API and the metrics.
 *
 * @example How much of what was read is written
 * ```ts
 * import type { ConnectorProgress } from "@ca/streams/host";
 *
 * const progress: ConnectorProgress = {
 *   recordsRead: 1000,
 *   recordsWritten: 990,
 *   recordsDeadLettered: 10,
 *   position: { offset: 4096 },
 *   uncommittedRecords: 0,
 *   stages: { orders: { recordsOut: 1000 }, out: { recordsOut: 990 } },
 *   sinks: {
 *     out: { batches: 2, latency: { buckets: [[0.01, 1], [0.1, 2]], sum: 0.06, count: 2 } },
 *   },
 *   commits: 2,
 *   lastCommitAt: "2026-01-01T12:00:00.000Z",
 * };
 * const handled = progress.recordsWritten + progress.recordsDeadLettered;
 * if (handled !== progress.recordsRead) throw new Error("unexpected");
 * ```
 */
export interface ConnectorProgress {
  /** Records its sources read. */
  recordsRead: number;
  /** Records its sinks wrote. */
  recordsWritten: number;
  /** Records sent to a dead-letter sink. */
  recordsDeadLettered: number;
  /** The last committed position (per segment when several: by segment id). */
  position: unknown;
  /** Records read and not yet committed, when known. */
  uncommittedRecords?: number;
  /** Connection health by source/sink name, when reported. */
  health?: {
    sources: Record<string, ConnectionHealth>;
    sinks: Record<string, ConnectionHealth>;
  };
  /**
   * Records out of each stage (processor, source or sink of the config),
   * by name: read by a source, emitted by a processor, stored by a sink.
   */
  stages?: Record<string, { recordsOut: number }>;
  /**
   * Each sink's batch writes, by name: how many succeeded, and how long
   * they took in seconds as a histogram (`buckets`: per upper bound the
   * writes at or below it, cumulative, ascending; `+Inf` is `count`).
   */
  sinks?: Record<string, {
    batches: number;
    latency: { buckets: [number, number][]; sum: number; count: number };
  }>;
  /** Checkpoint commits that succeeded. */
  commits?: number;
  /** When the last of them succeeded, as ISO 8601. */
  lastCommitAt?: string;
}
