// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { CLOSE_CODES } from "./close_codes.ts";

/**
 * Thrown when a channel's token is wrong or missing: by a reader that
 * rejects a HELLO (it closes the connection with `closeCode` 4001), and by
 * a writer whose reader closed with 4001. A writer does not reconnect after
 * it: retrying the same token cannot succeed.
 *
 * The message never contains the token.
 *
 * @example Reject a HELLO
 * ```ts
 * import { encodeFrame } from "./encode_frame.ts";
 * import { ChannelAuthError } from "@ca/streams/channel";
 *
 * const error = new ChannelAuthError("orders");
 * const close = encodeFrame({
 *   type: "close",
 *   code: error.closeCode,
 *   reason: "authentication failed",
 * });
 * if (close[5] !== 0x0f || close[6] !== 0xa1) throw new Error("not 4001");
 * ```
 */
export class ChannelAuthError extends Error {
  /** Stable code to match on. */
  readonly code: "CA_ERR_AUTH" = "CA_ERR_AUTH";
  /** The close code that goes with it: 4001 (`AuthFailed`). */
  readonly closeCode: 4001 = CLOSE_CODES.AuthFailed;
  /** The stream the token was for. */
  readonly stream: string;

  /**
   * Creates an authentication error.
   *
   * @param stream The stream the HELLO named.
   * @param options `cause`: the underlying error, if any.
   */
  constructor(stream: string, options: { cause?: unknown } = {}) {
    super(
      `Cannot open channel for stream ${
        JSON.stringify(stream)
      }: authentication failed (wrong or missing token)`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "ChannelAuthError";
    this.stream = stream;
  }
}
