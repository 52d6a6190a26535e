// Copyright 2026 the @ca/streams authors. MIT license.

import { describeError } from "../../src/errors/describe_error.ts";

/**
 * What the Redis Streams connectors throw when Redis cannot be used: it is
 * unreachable at start or for longer than `reconnectTimeoutMs` mid-run, it
 * refuses the credentials, or it answers a command with an error (a key
 * that is not a stream, a command the server does not know). The message
 * names the connector and the server's address with its password
 * redacted; `cause` holds the client's error.
 *
 * @example Tell a Redis failure from others
 * ```ts
 * import { RedisStreamError } from "@ca/streams/redis";
 *
 * const error: unknown = new RedisStreamError(
 *   "redis-stream-source",
 *   "connect to redis://app:***@127.0.0.1:6379",
 *   new Error("WRONGPASS invalid username-password pair"),
 * );
 * if (!(error instanceof RedisStreamError) || error.code !== "CA_ERR_REDIS") {
 *   throw new Error("unexpected");
 * }
 * if (!error.message.startsWith("Cannot connect to redis://app:***@127.0.0.1:6379 (redis-stream-source): WRONGPASS")) {
 *   throw new Error(error.message);
 * }
 * ```
 */
export class RedisStreamError extends Error {
  /** Stable code to match on. */
  readonly code: "CA_ERR_REDIS" = "CA_ERR_REDIS";
  /** The connector: `"redis-stream-source"` or `"redis-stream-sink"`. */
  readonly connector: string;
  /**
   * What failed, as the message says it: `"connect to redis://host:6379"`
   * when the server could not be reached at the start (then `ca` exits 3).
   */
  readonly action: string;

  /**
   * Creates the error.
   *
   * @param connector `"redis-stream-source"` or `"redis-stream-sink"`.
   * @param action What could not be done, such as `"connect to redis://..."`.
   * @param cause Why (the client's error).
   */
  constructor(connector: string, action: string, cause: unknown) {
    super(`Cannot ${action} (${connector}): ${describeError(cause)}`, {
      cause,
    });
    this.name = "RedisStreamError";
    this.action = action;
    this.connector = connector;
  }
}
