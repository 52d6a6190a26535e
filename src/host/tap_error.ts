// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Why `RunningConnector.tap()` cannot tap a stage, with a stable `code`
 * that the host answers with (`GET /connectors/{id}/tap` closes with 4404
 * or 4409 and the message as its reason):
 *
 * - `CA_ERR_HOST_UNKNOWN_STAGE`: the connector has no processor of that
 *   name;
 * - `CA_ERR_HOST_TAP_UNSUPPORTED`: it has, but its records cannot be
 *   tapped: a sink (it has no records out), a stage of a child runner (the
 *   tap sees the stages of runners in the host's process only), or a
 *   connector run without the per-stage observers the tap uses.
 *
 * @example A runner's tap that knows one stage
 * ```ts
 * import { TapError } from "@ca/streams/host";
 *
 * const listeners = new Set<(records: readonly unknown[]) => void>();
 * function tap(stage: string, listener: (records: readonly unknown[]) => void): () => void {
 *   if (stage !== "orders") {
 *     throw new TapError("CA_ERR_HOST_UNKNOWN_STAGE", `Cannot tap stage "${stage}": no such stage (stages: orders)`);
 *   }
 *   listeners.add(listener);
 *   return () => listeners.delete(listener);
 * }
 * try {
 *   tap("order", () => {});
 *   throw new Error("expected a TapError");
 * } catch (error) {
 *   if (!(error instanceof TapError) || error.code !== "CA_ERR_HOST_UNKNOWN_STAGE") throw error;
 * }
 * ```
 */
export class TapError extends Error {
  /** Always `"TapError"`. */
  override name = "TapError";
  /** The stable code. */
  readonly code: "CA_ERR_HOST_UNKNOWN_STAGE" | "CA_ERR_HOST_TAP_UNSUPPORTED";

  /**
   * Makes the error.
   *
   * @param code Which of the two it is.
   * @param message What went wrong ("Cannot tap stage ...: reason").
   */
  constructor(
    code: "CA_ERR_HOST_UNKNOWN_STAGE" | "CA_ERR_HOST_TAP_UNSUPPORTED",
    message: string,
  ) {
    super(message);
    this.code = code;
  }
}
