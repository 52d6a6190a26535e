// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ChannelMessage } from "./channel_message.ts";
import { CHANNEL_PROTOCOL } from "./channel_protocol.ts";
import { ChannelProtocolError } from "./channel_protocol_error.ts";
import { CLOSE_CODES } from "./close_codes.ts";
import { FRAME_NAME, FRAME_TYPE } from "./frame_types.ts";
import {
  checkHello,
  checkWelcome,
  closeCodeIssue,
  type FieldIssue,
  isObject,
  maxFrameBytesOption,
} from "./payload_checks.ts";
import { describeValue } from "../util/describe_value.ts";
import { describeError } from "../errors/describe_error.ts";

/** Options for {@linkcode FrameDecoder}. */
export interface FrameDecoderOptions {
  /**
   * The largest frame accepted, in bytes with the length prefix: the
   * `maxFrameBytes` this side announces in its HELLO or WELCOME (default
   * 16 MiB, from 1 KiB to 1 GiB).
   */
  maxFrameBytes?: number;
  /**
   * The largest first frame accepted (a HELLO, WELCOME or CLOSE), so a peer
   * that has not yet shown a token cannot make this side hold 16 MiB.
   * Default 64 KiB, or `maxFrameBytes` when that is smaller. Set it to
   * `maxFrameBytes` to decode input that does not start a connection.
   */
  handshakeMaxFrameBytes?: number;
}

// Decoding leniently, then strictly only when the text holds a U+FFFD, gives
// the strict result at the lenient speed: one runtime's fatal decoder is ten
// times slower than its lenient one, and most text holds no U+FFFD.
const lenient = new TextDecoder("utf-8", { ignoreBOM: true });
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const EMPTY = new Uint8Array(0);

/** What a frame's payload must measure, by type: [min, max] bytes. */
const PAYLOAD_BYTES: readonly (readonly [number, number])[] = [
  [0, 0],
  [2, Infinity], // HELLO: a JSON object
  [2, Infinity], // WELCOME: a JSON object
  [15, Infinity], // DATA: u64 seq, u32 count, at least "[0]"
  [8, 8], // ACK: u64 seq
  [4, 4], // CREDIT: u32
  [0, 8], // HEARTBEAT: empty or u64 (4 bytes is refused below)
  [2, 2 + CHANNEL_PROTOCOL.maxCloseReasonBytes], // CLOSE: u16 code, reason
];

/**
 * An incremental decoder of channel frames (`docs/protocol.md`). Feed it
 * byte chunks as they arrive, cut anywhere: `push()` returns the messages
 * completed by each chunk, and keeps at most one unfinished frame.
 *
 * Every malformed input throws a `ChannelProtocolError` whose `closeCode`
 * says how to close the connection: 4003 for a frame above the limit,
 * 4002 for an unsupported version, 4000 for everything else (and 4007,
 * should the decoder itself fail). A frame's
 * length is checked as soon as its 4-byte prefix arrives, and its type and
 * size as soon as its type byte arrives, so nothing above the limit is ever
 * buffered: `bufferedBytes` stays below `maxFrameBytes`. The buffer of an
 * unfinished frame grows as its bytes arrive (to at most twice what
 * arrived), so a peer that announces a large frame and sends little makes
 * this side hold little. After an error the decoder is spent, and throws
 * the same error again.
 *
 * The first frame may be at most `handshakeMaxFrameBytes` (64 KiB); later
 * frames `maxFrameBytes`. The decoder checks each frame on its own; which
 * frame may follow which is the connection's business.
 *
 * @example Decode frames split across chunks
 * ```ts
 * import { encodeFrame } from "./encode_frame.ts";
 * import { FrameDecoder } from "./frame_decoder.ts";
 *
 * const bytes = new Uint8Array([
 *   ...encodeFrame({ type: "credit", credit: 8 }),
 *   ...encodeFrame({ type: "ack", seq: 3 }),
 * ]);
 * const decoder = new FrameDecoder();
 * const first = decoder.push(bytes.subarray(0, 11)); // CREDIT (9 bytes), 2 of ACK
 * const second = decoder.push(bytes.subarray(11));
 * decoder.end(); // throws if the input stopped inside a frame
 * if (first.length !== 1 || first[0]!.type !== "credit") throw new Error("unexpected");
 * if (second.length !== 1 || second[0]!.type !== "ack") throw new Error("unexpected");
 * ```
 */
