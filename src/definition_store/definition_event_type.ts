// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { DefinitionEvent } from "./definition_event.ts";

/**
 * The `type` of a {@linkcode DefinitionEvent}: `"created"`,
 * `"reconfigured"`, `"started"`, `"stopped"`, `"failed"`, `"recovering"`,
 * `"reset"` or `"deleted"`.
 *
 * @example Count a stream's events by type
 * ```ts
 * import type { DefinitionEvent, DefinitionEventType } from "@ca/streams/host";
 *
 * function counts(events: readonly DefinitionEvent[]): Map<DefinitionEventType, number> {
 *   const counted = new Map<DefinitionEventType, number>();
 *   for (const { type } of events) counted.set(type, (counted.get(type) ?? 0) + 1);
 *   return counted;
 * }
 * const at = new Date().toISOString();
 * const result = counts([
 *   { type: "started", connector: "orders", at, data: {} },
 *   { type: "started", connector: "orders", at, data: {} },
 * ]);
 * if (result.get("started") !== 2) throw new Error("unexpected");
 * ```
 */
export type DefinitionEventType = DefinitionEvent["type"];
