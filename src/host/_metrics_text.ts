// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ConnectorState } from "./connector_state.ts";
import { CONNECTOR_STATES } from "./connector_states.ts";

/** One connector's numbers for the metrics. */
export interface ConnectorMetrics {
  id: string;
  state: ConnectorState;
  recordsRead: number;
  recordsWritten: number;
  recordsDeadLettered: number;
  restarts: number;
}

/** A label value as the Prometheus text format escapes it. */
function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(
    /\n/g,
    "\\n",
  );
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
 * The host's metrics in the Prometheus text exposition format (0.0.4):
 * `ca_connector_state` (a 0/1 gauge per state) and the counters, one
 * series per connector, labelled `connector`.
 *
 * @param connectors Each connector's numbers.
 * @returns The text, ending with a newline.
 */
export function metricsText(connectors: readonly ConnectorMetrics[]): string {
  const lines: string[] = [
    "# HELP ca_connector_state Whether the connector is in the state (1) or not (0).",
    "# TYPE ca_connector_state gauge",
  ];
  for (const connector of connectors) {
    const id = label(connector.id);
    for (const state of CONNECTOR_STATES) {
      lines.push(
        `ca_connector_state{connector="${id}",state="${state}"} ${
          state === connector.state ? 1 : 0
        }`,
      );
    }
  }
  for (const [key, name, help] of COUNTERS) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
    for (const connector of connectors) {
      lines.push(
        `${name}{connector="${label(connector.id)}"} ${connector[key]}`,
      );
    }
  }
  return lines.join("\n") + "\n";
}
