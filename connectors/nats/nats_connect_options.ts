// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * Options of nats.js's `connect()` (`ConnectionOptions` of
 * `@nats-io/nats-core`), passed through as they are: the connector sets
 * `servers` from `url` and, unless given, `maxReconnectAttempts: -1`.
 *
 * @example A token and a client name
 * ```ts
 * import type { NatsConnectOptions } from "@ca/streams/nats";
 *
 * const options: NatsConnectOptions = { token: "t0k3n", name: "ingest" };
 * if (options.name !== "ingest") throw new Error("unexpected");
 * ```
 */
export interface NatsConnectOptions {
  /** User name (with `pass`). */
  user?: string;
  /** Password (with `user`). */
  pass?: string;
  /** Token authentication. */
  token?: string;
  /** TLS: `caFile`, `certFile`, `keyFile` (or `ca`, `cert`, `key` as PEM text). */
  tls?: {
    caFile?: string;
    ca?: string;
    certFile?: string;
    cert?: string;
    keyFile?: string;
    key?: string;
    handshakeFirst?: boolean;
  };
  /** The client's name, shown by the server. */
  name?: string;
  /** Reconnect attempts per server after a disconnect; -1 (the default here) for ever. */
  maxReconnectAttempts?: number;
  /** Milliseconds between reconnect attempts to the same server. */
  reconnectTimeWait?: number;
  /** Milliseconds to wait for the first connection. */
  timeout?: number;
  /** Any other option of nats.js's `connect()` (an `authenticator`, ...). */
  [option: string]: unknown;
}
