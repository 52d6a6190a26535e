// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ChannelMessage } from "./channel_message.ts";
import { CHANNEL_PROTOCOL } from "./channel_protocol.ts";
import { FrameDecoder } from "./frame_decoder.ts";

/** Options for {@linkcode decodeFrames}. */
export interface DecodeFramesOptions {
  /**
   * The largest frame accepted, in bytes with the length prefix (default
   * 16 MiB). Unlike `FrameDecoder`, the first frame gets no smaller limit.
   */
  maxFrameBytes?: number;
}

/**
 * Decodes a buffer that holds whole channel frames, such as one WebSocket
 * message or a test vector. A buffer that ends inside a frame is malformed.
 *
 * @param bytes One or more whole frames.
 * @param options `maxFrameBytes`: the size limit.
 * @returns The messages, in order.
 * @throws {ChannelProtocolError} The bytes are not whole, valid frames.
 *
 * @example Decode a WebSocket message
 * ```ts
 * import { decodeFrames } from "./decode_frames.ts";
 * import { encodeFrame } from "./encode_frame.ts";
 *
 * const message = encodeFrame({ type: "heartbeat" });
 * const [heartbeat] = decodeFrames(message);
 * if (heartbeat?.type !== "heartbeat") throw new Error("unexpected");
 * ```
 */
export function decodeFrames(
  bytes: Uint8Array,
  options: DecodeFramesOptions = {},
): ChannelMessage[] {
  const maxFrameBytes = options.maxFrameBytes ??
    CHANNEL_PROTOCOL.defaultMaxFrameBytes;
  const decoder = new FrameDecoder({
    maxFrameBytes,
    handshakeMaxFrameBytes: maxFrameBytes,
  });
  const messages = decoder.push(bytes);
  decoder.end();
  return messages;
}
