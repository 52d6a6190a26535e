// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { CLOSE_CODES } from "./close_codes.ts";

/**
 * Options for {@linkcode ChannelProtocolError}.
 *
 * @example Refuse a HELLO with an unsupported version
 * ```ts
 * import { ChannelProtocolError, CLOSE_CODES } from "@ca/streams/channel";
 * import type { ChannelProtocolErrorOptions } from "@ca/streams/channel";
 *
 * const options: ChannelProtocolErrorOptions = {
 *   closeCode: CLOSE_CODES.UnsupportedVersion,
 *   path: "HELLO.version",
 *   expected: "1",
 *   received: "7",
 * };
 * const error = new ChannelProtocolError("Cannot accept the writer: version 7", options);
 * if (error.closeCode !== 4002 || error.path !== "HELLO.version") throw new Error("unexpected");
 * ```
 */
export interface ChannelProtocolErrorOptions {
  /** The close code to end the connection with (default 4000, `ProtocolError`). */
  closeCode?: number;
  /** The offending field, such as `"HELLO.version"` or `"DATA.seq"`. */
  path?: string;
  /** What the field should have held, in words. */
  expected?: string;
  /** What it held, in words (never a token's value). */
  received?: string;
  /** The underlying error, such as a JSON `SyntaxError`. */
  cause?: unknown;
}

/**
 * Thrown when a peer breaks the channel protocol: a malformed frame, a frame
 * above the size limit, an invalid HELLO or WELCOME field, or a frame that
 * breaks the protocol's rules. The connection cannot go on: send a CLOSE
 * with `closeCode` and close it.
 *
 * A field error is data as well as text: `path` names the field,
 * `expected` and `received` say what was wrong.
 *
 * @example Close with the error's code
 * ```ts
 * import { decodeFrames } from "./decode_frames.ts";
 * import { encodeFrame } from "./encode_frame.ts";
 * import { ChannelProtocolError } from "@ca/streams/channel";
 *
 * const bytes = encodeFrame({ type: "ack", seq: 7 });
 * try {
 *   decodeFrames(bytes.subarray(0, 6)); // cut short
 *   throw new Error("expected a protocol error");
 * } catch (error) {
 *   if (!(error instanceof ChannelProtocolError)) throw error;
 *   const close = encodeFrame({
 *     type: "close",
 *     code: error.closeCode,
 *     reason: error.message,
 *   });
 *   if (close.length > 130) throw new Error("reason too long");
 * }
 * ```
 */
export class ChannelProtocolError extends Error {
  /** Stable code to match on. */
  readonly code: "CA_ERR_PROTOCOL" = "CA_ERR_PROTOCOL";
  /** The close code to end the connection with: 4000, 4002 or 4003. */
  readonly closeCode: number;
  /** The offending field, when one is to blame. */
  readonly path: string | undefined;
  /** What the field should have held, when a field is to blame. */
  readonly expected: string | undefined;
  /** What the field held, when a field is to blame. */
  readonly received: string | undefined;

  /**
   * Creates a protocol error.
   *
   * @param message The whole message, "Cannot X: reason".
   * @param options The close code, the field and the cause.
   */
  constructor(message: string, options: ChannelProtocolErrorOptions = {}) {
    super(
      message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "ChannelProtocolError";
    this.closeCode = options.closeCode ?? CLOSE_CODES.ProtocolError;
    this.path = options.path;
    this.expected = options.expected;
    this.received = options.received;
  }
}
