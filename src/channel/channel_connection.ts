// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * One open connection of a channel, whatever carries it (TCP, WebSocket):
 * a byte stream each way. The channel protocol runs over it.
 *
 * @example Bytes each way over a TCP connection
 * ```ts
 * import type { ChannelConnection } from "@ca/streams/channel";
 * import { tcpConnect, tcpListen } from "@ca/streams/channel-tcp";
 *
 * const listener = await tcpListen({ port: 0 });
 * const accepted = listener[Symbol.asyncIterator]().next();
 * const client: ChannelConnection = await tcpConnect({ port: listener.port });
 * const server: ChannelConnection = (await accepted).value!;
 * await client.writable.getWriter().write(new Uint8Array([1, 2, 3]));
 * const { value } = await server.readable.getReader().read();
 * if (value?.length !== 3 || typeof server.remote !== "string") throw new Error("unexpected");
 * client.close();
 * server.close();
 * await listener.close();
 * ```
 */
export interface ChannelConnection {
  /** Bytes from the peer. Ends when the peer closes; errors when the link breaks. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer. */
  readonly writable: WritableStream<Uint8Array>;
  /** Where the peer is, for messages (`127.0.0.1:50312`). */
  readonly remote: string;
  /**
   * When the transport connection opened, as `Date.now()` (for a WebSocket:
   * the TCP connection, before the HTTP upgrade). A reader counts its
   * handshake timeout from it; without it, from when it got the connection.
   */
  readonly openedAt?: number;
  /** Closes the connection at once, both ways; never throws. */
  close(): void;
}

/**
 * Accepts connections until closed; see {@linkcode ChannelConnection}.
 *
 * @example Accept one connection, then stop listening
 * ```ts
 * import type { ChannelListener } from "@ca/streams/channel";
 * import { tcpConnect, tcpListen } from "@ca/streams/channel-tcp";
 *
 * const listener: ChannelListener = await tcpListen({ port: 0 });
 * const client = await tcpConnect({ port: listener.port });
 * for await (const connection of listener) {
 *   connection.close();
 *   break;
 * }
 * client.close();
 * await listener.close();
 * if (listener.port === 0) throw new Error("no port");
 * ```
 */
export interface ChannelListener extends AsyncIterable<ChannelConnection> {
  /** The port it listens on (useful when 0 asked for any free port). */
  readonly port: number;
  /** Stops listening; connections already accepted stay open. */
  close(): Promise<void>;
}
