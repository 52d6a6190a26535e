// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Thrown by `cloudEventsWriter()` when a receiver did not accept events:
 * it answered with a status other than 2xx, or could not be reached, and
 * retrying (when the failure was worth it) did not help.
 *
 * @example Tell a rejection from a network failure
 * ```ts
 * import { CloudEventsDeliveryError } from "@ca/streams/cloudevents";
 *
 * const error = new CloudEventsDeliveryError("http://localhost/", 400, 1, "bad type");
 * if (error.code !== "CA_ERR_CLOUDEVENTS_DELIVERY" || error.status !== 400) {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export class CloudEventsDeliveryError extends Error {
  /** Stable code to match on. */
  readonly code: "CA_ERR_CLOUDEVENTS_DELIVERY" = "CA_ERR_CLOUDEVENTS_DELIVERY";
  /** Where the events went. */
  readonly url: string;
  /** The receiver's HTTP status; `undefined` when it was not reached. */
  readonly status: number | undefined;
  /** How many attempts were made. */
  readonly attempts: number;
  /** The start of the receiver's answer, when it sent one. */
  readonly body: string;

  /**
   * Creates a delivery error.
   *
   * @param url Where the events went.
   * @param status The HTTP status, or `undefined` when unreachable.
   * @param attempts How many attempts were made.
   * @param body The start of the answer's body.
   * @param options `cause`: the network error, if any.
   */
  constructor(
    url: string,
    status: number | undefined,
    attempts: number,
    body = "",
    options: { cause?: unknown } = {},
  ) {
    const why = status === undefined
      ? `the receiver could not be reached (${
        options.cause instanceof Error
          ? options.cause.message
          : String(options.cause)
      })`
      : `the receiver answered ${status}${body ? `: ${body}` : ""}`;
    super(
      `Cannot deliver CloudEvents to ${url}: ${why}${
        attempts > 1 ? ` (after ${attempts} attempts)` : ""
      }`,
      { cause: options.cause },
    );
    this.name = "CloudEventsDeliveryError";
    this.url = url;
    this.status = status;
    this.attempts = attempts;
    this.body = body;
  }
}
