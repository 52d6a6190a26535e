// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * One open connection of a channel, whatever carries it (TCP, WebSocket):
 * a byte stream each way. The channel protocol runs over it.
 */
export interface ChannelConnection {
  /** Bytes from the peer. Ends when the peer closes; errors when the link breaks. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer. */
  readonly writable: WritableStream<Uint8Array>;
  /** Where the peer is, for messages (`127.0.0.1:50312`). */
  readonly remote: string;
  /** Closes the connection at once, both ways; never throws. */
  close(): void;
}

/** Accepts connections until closed; see {@linkcode ChannelConnection}. */
export interface ChannelListener extends AsyncIterable<ChannelConnection> {
  /** The port it listens on (useful when 0 asked for any free port). */
  readonly port: number;
  /** Stops listening; connections already accepted stay open. */
  close(): Promise<void>;
}
