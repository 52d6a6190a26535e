// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * A connector failed a case of {@linkcode sourceConformance} or
 * {@linkcode sinkConformance}: the message names the connector, the case
 * and what went wrong. Test runners report it as the test's failure.
 *
 * @example Match a conformance failure
 * ```ts
 * import { ConformanceError } from "@ca/streams/testing";
 *
 * const error = new ConformanceError("mySource", "delivers every record once, in order", "record 3 is missing");
 * if (error.code !== "CA_ERR_CONFORMANCE") throw new Error("unexpected code");
 * if (!error.message.startsWith('mySource fails "delivers')) throw new Error(error.message);
 * ```
 */
export class ConformanceError extends Error {
  /** Always `"ConformanceError"`. */
  override name = "ConformanceError";
  /** Always `"CA_ERR_CONFORMANCE"`: match on it. */
  readonly code: "CA_ERR_CONFORMANCE" = "CA_ERR_CONFORMANCE";
  /** The harness's `name`. */
  readonly connector: string;
  /** The case that failed, as in the test's name. */
  readonly testCase: string;
  /** What went wrong, without the connector and case. */
  readonly reason: string;

  /**
   * Makes the error; the message reads `<connector> fails "<case>": <reason>`.
   *
   * @param connector The harness's `name`.
   * @param testCase The case that failed.
   * @param reason What went wrong.
   * @param options `cause`: an error the connector or pipeline raised.
   */
  constructor(
    connector: string,
    testCase: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`${connector} fails "${testCase}": ${reason}`, options);
    this.connector = connector;
    this.testCase = testCase;
    this.reason = reason;
  }
}
