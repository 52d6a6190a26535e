// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ChannelMessage } from "./channel_message.ts";
import { FrameDecoder, type FrameDecoderOptions } from "./frame_decoder.ts";

/**
 * A `TransformStream` from the bytes of a connection (a TCP socket's
 * readable side, say) to channel messages, with a {@linkcode FrameDecoder}
 * inside: frames may be cut anywhere across chunks. Malformed input errors
 * the stream with a `ChannelProtocolError`, and so does input that ends
 * inside a frame.
 *
 * @example Decode a byte stream
 * ```ts
 * import { encodeFrame } from "./encode_frame.ts";
 * import { FrameDecoderStream } from "./frame_decoder_stream.ts";
 *
 * const bytes = new Uint8Array([
 *   ...encodeFrame({ type: "data", seq: 1, records: ["a", "b"] }),
 *   ...encodeFrame({ type: "close", code: 1000, reason: "done" }),
 * ]);
 * const chunks = [bytes.subarray(0, 10), bytes.subarray(10)];
 * const messages = await Array.fromAsync(
 *   ReadableStream.from(chunks).pipeThrough(new FrameDecoderStream()),
 * );
 * if (messages.map((m) => m.type).join() !== "data,close") {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export class FrameDecoderStream
  extends TransformStream<Uint8Array, ChannelMessage> {
  /**
   * Creates the stream.
   *
   * @param options The frame size limits, as for `FrameDecoder`.
   */
  constructor(options: FrameDecoderOptions = {}) {
    const decoder = new FrameDecoder(options);
    super({
      transform(chunk, controller) {
        const messages = decoder.push(chunk);
        for (let i = 0; i < messages.length; i++) {
          controller.enqueue(messages[i]!);
        }
      },
      flush() {
        decoder.end();
      },
    });
  }
}
