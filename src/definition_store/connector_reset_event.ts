// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { Position } from "../checkpoint/position.ts";

/**
 * A stopped connector's checkpoint was reset: to a position, or to the
 * start (`null`).
 *
 * @example Reset a connector to the start
 * ```ts
 * import { memoryDefinitionStore } from "@ca/streams/host";
 * import type { ConnectorResetEvent } from "@ca/streams/host";
 *
 * const store = memoryDefinitionStore();
 * const at = new Date().toISOString();
 * await store.append("orders", [
 *   { type: "created", connector: "orders", at, data: { config: { id: "orders" } } },
 * ], 0);
 * const reset: ConnectorResetEvent = { type: "reset", connector: "orders", at, data: { position: null } };
 * await store.append("orders", [reset], 1);
 * const [, last] = await store.read("orders");
 * if (last?.type !== "reset" || last.data.position !== null) throw new Error("unexpected");
 * ```
 */
export interface ConnectorResetEvent {
  /** Always `"reset"`. */
  type: "reset";
  /** The connector's id. */
  connector: string;
  /** When it happened: ISO 8601 in UTC, as `Date.prototype.toISOString()` writes it. */
  at: string;
  /** Where to. */
  data: {
    /**
     * The position the connector resumes after (any JSON value its source
     * understands), or `null` for the start.
     */
    position: Position | null;
  };
}
