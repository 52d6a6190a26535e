// Copyright 2026 the @ca/streams authors. MIT license.

import type { RedisStreamClient } from "./redis_stream_client.ts";

/**
 * Where the Redis Streams connectors find Redis: a ready `client` (the
 * connector sends commands on it and never closes it), or a `url` (the
 * connector loads the `redis` package, opens its own connections and
 * closes them when it is done). Credentials go in the URL
 * (`redis://user:password@host:6379/0`, `rediss://` for TLS) or in
 * `clientOptions`; errors show the URL with its password as `***`.
 *
 * @example Connect with TLS and a password kept out of the URL
 * ```ts
 * import type { RedisStreamConnection } from "@ca/streams/redis";
 *
 * const connection: RedisStreamConnection = {
 *   url: "rediss://redis.internal:6380",
 *   clientOptions: {
 *     username: "pipeline",
 *     password: "from-a-secret-store",
 *     socket: { rejectUnauthorized: true },
 *   },
 *   reconnectTimeoutMs: 30_000,
 * };
 * if (connection.url === undefined) throw new Error("unexpected");
 * ```
 */
export interface RedisStreamConnection {
  /**
   * A connected client of the `redis` package (or a stand-in). The
   * connector does not close it. Give the source a client of its own
   * (`client.duplicate()`): its blocking reads hold the connection for up
   * to `blockMs` at a time.
   */
  client?: RedisStreamClient;
  /** A `redis://` or `rediss://` URL to connect to, when no `client` is given. */
  url?: string | URL;
  /**
   * With `url`: more options for `createClient()` of the `redis` package
   * (`username`, `password`, `database`, `socket: { tls, ca, ... }`). The
   * connector sets `socket.reconnectStrategy` itself.
   */
  clientOptions?: Record<string, unknown>;
  /**
   * How long a command may keep failing because the connection is down
   * before the connector gives up with a `RedisStreamError`, in ms
   * (default 60000). Meanwhile the client reconnects with backoff and the
   * connector sends the command again.
   */
  reconnectTimeoutMs?: number;
}
