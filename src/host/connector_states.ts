// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ConnectorState } from "./connector_state.ts";

/**
 * Every {@linkcode ConnectorState}, in the order of a connector's life: the
 * values a status's `state` may take, and the `state` label values of the
 * `ca_connector_state` metric.
 *
 * @example Check a state read from the API
 * ```ts
 * import { CONNECTOR_STATES } from "@ca/streams/host";
 * import type { ConnectorState } from "@ca/streams/host";
 *
 * function isState(value: unknown): value is ConnectorState {
 *   return (CONNECTOR_STATES as readonly unknown[]).includes(value);
 * }
 * if (!isState("recovering") || isState("paused")) throw new Error("unexpected");
 * ```
 */
export const CONNECTOR_STATES: readonly ConnectorState[] = Object.freeze([
  "stopped",
  "activating",
  "running",
  "deactivating",
  "recovering",
  "degraded",
]);
