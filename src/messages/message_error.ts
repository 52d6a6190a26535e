// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { describeError } from "../errors/describe_error.ts";

/**
 * A message that cannot be decoded (a source) or a record that cannot be
 * encoded (a sink): it names the connector and the cause, and keeps what
 * could not be handled in `raw` so that a dead letter can take it.
 *
 * @example Tell a bad message from other failures
 * ```ts
 * import { decodeMessage, MessageError } from "@ca/streams/messages";
 *
 * try {
 *   decodeMessage({ payload: "{oops" }, "json", "redis-stream-source");
 *   throw new Error("expected a failure");
 * } catch (error) {
 *   if (!(error instanceof MessageError) || error.code !== "CA_ERR_MESSAGE") throw error;
 *   if (error.connector !== "redis-stream-source") throw error;
 * }
 * ```
 */
export class MessageError extends Error {
  /** Stable code to match on. */
  readonly code: "CA_ERR_MESSAGE" = "CA_ERR_MESSAGE";
  /** The connector that could not handle it, such as `"jetstream-sink"`. */
  readonly connector: string;
  /** The raw message (a source) or the record (a sink). */
  readonly raw: unknown;

  /**
   * Creates a message error.
   *
   * @param connector The connector's name.
   * @param action What could not be done, such as `"decode a message"`.
   * @param cause Why.
   * @param raw The raw message or the record.
   */
  constructor(connector: string, action: string, cause: unknown, raw: unknown) {
    super(`Cannot ${action} (${connector}): ${describeError(cause)}`, {
      cause,
    });
    this.name = "MessageError";
    this.connector = connector;
    this.raw = raw;
  }
}
