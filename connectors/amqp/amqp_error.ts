// Copyright 2026 the @ca/streams authors. MIT license.

import { describeError } from "../../src/errors/describe_error.ts";

/**
 * What the AMQP connectors throw when the broker cannot be used: it is
 * unreachable at start, refuses the credentials, has no such queue, closed
 * a connection that cannot be reopened, or refused (nacked, returned) a
 * published message. The message names the connector and the broker's
 * address with its password redacted; `cause` holds the client's error.
 *
 * @example Tell a broker failure from others
 * ```ts
 * import { AmqpError } from "@ca/streams/amqp";
 *
 * const error: unknown = new AmqpError(
 *   "amqp-source",
 *   "connect to amqp://guest:***@127.0.0.1:5672",
 *   new Error("ACCESS_REFUSED"),
 * );
 * if (!(error instanceof AmqpError) || error.code !== "CA_ERR_AMQP") throw new Error("unexpected");
 * if (error.message !== "Cannot connect to amqp://guest:***@127.0.0.1:5672 (amqp-source): ACCESS_REFUSED") {
 *   throw new Error(error.message);
 * }
 * ```
 */
export class AmqpError extends Error {
  /** Stable code to match on. */
  readonly code: "CA_ERR_AMQP" = "CA_ERR_AMQP";
  /** The connector: `"amqp-source"` or `"amqp-sink"`. */
  readonly connector: string;
  /**
   * What failed, as the message says it: `"connect to redis://host:6379"`
   * when the server could not be reached at the start (then `ca` exits 3).
   */
  readonly action: string;

  /**
   * Creates the error.
   *
   * @param connector `"amqp-source"` or `"amqp-sink"`.
   * @param action What could not be done, such as `"connect to amqp://..."`.
   * @param cause Why (the client's error).
   */
  constructor(connector: string, action: string, cause: unknown) {
    super(`Cannot ${action} (${connector}): ${describeError(cause)}`, {
      cause,
    });
    this.name = "AmqpError";
    this.action = action;
    this.connector = connector;
  }
}
