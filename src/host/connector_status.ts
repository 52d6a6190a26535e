// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ConnectorState } from "./connector_state.ts";

/**
 * One connector as a `ConnectorHost` reports it: by `connectors()`, and as
 * each item of `GET /connectors` (as JSON). Counters count since this host
 * started, across the connector's restarts.
 *
 * @example Print a connector's line
 * ```ts
 * import type { ConnectorStatus } from "@ca/streams/host";
 *
 * const status: ConnectorStatus = {
 *   id: "orders",
 *   state: "running",
 *   enabled: true,
 *   position: { offset: 1024 },
 *   error: null,
 *   recordsRead: 5000,
 *   recordsWritten: 4990,
 *   recordsDeadLettered: 10,
 *   recordsPerSecond: 250,
 *   uncommittedRecords: 0,
 *   updatedAt: "2026-03-01T12:00:00.000Z",
 * };
 * console.log(`${status.id} ${status.state} ${status.recordsPerSecond}/s`);
 * ```
 */
export interface ConnectorStatus {
  /** The connector's id: its config's `id`, also its checkpoint id. */
  id: string;
  /**
   * In a cluster (`ConnectorHostOptions.cluster`): the id of the host that
   * runs it, `null` while no host does. Absent on a host alone.
   */
  host?: string | null;
  /**
   * In a cluster, for a connector with `parallelism` above 1: each
   * instance, by index, with the host that runs it (the connector's `host`
   * is then `null`, its counters the sums, its `state` the least healthy
   * of theirs, its `position` theirs by index).
   */
  instances?: {
    index: number;
    host: string | null;
    state: ConnectorState;
    recordsRead: number;
    recordsWritten: number;
    position: unknown;
    error: { code: string; message: string } | null;
  }[];
  /** Where it is in its life. */
  state: ConnectorState;
  /**
   * Whether it should run: the last of its `started` and `stopped` events
   * is `started`. A restarted host starts the enabled connectors.
   */
  enabled: boolean;
  /** The last committed position its pipeline reported, `null` when none is known yet. */
  position: unknown;
  /**
   * Its last failure since it was last started or reconfigured by hand,
   * `null` when none: set while `recovering` and `degraded`.
   */
  error: { code: string; message: string } | null;
  /** Records its sources read. */
  recordsRead: number;
  /** Records its sinks wrote. */
  recordsWritten: number;
  /** Records sent to a dead-letter sink. */
  recordsDeadLettered: number;
  /** Records read per second over about the last ten seconds (between the reports asked for). */
  recordsPerSecond: number;
  /** Records read and not yet committed, `null` when unknown. */
  uncommittedRecords: number | null;
  /** When its state last changed: ISO 8601 in UTC. */
  updatedAt: string;
}
