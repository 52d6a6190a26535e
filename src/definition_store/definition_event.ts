// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ConnectorCreatedEvent } from "./connector_created_event.ts";
import type { ConnectorDeletedEvent } from "./connector_deleted_event.ts";
import type { ConnectorFailedEvent } from "./connector_failed_event.ts";
import type { ConnectorReconfiguredEvent } from "./connector_reconfigured_event.ts";
import type { ConnectorRecoveringEvent } from "./connector_recovering_event.ts";
import type { ConnectorResetEvent } from "./connector_reset_event.ts";
import type { ConnectorStartedEvent } from "./connector_started_event.ts";
import type { ConnectorStoppedEvent } from "./connector_stopped_event.ts";

/**
 * One change of a connector, as its definition stream keeps it: each is
 * `{ type, connector, at, data }`, told apart by `type` (`created`,
 * `reconfigured`, `started`, `stopped`, `failed`, `recovering`, `reset`,
 * `deleted`), with the `data` its type needs. A host rebuilds a connector
 * by folding its events in order.
 *
 * @example Fold a stream into whether the connector should run
 * ```ts
 * import { memoryDefinitionStore } from "@ca/streams/host";
 * import type { DefinitionEvent } from "@ca/streams/host";
 *
 * function enabled(events: readonly DefinitionEvent[]): boolean {
 *   let on = false;
 *   for (const event of events) {
 *     if (event.type === "started") on = true;
 *     else if (event.type === "stopped" || event.type === "deleted") on = false;
 *   }
 *   return on;
 * }
 * const store = memoryDefinitionStore();
 * const at = new Date().toISOString();
 * await store.append("orders", [
 *   { type: "created", connector: "orders", at, data: { config: { id: "orders" } } },
 *   { type: "started", connector: "orders", at, data: {} },
 * ], 0);
 * if (!enabled(await store.read("orders"))) throw new Error("expected enabled");
 * ```
 */
export type DefinitionEvent =
  | ConnectorCreatedEvent
  | ConnectorReconfiguredEvent
  | ConnectorStartedEvent
  | ConnectorStoppedEvent
  | ConnectorFailedEvent
  | ConnectorRecoveringEvent
  | ConnectorResetEvent
  | ConnectorDeletedEvent;
