// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { DefinitionStore } from "../definition_store/definition_store.ts";

/**
 * One case's system behind a definition store under test: made by
 * {@linkcode DefinitionStoreHarness.open} for every case and closed after
 * it.
 *
 * @example A fixture over the memory store
 * ```ts
 * import { memoryDefinitionStore } from "@ca/streams/host";
 * import type { DefinitionStoreFixture } from "@ca/streams/testing";
 *
 * const fixture: DefinitionStoreFixture = { store: memoryDefinitionStore(), close() {} };
 * const at = new Date().toISOString();
 * await fixture.store.append("a", [{ type: "created", connector: "a", at, data: { config: {} } }], 0);
 * if ((await fixture.store.list()).length !== 1) throw new Error("not stored");
 * await fixture.store.close();
 * await fixture.close();
 * ```
 */
export interface DefinitionStoreFixture {
  /**
   * The store under test, over a fresh, empty system (a new folder, a new
   * table). The kit closes it at the end of the case.
   */
  store: DefinitionStore;
  /**
   * Opens another store object over the same data, as a restarted host (or
   * a second process) would: the same file, the same table. The kit calls
   * it while `store` is open and after closing it, and closes what it
   * returns. Required when the harness is `durable`.
   */
  reopen?(): DefinitionStore | Promise<DefinitionStore>;
  /**
   * Tears the system down after the case (removes the folder, drops the
   * table), whether it passed or failed; the stores are closed by then.
   */
  close(): void | Promise<void>;
}
