// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * A NATS connector could not reach the server or was refused by it (an
 * unreachable server, wrong credentials, a TLS failure), or found the
 * server without what it needs (no JetStream, no such stream). The message
 * names the connector, the server (a password in its URL shown as `***`)
 * and the cause.
 *
 * @example Tell a connection failure from other errors
 * ```ts
 * import { NatsConnectError } from "@ca/streams/nats";
 *
 * const error = new NatsConnectError(
 *   "jetstream-source",
 *   "nats://127.0.0.1:1",
 *   new Error("connection refused"),
 * );
 * if (error.code !== "CA_ERR_NATS_CONNECT") throw new Error("unexpected");
 * if (!error.message.startsWith("Cannot connect jetstream-source to nats://127.0.0.1:1")) {
 *   throw new Error(error.message);
 * }
 * ```
 */
export class NatsConnectError extends Error {
  /** Stable code to match on. */
  readonly code: "CA_ERR_NATS_CONNECT" = "CA_ERR_NATS_CONNECT";
  /** The connector, such as `"jetstream-source"`. */
  readonly connector: string;

  /**
   * Creates the error.
   *
   * @param connector The connector's name.
   * @param server The server(s), passwords already redacted.
   * @param cause Why it failed: an error, or a sentence.
   */
  constructor(connector: string, server: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`Cannot connect ${connector} to ${server}: ${reason}`, { cause });
    this.name = "NatsConnectError";
    this.connector = connector;
  }
}
