// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * How a source's or sink's connection to its server is doing, as a
 * connector reports it (`health()` on a `resumableSource()` or a
 * `batchSink()`), and as `RunningPipeline.health` shows it.
 *
 * @example A connection being restored
 * ```ts
 * import type { ConnectionHealth } from "@ca/streams";
 *
 * const health: ConnectionHealth = {
 *   state: "reconnecting",
 *   error: "connect ECONNREFUSED 127.0.0.1:6379",
 *   since: new Date().toISOString(),
 * };
 * if (health.state === "connected") throw new Error("unexpected");
 * ```
 */
export interface ConnectionHealth {
  /**
   * `"connecting"` before the first connection, `"connected"`, or
   * `"reconnecting"` while a lost connection is being restored (the
   * pipeline keeps running and loses nothing meanwhile).
   */
  state: "connecting" | "connected" | "reconnecting";
  /** The last connection error, while reconnecting; no secrets in it. */
  error?: string;
  /** When the state last changed, as ISO 8601. */
  since: string;
}
