// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * A connector's pipeline failed, with the error's stable code and its
 * message (no stack, no secrets). A `recovering` event follows when the
 * host retries it.
 *
 * @example Record a failure
 * ```ts
 * import { memoryDefinitionStore } from "@ca/streams/host";
 * import type { ConnectorFailedEvent } from "@ca/streams/host";
 *
 * const store = memoryDefinitionStore();
 * const at = new Date().toISOString();
 * await store.append("orders", [
 *   { type: "created", connector: "orders", at, data: { config: { id: "orders" } } },
 * ], 0);
 * const failed: ConnectorFailedEvent = {
 *   type: "failed",
 *   connector: "orders",
 *   at,
 *   data: { error: { code: "ECONNREFUSED", message: "Cannot connect to 127.0.0.1:5432" } },
 * };
 * await store.append("orders", [failed], 1);
 * const [, last] = await store.read("orders");
 * if (last?.type !== "failed" || last.data.error.code !== "ECONNREFUSED") throw new Error("unexpected");
 * ```
 */
export interface ConnectorFailedEvent {
  /** Always `"failed"`. */
  type: "failed";
  /** The connector's id. */
  connector: string;
  /** When it happened: ISO 8601 in UTC, as `Date.prototype.toISOString()` writes it. */
  at: string;
  /** What went wrong. */
  data: {
    /** The error, as data. */
    error: {
      /** Its stable code (`"CA_ERR_FENCED"`, `"ECONNREFUSED"`), or its name when it has none. */
      code: string;
      /** Its message. */
      message: string;
    };
  };
}
