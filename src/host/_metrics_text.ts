// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ConnectorState } from "./connector_state.ts";
import { CONNECTOR_STATES } from "./connector_states.ts";
import type { ConnectorProgress } from "./connector_runner.ts";

/** One connector's numbers for the metrics. */
export interface ConnectorMetrics {
  id: string;
  state: ConnectorState;
  recordsRead: number;
  recordsWritten: number;
  recordsDeadLettered: number;
  restarts: number;
  /** Records out of each stage, by name, over every run. */
  stages?: ConnectorProgress["stages"];
  /** Each sink's batch writes, by name, over every run. */
  sinks?: ConnectorProgress["sinks"];
  /** Checkpoint commits, over every run. */
  commits?: number;
  /** When the last commit succeeded, as ISO 8601. */
  lastCommitAt?: string;
  /** Records read and not yet committed, while it runs. */
  uncommittedRecords?: number | null;
  /** The connection health of its sources and sinks, while it runs. */
  health?: ConnectorProgress["health"];
}

/** A label value as the Prometheus text format escapes it. */
function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(
    /\n/g,
    "\\n",
  );
}

/** `{a="x",b="y"}` from name and value pairs, the values escaped. */
function labels(pairs: readonly [string, string][]): string {
  return `{${
    pairs.map(([name, value]) => `${name}="${label(value)}"`).join()
  }}`;
}

/** A sample value: Prometheus spells infinities `+Inf` and `-Inf`. */
function value(n: number): string {
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

const COUNTERS: [keyof ConnectorMetrics, string, string][] = [
  [
    "recordsRead",
    "ca_connector_records_read_total",
    "Records the connector's sources read.",
  ],
  [
    "recordsWritten",
    "ca_connector_records_written_total",
    "Records the connector's sinks wrote.",
  ],
  [
    "recordsDeadLettered",
    "ca_connector_records_dead_lettered_total",
    "Records the connector sent to a dead-letter sink.",
  ],
  [
    "restarts",
    "ca_connector_restarts_total",
    "Restarts of the connector after a transient failure.",
  ],
];

/**
 * The host's metrics in the Prometheus text exposition format (0.0.4), one
 * family after the other, each with its `# HELP` and `# TYPE` once:
 *
 * - `ca_connector_state{connector,state}`: a 0/1 gauge per state;
 * - `ca_connector_records_read_total`, `..._written_total`,
 *   `..._dead_lettered_total`, `ca_connector_restarts_total{connector}`;
 * - `ca_stage_records_out_total{connector,stage}`: records out of each
 *   processor, source (read) and sink (stored);
 * - `ca_sink_batch_write_seconds{connector,sink}`: a histogram of each
 *   sink's batch writes (`_bucket{le}`, `_sum`, `_count`);
 * - `ca_connector_checkpoint_commits_total{connector}`, and
 *   `ca_connector_last_commit_timestamp_seconds{connector}` (Unix time);
 * - `ca_connector_uncommitted_records{connector}`: a gauge, while it runs
 *   with a checkpoint;
 * - `ca_connector_connection_up{connector,name,side}`: 1 while a source
 *   (`side="source"`) or sink (`"sink"`) that reports its connection is
 *   connected, 0 while it connects or reconnects.
 *
 * A connector that does not report a number has no series for it.
 *
 * @param connectors Each connector's numbers.
 * @returns The text, ending with a newline.
 */
export function metricsText(connectors: readonly ConnectorMetrics[]): string {
  const lines: string[] = [];
  const family = (name: string, type: string, help: string) =>
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

  family(
    "ca_connector_state",
    "gauge",
    "Whether the connector is in the state (1) or not (0).",
  );
  for (const connector of connectors) {
    for (const state of CONNECTOR_STATES) {
      lines.push(
        `ca_connector_state${
          labels([["connector", connector.id], ["state", state]])
        } ${state === connector.state ? 1 : 0}`,
      );
    }
  }
  for (const [key, name, help] of COUNTERS) {
    family(name, "counter", help);
    for (const connector of connectors) {
      lines.push(
        `${name}${labels([["connector", connector.id]])} ${connector[key]}`,
      );
    }
  }

  family(
    "ca_stage_records_out_total",
    "counter",
    "Records out of each stage: read by a source, emitted by a processor, stored by a sink.",
  );
  for (const connector of connectors) {
    for (
      const [stage, { recordsOut }] of Object.entries(connector.stages ?? {})
    ) {
      lines.push(
        `ca_stage_records_out_total${
          labels([["connector", connector.id], ["stage", stage]])
        } ${recordsOut}`,
      );
    }
  }

  const histogram = "ca_sink_batch_write_seconds";
  family(
    histogram,
    "histogram",
    "How long each batch write of a sink took, in seconds.",
  );
  for (const connector of connectors) {
    for (const [sink, { latency }] of Object.entries(connector.sinks ?? {})) {
      const by: [string, string][] = [
        ["connector", connector.id],
        ["sink", sink],
      ];
      for (const [le, count] of latency.buckets) {
        if (le === Infinity) continue;
        lines.push(
          `${histogram}_bucket${labels([...by, ["le", value(le)]])} ${count}`,
        );
      }
      lines.push(
        `${histogram}_bucket${
          labels([...by, ["le", "+Inf"]])
        } ${latency.count}`,
        `${histogram}_sum${labels(by)} ${value(latency.sum)}`,
        `${histogram}_count${labels(by)} ${latency.count}`,
      );
    }
  }

  family(
    "ca_connector_checkpoint_commits_total",
    "counter",
    "Checkpoint commits of the connector that succeeded.",
  );
  for (const connector of connectors) {
    if (connector.commits === undefined) continue;
    lines.push(
      `ca_connector_checkpoint_commits_total${
        labels([["connector", connector.id]])
      } ${connector.commits}`,
    );
  }

  family(
    "ca_connector_last_commit_timestamp_seconds",
    "gauge",
    "When the connector's last checkpoint commit succeeded, in seconds since the Unix epoch.",
  );
  for (const connector of connectors) {
    if (connector.lastCommitAt === undefined) continue;
    const at = Date.parse(connector.lastCommitAt) / 1000;
    if (!Number.isFinite(at)) continue;
    lines.push(
      `ca_connector_last_commit_timestamp_seconds${
        labels([["connector", connector.id]])
      } ${at}`,
    );
  }

  family(
    "ca_connector_uncommitted_records",
    "gauge",
    "Records the connector read that no checkpoint commit covers yet.",
  );
  for (const connector of connectors) {
    const uncommitted = connector.uncommittedRecords;
    if (uncommitted === undefined || uncommitted === null) continue;
    lines.push(
      `ca_connector_uncommitted_records${
        labels([["connector", connector.id]])
      } ${uncommitted}`,
    );
  }

  family(
    "ca_connector_connection_up",
    "gauge",
    "Whether a source or sink of the connector is connected (1) or connecting or reconnecting (0).",
  );
  for (const connector of connectors) {
    const health = connector.health;
    if (health === undefined) continue;
    for (
      const [side, by] of [["source", health.sources], [
        "sink",
        health.sinks,
      ]] as const
    ) {
      for (const [name, { state }] of Object.entries(by)) {
        lines.push(
          `ca_connector_connection_up${
            labels([["connector", connector.id], ["name", name], [
              "side",
              side,
            ]])
          } ${state === "connected" ? 1 : 0}`,
        );
      }
    }
  }
  return lines.join("\n") + "\n";
}
