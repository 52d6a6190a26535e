// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { DefinitionEventType } from "./definition_event_type.ts";

/**
 * Every {@linkcode DefinitionEventType}, in the order of a connector's
 * life: the values a stored event's `type` may take.
 *
 * @example Check a type read from outside
 * ```ts
 * import { DEFINITION_EVENT_TYPES } from "@ca/streams/host";
 * import type { DefinitionEventType } from "@ca/streams/host";
 *
 * function isEventType(value: unknown): value is DefinitionEventType {
 *   return (DEFINITION_EVENT_TYPES as readonly unknown[]).includes(value);
 * }
 * if (!isEventType("reset") || isEventType("paused")) throw new Error("unexpected");
 * ```
 */
export const DEFINITION_EVENT_TYPES: readonly DefinitionEventType[] = Object
  .freeze([
    "created",
    "reconfigured",
    "started",
    "stopped",
    "failed",
    "recovering",
    "reset",
    "deleted",
  ]);
