// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { StoredDefinitionEvent } from "../definition_store/stored_definition_event.ts";

/** What a connector's definition stream says of it. */
export interface FoldedDefinition {
  /** The stream's version: how many events it holds. */
  version: number;
  /** Whether the last event is `deleted` (or the stream is empty). */
  deleted: boolean;
  /** The config of the last `created` or `reconfigured` event. */
  config: Record<string, unknown>;
  /** Whether the last of its `started` and `stopped` events is `started`. */
  enabled: boolean;
}

/**
 * Folds a connector's events, in order, into what a host rebuilds it from:
 * the last config, whether it is enabled (`failed`, `recovering` and
 * `reset` change nothing of it), whether it is deleted. A `created` after
 * a `deleted` starts afresh.
 *
 * @param events The stream, as `DefinitionStore.read()` returns it.
 * @returns The folded definition.
 */
export function foldDefinitionEvents(
  events: readonly StoredDefinitionEvent[],
): FoldedDefinition {
  const folded: FoldedDefinition = {
    version: events.length,
    deleted: true,
    config: {},
    enabled: false,
  };
  for (const event of events) {
    switch (event.type) {
      case "created":
        folded.deleted = false;
        folded.enabled = false;
        folded.config = event.data.config;
        break;
      case "reconfigured":
        folded.config = event.data.config;
        break;
      case "started":
        folded.enabled = true;
        break;
      case "stopped":
        folded.enabled = false;
        break;
      case "deleted":
        folded.deleted = true;
        folded.enabled = false;
        break;
    }
  }
  return folded;
}
