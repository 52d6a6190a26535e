// Copyright 2026 the @ca/streams authors. MIT license.
// Internal: opens (or takes) the connection of a NATS connector.

import type { NatsConnection } from "@nats-io/transport-node";
import type { ConnectionHealth } from "../../src/health/connection_health.ts";
import { importOptional } from "../runtime/import_optional.ts";
import type { NatsConnectionOptions } from "./nats_connection_options.ts";
import { NatsConnectError } from "./nats_connect_error.ts";

/** The default server when neither `connection` nor `url` is given. */
export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

/** A connection and how to let go of it. */
export interface NatsLink {
  readonly nc: NatsConnection;
  /** The server(s), with passwords redacted, for errors. */
  readonly server: string;
  /**
   * Flushes what was sent, then closes the connection if it was opened
   * here. With `flush: false`, flushes nothing and waits for the close
   * only briefly: for a pipeline being aborted (a host that lost its
   * lease, a link cut: what was not confirmed is not committed anyway),
   * and for a store whose every call already waited for its reply.
   */
  release(options?: { flush?: boolean }): Promise<void>;
  /** The connection's state, from the client's status events. */
  health(): ConnectionHealth;
}

/** Before a connector has its connection. */
export function connectingHealth(since: string): ConnectionHealth {
  return { state: "connecting", since };
}

/**
 * Follows the client's status events: `"reconnecting"` from a disconnect
 * until the reconnect, with what the client reported meanwhile (no
 * secrets: the server as host and port). Returns the reader and a stop.
 */
function watchHealth(
  nc: NatsConnection,
): { health(): ConnectionHealth; stop(): void } {
  let health: ConnectionHealth = {
    state: "connected",
    since: new Date().toISOString(),
  };
  const status = nc.status();
  (async () => {
    for await (const event of status) {
      if (event.type === "disconnect") {
        health = {
          state: "reconnecting",
          since: new Date().toISOString(),
          error: `the connection to ${event.server} was lost`,
        };
      } else if (event.type === "error" && health.state === "reconnecting") {
        health = { ...health, error: event.error.message };
      } else if (event.type === "reconnect") {
        health = { state: "connected", since: new Date().toISOString() };
      }
    }
  })().catch(() => {});
  return {
    health: () => ({ ...health }),
    stop: () => (status as { stop?: () => void }).stop?.(),
  };
}

/** `url` as text for errors: a password shows as `***`. */
export function redactedServers(url: NatsConnectionOptions["url"]): string {
  const list = url === undefined
    ? [DEFAULT_NATS_URL]
    : Array.isArray(url)
    ? url
    : [url];
  return list.map((one) => {
    const text = String(one);
    if (!URL.canParse(text)) return text.replace(/:[^:@/]*@/, ":***@");
    const parsed = new URL(text);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.href.replace(/\/$/, "");
  }).join(", ");
}

/** Checks the connection options when a connector is created. */
export function checkConnectionOptions(
  options: NatsConnectionOptions,
  connector: string,
): void {
  const { connection, url, connectOptions } = options;
  if (
    connection !== undefined &&
    (connection === null || typeof connection !== "object" ||
      typeof (connection as { isClosed?: unknown }).isClosed !== "function")
  ) {
    throw new TypeError(
      `Cannot create ${connector}: connection must be a connected nats.js client (connect() of @nats-io/transport-node)`,
    );
  }
  if (connection !== undefined && url !== undefined) {
    throw new TypeError(
      `Cannot create ${connector}: give either connection or url, not both`,
    );
  }
  const urls = url === undefined ? [] : Array.isArray(url) ? url : [url];
  for (const one of urls) {
    if (typeof one !== "string" && !(one instanceof URL)) {
      throw new TypeError(
        `Cannot create ${connector}: url must be a string or a URL (or an array of them), got ${typeof one}`,
      );
    }
  }
  if (
    connectOptions !== undefined &&
    (connectOptions === null || typeof connectOptions !== "object")
  ) {
    throw new TypeError(
      `Cannot create ${connector}: connectOptions must be an object`,
    );
  }
}

/**
 * Takes the given connection, or connects with `@nats-io/transport-node`
 * (loaded here, on first use) to `url`.
 */
export async function openNats(
  options: NatsConnectionOptions,
  connector: string,
): Promise<NatsLink> {
  const server = redactedServers(options.url);
  if (options.connection !== undefined) {
    const nc = options.connection as unknown as NatsConnection;
    if (nc.isClosed()) {
      throw new NatsConnectError(
        connector,
        nc.getServer?.() ?? server,
        "the connection passed in is closed",
      );
    }
    const watched = watchHealth(nc);
    return {
      nc,
      server: nc.getServer?.() ?? server,
      release: (options) => {
        watched.stop();
        return options?.flush === false
          ? Promise.resolve()
          : bounded(nc.flush()).then(() => {});
      },
      health: watched.health,
    };
  }
  const { connect } = await importOptional(
    () => import("@nats-io/transport-node"),
    "@nats-io/transport-node",
    `open ${connector}`,
  );
  const urls = options.url === undefined
    ? [DEFAULT_NATS_URL]
    : (Array.isArray(options.url) ? options.url : [options.url]);
  let nc: NatsConnection;
  try {
    nc = await connect({
      maxReconnectAttempts: -1,
      ...options.connectOptions,
      servers: urls.map(String),
    });
  } catch (error) {
    throw new NatsConnectError(connector, server, error);
  }
  const watched = watchHealth(nc);
  return {
    nc,
    server,
    health: watched.health,
    async release(options) {
      watched.stop();
      if (nc.isClosed()) return;
      // A flush that does not come back in time means a dead link (a
      // cut one looks connected until pings time out): the close then only
      // gets a moment too.
      const flushed = options?.flush === false
        ? false
        : await bounded(nc.flush());
      await bounded(nc.close(), flushed ? 2000 : 100);
    },
  };
}

/**
 * Waits for `promise` at most `ms` (a flush on a connection that is down
 * waits for the reconnect), ignoring its failure.
 */
export function bounded(
  promise: Promise<unknown>,
  ms = 2000,
): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.then(() => true, () => true),
    new Promise<boolean>((resolve) =>
      timer = setTimeout(() => resolve(false), ms)
    ),
  ]).finally(() => clearTimeout(timer));
}
