// Copyright 2026 the @ca/streams authors. MIT license.

import { CHANNEL_PROTOCOL } from "../../src/channel/channel_protocol.ts";
import { maxFrameBytesOption } from "../../src/channel/payload_checks.ts";
import type { ChannelListener } from "../../src/channel/channel_connection.ts";
import { checkAddress as checkTcpAddress } from "../channel_tcp/tcp_address.ts";
import { currentRuntime } from "../runtime/current_runtime.ts";

/**
 * Where to listen for WebSocket connections.
 *
 * @example Listen on a path of a free port
 * ```ts
 * import { wsConnect, wsListen } from "@ca/streams/channel-ws";
 * import type { WsAddress } from "@ca/streams/channel-ws";
 *
 * const address: WsAddress = { hostname: "127.0.0.1", port: 0, path: "/orders" };
 * const listener = await wsListen(address);
 * const url = `ws://${address.hostname}:${listener.port}${address.path}`;
 * const connection = await wsConnect(url);
 * connection.close();
 * await listener.close();
 * ```
 */
export interface WsAddress {
  /** Host name or address (default `"127.0.0.1"`). */
  hostname?: string;
  /** Port; 0 to listen on any free port. */
  port: number;
  /** The only path upgraded (default `"/"`); others get 404. */
  path?: string;
}

/** Limits of a WebSocket listener, checked. */
export interface WsLimits {
  /** The largest message accepted, in bytes. */
  maxFrameBytes: number;
  /** The send buffer bound of each connection, in bytes. */
  maxBufferedBytes: number | undefined;
}

/** Limits of a WebSocket listener, checked. */
export interface WsListenLimits extends WsLimits {
  /** How long an HTTP upgrade may take from the TCP connection, in ms. */
  handshakeTimeoutMs: number;
}

/** What each runtime provides; `deno.ts` and `node.ts` implement it. */
export interface WsRuntime {
  listen(
    address: Required<WsAddress>,
    limits: WsListenLimits,
  ): Promise<ChannelListener>;
}

/** The reason a reader gives when a client does not offer `ca-streams.v1`. */
export const UNSUPPORTED_REASON = "supported versions: 1";

let loaded: Promise<WsRuntime> | undefined;

/** Loads the module of the runtime we run on, once and lazily. */
export function loadWsRuntime(): Promise<WsRuntime> {
  loaded ??= currentRuntime() === "deno"
    ? import("./deno.ts").then((m) => m.denoWs)
    : import("./node.ts").then((m) => m.nodeWs);
  return loaded;
}

/**
 * How a reader answers an upgrade, by the subprotocols the client offered:
 * - `"accept"`: it offered `ca-streams.v1`;
 * - `"unsupported"`: it offered none, or only other `ca-streams.*` versions:
 *   accept the socket (selecting `protocol`, the first version offered, as
 *   WHATWG clients fail a connection that selects none of those offered)
 *   and close it at once with 4002, so the client learns why;
 * - `"refuse"`: it offered only other protocols: answer 400.
 */
export type Upgrade =
  | { action: "accept"; protocol: string }
  | { action: "unsupported"; protocol: string | undefined }
  | { action: "refuse"; protocol: undefined };

/** Decides {@linkcode Upgrade} from a `Sec-WebSocket-Protocol` value. */
export function chooseUpgrade(offered: string | null | undefined): Upgrade {
  const protocols = (offered ?? "").split(",").map((p) => p.trim())
    .filter((p) => p !== "");
  if (protocols.includes(CHANNEL_PROTOCOL.subprotocol)) {
    return { action: "accept", protocol: CHANNEL_PROTOCOL.subprotocol };
  }
  if (protocols.length === 0) {
    return { action: "unsupported", protocol: undefined };
  }
  const version = protocols.find((p) =>
    p.startsWith(`${CHANNEL_PROTOCOL.name}.`)
  );
  if (version !== undefined) {
    return { action: "unsupported", protocol: version };
  }
  return { action: "refuse", protocol: undefined };
}

/** The text of a 400 answer to an upgrade that offers no ca-streams version. */
export const REFUSED_TEXT =
  `Bad request: offer the WebSocket subprotocol ${CHANNEL_PROTOCOL.subprotocol}`;

/** Checks an address, naming the bad field. */
export function checkAddress(address: WsAddress): Required<WsAddress> {
  const what = "listen for WebSockets";
  const { hostname, port } = checkTcpAddress(what, address);
  const { path = "/" } = address;
  if (typeof path !== "string" || !path.startsWith("/")) {
    throw new TypeError(
      `Cannot ${what}: path must be a string starting with "/", got ${
        JSON.stringify(path)
      }`,
    );
  }
  return { hostname, port, path };
}

/** Checks the limits of a listener or a connection. */
export function checkLimits(
  what: string,
  options: { maxFrameBytes?: number; maxBufferedBytes?: number },
): WsLimits {
  const maxFrameBytes = maxFrameBytesOption(what, options.maxFrameBytes);
  const maxBufferedBytes = options.maxBufferedBytes;
  if (
    maxBufferedBytes !== undefined &&
    !(Number.isFinite(maxBufferedBytes) && maxBufferedBytes >= 0)
  ) {
    throw new RangeError(
      `Cannot ${what}: options.maxBufferedBytes must be a number of bytes, got ${maxBufferedBytes}`,
    );
  }
  return { maxFrameBytes, maxBufferedBytes };
}

/** The default handshake timeout, as the channel reader's. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/** Checks the limits of a listener. */
export function checkListenLimits(
  what: string,
  options: {
    maxFrameBytes?: number;
    maxBufferedBytes?: number;
    handshakeTimeoutMs?: number;
  },
): WsListenLimits {
  const handshakeTimeoutMs = options.handshakeTimeoutMs ??
    DEFAULT_HANDSHAKE_TIMEOUT_MS;
  if (
    !Number.isSafeInteger(handshakeTimeoutMs) || handshakeTimeoutMs < 1 ||
    handshakeTimeoutMs > 2 ** 31 - 1
  ) {
    throw new RangeError(
      `Cannot ${what}: options.handshakeTimeoutMs must be an integer from 1 to ${
        2 ** 31 - 1
      }, got ${handshakeTimeoutMs}`,
    );
  }
  return { ...checkLimits(what, options), handshakeTimeoutMs };
}
