// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Thrown by `DefinitionStore.append()` when the connector's stream is not
 * at the version the caller expected: another change came first. Nothing
 * of the refused append is stored; read the stream again, decide again,
 * and append with the new version (or report a conflict).
 *
 * @example Two changes made from the same version: the second loses
 * ```ts
 * import { memoryDefinitionStore, WrongExpectedVersionError } from "@ca/streams/host";
 *
 * const store = memoryDefinitionStore();
 * const at = new Date().toISOString();
 * const created = { type: "created", connector: "orders", at, data: { config: { id: "orders" } } } as const;
 * await store.append("orders", [created], 0);
 * const error = await store.append("orders", [created], 0).then(() => undefined, (e: unknown) => e);
 * if (!(error instanceof WrongExpectedVersionError) || error.actualVersion !== 1) throw error;
 * console.log(error.message); // Cannot append to connector "orders": expected version 0, the stream is at 1
 * ```
 */
export class WrongExpectedVersionError extends Error {
  /** Always `"WrongExpectedVersionError"`. */
  override name = "WrongExpectedVersionError";
  /** Always `"CA_ERR_WRONG_EXPECTED_VERSION"`: match on it. */
  readonly code: "CA_ERR_WRONG_EXPECTED_VERSION" =
    "CA_ERR_WRONG_EXPECTED_VERSION";
  /** The connector's id. */
  readonly connector: string;
  /** The version the caller expected the stream at. */
  readonly expectedVersion: number;
  /** The version the stream was at. */
  readonly actualVersion: number;

  /**
   * Makes the error.
   *
   * @param connector The connector's id.
   * @param expectedVersion The version the caller expected.
   * @param actualVersion The version the stream was at.
   */
  constructor(
    connector: string,
    expectedVersion: number,
    actualVersion: number,
  ) {
    super(
      `Cannot append to connector "${connector}": expected version ${expectedVersion}, the stream is at ${actualVersion}`,
    );
    this.connector = connector;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}
