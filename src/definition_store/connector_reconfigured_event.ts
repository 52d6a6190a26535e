// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * A connector's config was replaced. The new config is kept whole, as
 * stored (`${ENV}` left as written), not as a difference.
 *
 * @example Replace a connector's config
 * ```ts
 * import { memoryDefinitionStore } from "@ca/streams/host";
 * import type { ConnectorReconfiguredEvent } from "@ca/streams/host";
 *
 * const store = memoryDefinitionStore();
 * const at = new Date().toISOString();
 * await store.append("orders", [
 *   { type: "created", connector: "orders", at, data: { config: { id: "orders" } } },
 * ], 0);
 * const reconfigured: ConnectorReconfiguredEvent = {
 *   type: "reconfigured",
 *   connector: "orders",
 *   at,
 *   data: { config: { id: "orders", batchSize: 500 } },
 * };
 * if (await store.append("orders", [reconfigured], 1) !== 2) throw new Error("unexpected");
 * ```
 */
export interface ConnectorReconfiguredEvent {
  /** Always `"reconfigured"`. */
  type: "reconfigured";
  /** The connector's id. */
  connector: string;
  /** When it happened: ISO 8601 in UTC, as `Date.prototype.toISOString()` writes it. */
  at: string;
  /** The new config. */
  data: {
    /** The pipeline config as stored (a JSON object), `${ENV}` left as written. */
    config: Record<string, unknown>;
  };
}