export class FrameDecoder {
  #max: number;
  #limit: number;
  #offset = 0;
  #head = new Uint8Array(4);
  #headFill = 0;
  /** The unfinished frame's length (type byte and payload), or 0 between frames. */
  #length = 0;
  /**
   * What arrived of the unfinished frame's body. It grows as bytes arrive
   * (at least doubling, up to `#length`), so a peer that announces a large
   * frame and sends little makes this side hold little.
   */
  #body: Uint8Array = EMPTY;
  #bodyFill = 0;
  #error: ChannelProtocolError | undefined;

  /**
   * Creates a decoder.
   *
   * @param options The frame size limits.
   */
  constructor(options: FrameDecoderOptions = {}) {
    const P = CHANNEL_PROTOCOL;
    const max = maxFrameBytesOption(
      "create FrameDecoder",
      options.maxFrameBytes,
    );
    const first = options.handshakeMaxFrameBytes ??
      Math.min(P.handshakeMaxFrameBytes, max);
    if (!Number.isSafeInteger(first) || first < 5 || first > max) {
      throw new RangeError(
        `Cannot create FrameDecoder: options.handshakeMaxFrameBytes must be an integer from 5 to maxFrameBytes (${max}), got ${
          describeValue(first)
        }`,
      );
    }
    this.#max = max;
    this.#limit = first;
  }

  /** The largest frame accepted after the first, in bytes with the length prefix. */
  get maxFrameBytes(): number {
    return this.#max;
  }

  /**
   * Bytes held for the unfinished frame: the buffer allocated for what
   * arrived of it (at most twice that, and never more than the frame), or
   * the part of a length prefix cut across chunks. 0 between frames.
   */
  get bufferedBytes(): number {
    return this.#headFill + this.#body.length;
  }

  /** Bytes of the input taken by the frames decoded so far. */
  get bytesDecoded(): number {
    return this.#offset;
  }

