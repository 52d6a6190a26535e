// Copyright 2026 the @ca/streams authors. MIT license.

import type { NatsConnectionLike } from "./nats_connection_like.ts";
import type { NatsConnectOptions } from "./nats_connect_options.ts";

/**
 * How a NATS connector reaches the server, shared by
 * {@linkcode jetStreamSource}, {@linkcode jetStreamSink},
 * {@linkcode natsSource} and {@linkcode natsSink}: either a ready
 * `connection` (the connector uses it and leaves it open), or `url` plus the
 * client's `connectOptions` (the connector connects on first use, with
 * `@nats-io/transport-node`, and closes what it opened).
 *
 * A connection the connector opens reconnects for as long as it takes
 * (`maxReconnectAttempts: -1`, unless `connectOptions` says otherwise): a
 * cut connection mid-run does not stop the pipeline. A password in `url`
 * is never shown in errors.
 *
 * @example Credentials and TLS for a connection the connector opens
 * ```ts
 * import type { NatsConnectionOptions } from "@ca/streams/nats";
 *
 * const options: NatsConnectionOptions = {
 *   url: "tls://nats.example.com:4222",
 *   connectOptions: {
 *     user: "orders",
 *     pass: "s3cret",
 *     tls: { caFile: "/etc/nats/ca.pem" },
 *     name: "orders-pipeline",
 *   },
 * };
 * if (options.connectOptions?.user !== "orders") throw new Error("unexpected");
 * ```
 */
export interface NatsConnectionOptions {
  /**
   * A connected client (`connect()` of `@nats-io/transport-node`, or any
   * nats.js v3 transport): the connector uses it and never closes it.
   */
  connection?: NatsConnectionLike;
  /**
   * The server(s) to connect to when no `connection` is given (default
   * `nats://127.0.0.1:4222`); `user:pass@` in a URL is allowed.
   */
  url?: string | URL | Array<string | URL>;
  /**
   * Options of the client's `connect()` for a connection the connector
   * opens: `user`/`pass`, `token`, `authenticator`, `tls` (`caFile`,
   * `certFile`, `keyFile`, ...), `name`, `maxReconnectAttempts`,
   * `reconnectTimeWait`, `timeout`, ...
   */
  connectOptions?: NatsConnectOptions;
}
