// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * The close codes of the channel protocol (`docs/protocol.md`). A CLOSE
 * frame carries one, and over WebSocket the same code closes the socket
 * (1000 and 1001 are WebSocket's own, 4000-4999 are its application range).
 *
 * | code | name                 | who sends it, and why                                   | the writer then   |
 * | ---- | -------------------- | ------------------------------------------------------- | ----------------- |
 * | 1000 | `Normal`             | the writer: end of stream, every DATA acknowledged      | is done           |
 * | 1001 | `GoingAway`          | either side: shutting down or restarting                | reconnects        |
 * | 4000 | `ProtocolError`      | either side: a malformed frame or a broken rule         | fails             |
 * | 4001 | `AuthFailed`         | the reader: wrong or missing token                      | fails             |
 * | 4002 | `UnsupportedVersion` | either side: no common protocol version                 | fails             |
 * | 4003 | `FrameTooLarge`      | either side: a frame above the announced `maxFrameBytes` | fails             |
 * | 4004 | `HandshakeTimeout`   | either side: no HELLO or WELCOME in time                | reconnects        |
 * | 4005 | `HeartbeatTimeout`   | either side: nothing received for 3 heartbeat intervals | reconnects        |
 * | 4006 | `StreamBusy`         | the reader: another writer holds the stream             | reconnects        |
 * | 4007 | `InternalError`      | either side: a local failure unrelated to the peer      | reconnects        |
 * | 4008 | `UnknownStream`      | the reader: it serves no stream of that name            | fails             |
 *
 * @example Name a close code
 * ```ts
 * import { CLOSE_CODES } from "@ca/streams/channel";
 *
 * const names = new Map(
 *   Object.entries(CLOSE_CODES).map(([name, code]) => [code, name]),
 * );
 * if (names.get(4001) !== "AuthFailed") throw new Error("unexpected");
 * ```
 */
export const CLOSE_CODES = {
  /** End of stream: the writer is done and every DATA frame was acknowledged. */
  Normal: 1000,
  /** The sender is shutting down or restarting; reconnect later. */
  GoingAway: 1001,
  /** A malformed frame, or a frame that breaks the protocol's rules. */
  ProtocolError: 4000,
  /** The HELLO's token was wrong or missing. */
  AuthFailed: 4001,
  /** The peers share no protocol version. */
  UnsupportedVersion: 4002,
  /** A frame was larger than the receiver's announced `maxFrameBytes`. */
  FrameTooLarge: 4003,
  /** The HELLO or WELCOME did not arrive in time. */
  HandshakeTimeout: 4004,
  /** Nothing arrived for three heartbeat intervals. */
  HeartbeatTimeout: 4005,
  /** Another writer holds the stream. */
  StreamBusy: 4006,
  /** The sender failed for a reason of its own. */
  InternalError: 4007,
  /** The reader serves no stream of the HELLO's name. */
  UnknownStream: 4008,
} as const;

/**
 * One of the close codes in {@linkcode CLOSE_CODES}.
 *
 * @example Decide whether a writer reconnects after a close code
 * ```ts
 * import { CLOSE_CODES } from "@ca/streams/channel";
 * import type { ChannelCloseCode } from "@ca/streams/channel";
 *
 * const fatal = new Set<ChannelCloseCode>([
 *   CLOSE_CODES.ProtocolError,
 *   CLOSE_CODES.AuthFailed,
 *   CLOSE_CODES.UnsupportedVersion,
 *   CLOSE_CODES.FrameTooLarge,
 *   CLOSE_CODES.UnknownStream,
 * ]);
 * const reconnects = (code: ChannelCloseCode) => code !== CLOSE_CODES.Normal && !fatal.has(code);
 * if (!reconnects(CLOSE_CODES.StreamBusy) || reconnects(CLOSE_CODES.AuthFailed)) {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export type ChannelCloseCode = typeof CLOSE_CODES[keyof typeof CLOSE_CODES];
