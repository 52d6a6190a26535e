// Copyright 2026 the @ca/streams authors. MIT license.

import { describeError } from "../../src/errors/describe_error.ts";

/**
 * An MQTT connector could not do its work with the broker: the broker is
 * unreachable at start, it refused the connection (wrong credentials, a
 * client id it does not allow), it refused a subscription, or it did not
 * confirm a publish. The message names the connector and the cause, never
 * a password.
 *
 * @example Match on the code
 * ```ts
 * import { MqttError } from "@ca/streams/mqtt";
 *
 * const error = new MqttError("mqtt-source", "connect to mqtt://127.0.0.1:1", "ECONNREFUSED");
 * if (error.code !== "CA_ERR_MQTT" || !error.message.startsWith("Cannot connect")) {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export class MqttError extends Error {
  /** Stable code to match on. */
  readonly code: "CA_ERR_MQTT" = "CA_ERR_MQTT";
  /** The connector, `"mqtt-source"` or `"mqtt-sink"`. */
  readonly connector: string;
  /**
   * What failed, as the message says it: `"connect to redis://host:6379"`
   * when the server could not be reached at the start (then `ca` exits 3).
   */
  readonly action: string;

  /**
   * Creates an MQTT error.
   *
   * @param connector The connector's name.
   * @param action What could not be done, such as `"connect to mqtt://host:1883"`.
   * @param cause Why.
   */
  constructor(connector: string, action: string, cause: unknown) {
    super(`Cannot ${action} (${connector}): ${describeError(cause)}`, {
      cause,
    });
    this.name = "MqttError";
    this.action = action;
    this.connector = connector;
  }
}