  /**
   * Decodes the frames a chunk completes.
   *
   * @param chunk The next bytes of the input; the decoder does not keep it.
   * @returns The messages completed by this chunk, in order (often none).
   * @throws {ChannelProtocolError} The input is malformed; the messages
   * completed earlier in the same chunk are lost with it.
   * @throws {TypeError} `chunk` is not a `Uint8Array`.
   */
  push(chunk: Uint8Array): ChannelMessage[] {
    if (this.#error) throw this.#error;
    if (!(chunk instanceof Uint8Array)) {
      throw new TypeError(
        `Cannot decode channel frames: expected a Uint8Array chunk, got ${
          describeValue(chunk)
        }`,
      );
    }
    const out: ChannelMessage[] = [];
    try {
      this.#decode(chunk, out);
    } catch (error) {
      throw this.#fail(error);
    }
    return out;
  }

  /**
   * Checks that the input ended on a frame boundary. Call it at the end of
   * the input, and over WebSocket after every message, since a message
   * holds whole frames. The decoder can go on after it.
   *
   * @throws {ChannelProtocolError} The input stopped inside a frame.
   */
  end(): void {
    if (this.#error) throw this.#error;
    if (this.#headFill === 0 && this.#length === 0) return;
    const have = this.#length === 0
      ? `${this.#headFill} of its 4 length bytes`
      : `${this.#bodyFill + 4} of its ${this.#length + 4} bytes`;
    throw this.#fail(
      this.#protocolError(`input ended inside a frame, after ${have}`),
    );
  }

  #fail(error: unknown): ChannelProtocolError {
    this.#error = error instanceof ChannelProtocolError
      ? error
      : this.#protocolError(
        `internal error: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { closeCode: CLOSE_CODES.InternalError, cause: error },
      );
    this.#length = 0;
    this.#body = EMPTY;
    this.#bodyFill = 0;
    this.#headFill = 0;
    return this.#error;
  }

  #protocolError(
    detail: string,
    options: ConstructorParameters<typeof ChannelProtocolError>[1] = {},
  ): ChannelProtocolError {
    return new ChannelProtocolError(
      `Cannot decode channel frame at byte ${this.#offset}: ${detail}`,
      options,
    );
  }

  #field(issue: FieldIssue): never {
    throw this.#protocolError(
      `${issue.path}: expected ${issue.expected}, got ${issue.received}`,
      issue,
    );
  }

  /** Checks a frame's length as soon as its prefix is known. */
  #checkLength(length: number): void {
    if (length === 0) {
      throw this.#protocolError(
        "frame length 0: a frame holds at least its type byte",
      );
    }
    if (length + 4 > this.#limit) {
      throw this.#protocolError(
        `frame of ${length + 4} bytes is above the limit of ${this.#limit}${
          this.#limit < this.#max ? " for the first frame" : ""
        }`,
        { closeCode: CLOSE_CODES.FrameTooLarge },
      );
    }
  }

  /** Checks a frame's type and payload size as soon as its type byte is known. */
  #checkType(length: number, type: number): void {
    const bounds = PAYLOAD_BYTES[type];
    if (type === 0 || bounds === undefined) {
      throw this.#protocolError(
        `unknown frame type ${type} (0x${type.toString(16).padStart(2, "0")})`,
      );
    }
    const payload = length - 1;
    if (
      payload < bounds[0] || payload > bounds[1] ||
      (type === FRAME_TYPE.heartbeat && payload !== 0 && payload !== 8)
    ) {
      const [min, max] = bounds;
      throw this.#protocolError(
        `${FRAME_NAME[type]} payload of ${payload} bytes: expected ${
          type === FRAME_TYPE.heartbeat
            ? "0 or 8"
            : min === max
            ? String(min)
            : max === Infinity
            ? `at least ${min}`
            : `${min} to ${max}`
        }`,
      );
    }
  }

  #decode(chunk: Uint8Array, out: ChannelMessage[]): void {
    const n = chunk.length;
    let pos = 0;
    while (pos < n) {
      const length = this.#length;
      if (length !== 0) {
        // Continue the unfinished frame.
        const take = Math.min(length - this.#bodyFill, n - pos);
        if (this.#bodyFill === 0) this.#checkType(length, chunk[pos]!);
        this.#append(chunk.subarray(pos, pos + take));
        pos += take;
        if (this.#bodyFill < length) return;
        // Full: the buffer grew to exactly the frame's length.
        const body = this.#body;
        this.#length = 0;
        this.#body = EMPTY;
        this.#bodyFill = 0;
        out.push(this.#decodeBody(body, 0, length));
        this.#done(length);
      } else if (this.#headFill === 0 && n - pos >= 4) {
        // A frame starts in this chunk, with its whole length prefix.
        const length = readU32(chunk, pos);
        this.#checkLength(length);
        const start = pos + 4;
        if (n - start >= length) {
          this.#checkType(length, chunk[start]!);
          out.push(this.#decodeBody(chunk, start, length));
          this.#done(length);
          pos = start + length;
        } else {
          if (start < n) this.#checkType(length, chunk[start]!);
          this.#length = length;
          this.#append(chunk.subarray(start));
          return;
        }
      } else {
        // Collect a length prefix cut across chunks.
        const take = Math.min(4 - this.#headFill, n - pos);
        this.#head.set(chunk.subarray(pos, pos + take), this.#headFill);
        this.#headFill += take;
        pos += take;
        if (this.#headFill < 4) return;
        const length = readU32(this.#head, 0);
        this.#checkLength(length);
        this.#headFill = 0;
        this.#length = length; // its body is allocated as it arrives
      }
    }
  }

  /**
   * Adds bytes to the unfinished frame's body, growing its buffer to at
   * least twice its size (amortised copying), never beyond the frame.
   */
  #append(bytes: Uint8Array): void {
    const fill = this.#bodyFill + bytes.length;
    if (fill > this.#body.length) {
      const grown = new Uint8Array(
        Math.min(this.#length, Math.max(fill, 2 * this.#body.length)),
      );
      grown.set(this.#body.subarray(0, this.#bodyFill));
      this.#body = grown;
    }
    this.#body.set(bytes, this.#bodyFill);
    this.#bodyFill = fill;
  }

  #done(length: number): void {
    this.#offset += 4 + length;
    this.#limit = this.#max;
  }

  /** Decodes a whole frame body (type byte and payload) at `bytes[start]`. */
  #decodeBody(
    bytes: Uint8Array,
    start: number,
    length: number,
  ): ChannelMessage {
    const type = bytes[start]!;
    const p = start + 1;
    const end = start + length;
    switch (type) {
      case FRAME_TYPE.data: {
        const seq = this.#u64(bytes, p, "DATA.seq", 1);
        const count = readU32(bytes, p + 8);
        if (count === 0) {
          this.#field({
            path: "DATA.count",
            expected: "at least 1",
            received: "0",
            closeCode: CLOSE_CODES.ProtocolError,
            range: true,
          });
        }
        const records = this.#json(bytes, p + 12, end, "DATA.records");
        if (!Array.isArray(records) || records.length !== count) {
          this.#field({
            path: "DATA.records",
            expected: `a JSON array of ${count} records (DATA.count)`,
            received: Array.isArray(records)
              ? `${records.length} records`
              : describeValue(records),
            closeCode: CLOSE_CODES.ProtocolError,
            range: false,
          });
        }
        return { type: "data", seq, records };
      }
      case FRAME_TYPE.ack:
        return { type: "ack", seq: this.#u64(bytes, p, "ACK.seq", 1) };
      case FRAME_TYPE.credit: {
        const credit = readU32(bytes, p);
        if (credit === 0) {
          this.#field({
            path: "CREDIT.credit",
            expected: "at least 1",
            received: "0",
            closeCode: CLOSE_CODES.ProtocolError,
            range: true,
          });
        }
        return { type: "credit", credit };
      }
      case FRAME_TYPE.heartbeat:
        return length === 1 ? { type: "heartbeat" } : {
          type: "heartbeat",
          time: this.#u64(bytes, p, "HEARTBEAT.time", 0),
        };
      case FRAME_TYPE.close: {
        const code = (bytes[p]! << 8) | bytes[p + 1]!;
        const issue = closeCodeIssue("CLOSE.code", code);
        if (issue) this.#field(issue);
        return {
          type: "close",
          code,
          reason: this.#text(bytes, p + 2, end, "CLOSE.reason"),
        };
      }
      case FRAME_TYPE.hello:
        // `version` first, then `protocol` and the rest (payload_checks.ts).
        return checkHello(
          this.#object(bytes, p, end, "HELLO"),
          (issue) => this.#field(issue),
          true,
        );
      case FRAME_TYPE.welcome:
        return checkWelcome(
          this.#object(bytes, p, end, "WELCOME"),
          (issue) => this.#field(issue),
        );
      default:
        // #checkType refused every other type before the body was read.
        throw this.#protocolError(`unknown frame type ${type}`);
    }
  }

  /** Reads a u64 that must fit a JavaScript number (2^53 - 1 at most). */
  #u64(bytes: Uint8Array, at: number, path: string, min: number): number {
    const high = readU32(bytes, at);
    const low = readU32(bytes, at + 4);
    const value = high * 0x1_0000_0000 + low;
    if (high > 0x1f_ffff || value < min) {
      this.#field({
        path,
        expected: `an integer from ${min} to ${CHANNEL_PROTOCOL.maxSeq}`,
        received: high > 0x1f_ffff
          ? `0x${high.toString(16).padStart(8, "0")}${
            low.toString(16).padStart(8, "0")
          } (above 2^53 - 1)`
          : String(value),
        closeCode: CLOSE_CODES.ProtocolError,
        range: true,
      });
    }
    return value;
  }

  #text(bytes: Uint8Array, from: number, to: number, path: string): string {
    const view = bytes.subarray(from, to);
    const text = lenient.decode(view);
    if (text.indexOf("\uFFFD") === -1) return text;
    try {
      return strict.decode(view);
    } catch (error) {
      return this.#field({
        path,
        expected: "UTF-8 text",
        received: `invalid UTF-8 (${describeError(error, 80)})`,
        closeCode: CLOSE_CODES.ProtocolError,
        range: false,
      });
    }
  }

  #json(bytes: Uint8Array, from: number, to: number, path: string): unknown {
    const text = this.#text(bytes, from, to, path);
    try {
      return JSON.parse(text);
    } catch (error) {
      return this.#field({
        path,
        expected: "JSON",
        received: `invalid JSON (${describeError(error, 80)})`,
        closeCode: CLOSE_CODES.ProtocolError,
        range: false,
      });
    }
  }

  #object(
    bytes: Uint8Array,
    from: number,
    to: number,
    path: string,
  ): Record<string, unknown> {
    const value = this.#json(bytes, from, to, path);
    if (!isObject(value)) {
      this.#field({
        path,
        expected: "a JSON object",
        received: describeValue(value),
        closeCode: CLOSE_CODES.ProtocolError,
        range: false,
      });
    }
    return value;
  }
}

function readU32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! * 0x100_0000) +
    ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
}
