// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * Where to listen or dial.
 *
 * @example Listen and dial on one address
 * ```ts
 * import { tcpConnect, tcpListen } from "@ca/streams/channel-tcp";
 * import type { TcpAddress } from "@ca/streams/channel-tcp";
 *
 * const address: TcpAddress = { hostname: "127.0.0.1", port: 0 };
 * const listener = await tcpListen(address);
 * const connection = await tcpConnect({ ...address, port: listener.port });
 * if (!connection.remote.endsWith(`:${listener.port}`)) throw new Error(connection.remote);
 * connection.close();
 * await listener.close();
 * ```
 */
export interface TcpAddress {
  /** Host name or address (default `"127.0.0.1"`). */
  hostname?: string;
  /** Port; 0 to listen on any free port. */
  port: number;
}

/** Checks an address, naming the bad field. */
export function checkAddress(
  what: string,
  address: TcpAddress,
): Required<TcpAddress> {
  if (address === null || typeof address !== "object") {
    throw new TypeError(
      `Cannot ${what}: address must be an object with a port, got ${
        address === null ? "null" : typeof address
      }`,
    );
  }
  const { hostname = "127.0.0.1", port } = address;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `Cannot ${what}: port must be an integer from 0 to 65535, got ${port}`,
    );
  }
  if (typeof hostname !== "string" || hostname === "") {
    throw new TypeError(
      `Cannot ${what}: hostname must be a non-empty string, got ${typeof hostname}`,
    );
  }
  return { hostname, port };
}
