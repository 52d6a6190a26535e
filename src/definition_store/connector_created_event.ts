// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * A connector came to be: the first event of its stream, or the first
 * after a `deleted` when the id is used again. Its config is kept as the
 * host stored it, `${ENV}` references as written, so no secret is stored.
 *
 * @example The event a host appends for a new connector
 * ```ts
 * import { memoryDefinitionStore } from "@ca/streams/host";
 * import type { ConnectorCreatedEvent } from "@ca/streams/host";
 *
 * const created: ConnectorCreatedEvent = {
 *   type: "created",
 *   connector: "orders",
 *   at: new Date().toISOString(),
 *   data: { config: { id: "orders", password: "${DB_PASSWORD}" } },
 * };
 * const version = await memoryDefinitionStore().append("orders", [created], 0);
 * if (version !== 1) throw new Error(`unexpected ${version}`);
 * ```
 */
export interface ConnectorCreatedEvent {
  /** Always `"created"`. */
  type: "created";
  /** The connector's id: its config's `id`. */
  connector: string;
  /** When it happened: ISO 8601 in UTC, as `Date.prototype.toISOString()` writes it. */
  at: string;
  /** What the connector runs. */
  data: {
    /** The pipeline config as stored (a JSON object), `${ENV}` left as written. */
    config: Record<string, unknown>;
  };
}
