// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * Connection options passed on to `mqtt.connect()` of the `mqtt` package
 * (mqtt.js 5): credentials, TLS and timing. The connector sets the client
 * id, the session and the protocol's flow control itself; everything else
 * mqtt.js accepts may be given here too.
 *
 * @example Credentials and TLS for an `mqtts://` broker
 * ```ts
 * import type { MqttClientOptions } from "@ca/streams/mqtt";
 *
 * const options: MqttClientOptions = {
 *   username: "ingest",
 *   password: "from-a-secret-store",
 *   rejectUnauthorized: true,
 *   keepalive: 30,
 * };
 * if (options.protocolVersion !== undefined) throw new Error("unexpected");
 * ```
 */
export interface MqttClientOptions {
  /** The user name (a URL's user name works too). */
  username?: string;
  /** The password; never written to errors or logs. */
  password?: string | Uint8Array;
  /** 5 (default): MQTT 5, with user properties and session expiry; 4: MQTT 3.1.1. */
  protocolVersion?: 4 | 5;
  /** Seconds between keepalive pings (mqtt.js default 60). */
  keepalive?: number;
  /** Milliseconds between reconnect attempts after a connection is lost (default 1000). */
  reconnectPeriod?: number;
  /** Milliseconds to wait for the broker's CONNACK (mqtt.js default 30000). */
  connectTimeout?: number;
  /** Trusted CA certificates for TLS (PEM). */
  ca?: string | Uint8Array | Array<string | Uint8Array>;
  /** A client certificate for TLS (PEM). */
  cert?: string | Uint8Array;
  /** The client certificate's private key (PEM). */
  key?: string | Uint8Array;
  /** Whether TLS checks the broker's certificate (default true). */
  rejectUnauthorized?: boolean;
  /** The TLS server name, when it differs from the URL's host. */
  servername?: string;
  /** Any other option of mqtt.js's `IClientOptions`. */
  [option: string]: unknown;
}
