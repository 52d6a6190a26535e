// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ConnectionHealth } from "../health/connection_health.ts";

/**
 * The connection health of a running pipeline's sources and sinks that
 * report one, by name: `source` and `sink` on a line, origin names of a
 * `merge()` and sink paths of a `fanOut()` or `route()`.
 *
 * @example Read the health of a running pipeline
 * ```ts
 * import { batchSink, pipeline } from "@ca/streams";
 * import type { PipelineHealth } from "@ca/streams";
 *
 * const since = new Date().toISOString();
 * const sink = batchSink<number>({
 *   write() {},
 *   health: () => ({ state: "connected", since }),
 * });
 * const running = pipeline([1, 2], sink);
 * const health: PipelineHealth = running.health;
 * await running;
 * if (health.sinks.sink?.state !== "connected") throw new Error("unexpected");
 * ```
 */
export interface PipelineHealth {
  /** The sources that report their connection, by name. */
  sources: Record<string, ConnectionHealth>;
  /** The sinks that report their connection, by name. */
  sinks: Record<string, ConnectionHealth>;
}
