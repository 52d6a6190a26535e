// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { DefinitionEvent } from "./definition_event.ts";

/**
 * A {@linkcode DefinitionEvent} as a definition store gives it back: the
 * event, read back from its JSON, with its `version`, its number in the
 * connector's stream (1 for the first event, 2 for the next, ...).
 *
 * @example Show a connector's history
 * ```ts
 * import { memoryDefinitionStore } from "@ca/streams/host";
 * import type { StoredDefinitionEvent } from "@ca/streams/host";
 *
 * const store = memoryDefinitionStore();
 * const at = "2026-03-01T12:00:00.000Z";
 * await store.append("orders", [
 *   { type: "created", connector: "orders", at, data: { config: { id: "orders" } } },
 *   { type: "started", connector: "orders", at, data: {} },
 * ], 0);
 * const history: StoredDefinitionEvent[] = await store.read("orders");
 * const lines = history.map((event) => `${event.version} ${event.at} ${event.type}`);
 * if (lines[1] !== "2 2026-03-01T12:00:00.000Z started") throw new Error(`unexpected ${lines}`);
 * ```
 */
export type StoredDefinitionEvent = DefinitionEvent & {
  /** The event's number in its stream: 1, 2, ... */
  version: number;
};
