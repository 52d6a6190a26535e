// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { DefinitionStoreFixture } from "./definition_store_fixture.ts";

/**
 * Describes a definition store for {@linkcode definitionStoreConformance}:
 * its name and how to set up a fresh system for one case.
 *
 * @example A harness for the memory store
 * ```ts
 * import { memoryDefinitionStore } from "@ca/streams/host";
 * import type { DefinitionStoreHarness } from "@ca/streams/testing";
 *
 * const harness: DefinitionStoreHarness = {
 *   name: "memoryDefinitionStore()",
 *   open: () => ({ store: memoryDefinitionStore(), close() {} }),
 * };
 * const fixture = await harness.open();
 * if ((await fixture.store.list()).length !== 0) throw new Error("expected an empty store");
 * ```
 */
export interface DefinitionStoreHarness {
  /** Names the store in test names and failures (`"fileDefinitionStore()"`). */
  name: string;
  /**
   * Whether the store keeps its data beyond the store object (in a file, a
   * table), so that another store object over the same data sees it. Then
   * every fixture must have `reopen()`, and the cases "a reopened store
   * holds every event and goes on from their versions" and "two store
   * objects over the same data see each other's appends and cannot both
   * win" run; otherwise (the memory store) they are not registered.
   */
  durable?: boolean;
  /** Sets up a fresh, empty system for one case and opens the store over it. */
  open(): DefinitionStoreFixture | Promise<DefinitionStoreFixture>;
}
