// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Where a connector of a `ConnectorHost` is in its life:
 *
 * - `"stopped"`: nothing runs (never started, stopped by hand, or finished);
 * - `"activating"`: its pipeline is starting;
 * - `"running"`: its pipeline runs;
 * - `"deactivating"`: its pipeline is stopping gracefully (what was read
 *   drains to the sinks, the checkpoint is committed);
 * - `"recovering"`: it failed transiently and waits out its backoff before
 *   the host restarts it from its checkpoint;
 * - `"degraded"`: it failed and the host gave up (a config error, or the
 *   retries ran out); its `error` says why. A manual start tries again.
 *
 * @example Tell whether a connector needs attention
 * ```ts
 * import type { ConnectorState } from "@ca/streams/host";
 *
 * function needsAttention(state: ConnectorState): boolean {
 *   return state === "degraded" || state === "recovering";
 * }
 * if (!needsAttention("degraded") || needsAttention("running")) throw new Error("unexpected");
 * ```
 */
export type ConnectorState =
  | "stopped"
  | "activating"
  | "running"
  | "deactivating"
  | "recovering"
  | "degraded";
