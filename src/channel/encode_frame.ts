// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ChannelMessage } from "./channel_message.ts";
import { CHANNEL_PROTOCOL } from "./channel_protocol.ts";
import { DATA_HEADER_BYTES, FRAME_NAME, FRAME_TYPE } from "./frame_types.ts";
import {
  checkHello,
  checkWelcome,
  closeCodeIssue,
  type FieldIssue,
  integerIssue,
  isObject,
  maxFrameBytesOption,
} from "./payload_checks.ts";
import { jsonFrame, recordsJson, writeU32, writeU64 } from "./frame_bytes.ts";
import { describeValue } from "../util/describe_value.ts";

/** Options for {@linkcode encodeFrame}. */
export interface EncodeFrameOptions {
  /**
   * The largest frame the peer accepts, in bytes with the length prefix:
   * the `maxFrameBytes` of its HELLO or WELCOME (default 16 MiB). A larger
   * frame is refused with a `RangeError`.
   */
  maxFrameBytes?: number;
}

const encoder = new TextEncoder();

/**
 * Encodes one channel message as one frame: a big-endian u32 length, a type
 * byte and the payload (`docs/protocol.md`). The result owns its whole
 * `ArrayBuffer`, so it can be transferred or kept to send again.
 *
 * A DATA frame costs one `JSON.stringify` of the whole batch and one
 * `TextEncoder.encodeInto`. Records travel as JSON, so they come out as
 * `JSON.parse` gives them back (`undefined` in the array as `null`, a
 * `Date` as its ISO string). A CLOSE reason longer than 123 UTF-8 bytes is
 * cut at a character boundary. Fields are checked as a decoder would check
 * them, so a frame that encodes also decodes.
 *
 * @param message The message to encode.
 * @param options `maxFrameBytes`: the peer's limit.
 * @returns The frame's bytes.
 * @throws {TypeError} A field of the wrong type, or records with no JSON form.
 * @throws {RangeError} A field out of range, or a frame above `maxFrameBytes`.
 *
 * @example Encode a batch
 * ```ts
 * import { encodeFrame } from "./encode_frame.ts";
 *
 * const frame = encodeFrame({ type: "data", seq: 1, records: [{ id: 1 }] });
 * // 4-byte length, type 3, u64 seq, u32 count, then [{"id":1}]
 * if (frame.length !== 4 + 1 + 8 + 4 + 10) throw new Error("unexpected");
 * if (frame[4] !== 3) throw new Error("not DATA");
 * ```
 */
export function encodeFrame(
  message: ChannelMessage,
  options: EncodeFrameOptions = {},
): Uint8Array {
  const max = maxFrameBytesOption(
    "encode channel frame",
    options.maxFrameBytes,
  );
  if (!isObject(message)) {
    throw new TypeError(
      `Cannot encode channel frame: expected a message object, got ${
        describeValue(message)
      }`,
    );
  }
  switch (message.type) {
    case "data":
      return encodeData(message.seq, message.records, max);
    case "ack":
      return encodeU64Frame(FRAME_TYPE.ack, "ACK.seq", message.seq, 1);
    case "credit": {
      check(
        integerIssue(
          "CREDIT.credit",
          message.credit,
          1,
          CHANNEL_PROTOCOL.maxCredit,
        ),
      );
      const frame = header(FRAME_TYPE.credit, 4);
      writeU32(frame, 5, message.credit);
      return frame;
    }
    case "heartbeat":
      if (message.time === undefined) return header(FRAME_TYPE.heartbeat, 0);
      return encodeU64Frame(
        FRAME_TYPE.heartbeat,
        "HEARTBEAT.time",
        message.time,
        0,
      );
    case "close":
      return encodeClose(message.code, message.reason);
    case "hello": {
      const hello = checkHello(message as Record<string, unknown>, fail);
      return encodeJson(
        FRAME_TYPE.hello,
        JSON.stringify({
          protocol: CHANNEL_PROTOCOL.name,
          version: hello.version,
          stream: hello.stream,
          token: hello.token,
          writer: hello.writer,
          firstSeq: hello.firstSeq,
          maxFrameBytes: hello.maxFrameBytes,
          batchRecords: hello.batchRecords,
        }),
        max,
      );
    }
    case "welcome": {
      const welcome = checkWelcome(message as Record<string, unknown>, fail);
      return encodeJson(
        FRAME_TYPE.welcome,
        JSON.stringify({
          version: welcome.version,
          credit: welcome.credit,
          nextSeq: welcome.nextSeq,
          heartbeatMs: welcome.heartbeatMs,
          maxFrameBytes: welcome.maxFrameBytes,
        }),
        max,
      );
    }
    default:
      throw new TypeError(
        `Cannot encode channel frame: unknown message type ${
          describeValue((message as { type?: unknown }).type)
        }`,
      );
  }
}

function fail(issue: FieldIssue): never {
  const frame = issue.path.slice(0, issue.path.indexOf("."));
  const message =
    `Cannot encode ${frame} frame: ${issue.path}: expected ${issue.expected}, got ${issue.received}`;
  throw issue.range ? new RangeError(message) : new TypeError(message);
}

function check(issue: FieldIssue | undefined): void {
  if (issue) fail(issue);
}

/** A frame of `payloadBytes` with its length and type written. */
function header(type: number, payloadBytes: number): Uint8Array {
  const frame = new Uint8Array(5 + payloadBytes);
  writeU32(frame, 0, 1 + payloadBytes);
  frame[4] = type;
  return frame;
}

function encodeU64Frame(
  type: number,
  path: string,
  value: number,
  min: number,
): Uint8Array {
  check(integerIssue(path, value, min, CHANNEL_PROTOCOL.maxSeq));
  const frame = header(type, 8);
  writeU64(frame, 5, value);
  return frame;
}

function encodeClose(code: number, reason: string): Uint8Array {
  check(closeCodeIssue("CLOSE.code", code));
  if (typeof reason !== "string") {
    fail({
      path: "CLOSE.reason",
      expected: "a string",
      received: describeValue(reason),
      closeCode: 4000,
      range: false,
    });
  }
  const scratch = new Uint8Array(7 + CHANNEL_PROTOCOL.maxCloseReasonBytes);
  // encodeInto stops at a character boundary when the space runs out.
  const { written } = encoder.encodeInto(reason, scratch.subarray(7));
  writeU32(scratch, 0, 3 + written);
  scratch[4] = FRAME_TYPE.close;
  scratch[5] = code >>> 8;
  scratch[6] = code;
  return scratch.slice(0, 7 + written);
}

function tooLarge(type: number, bytes: string, max: number): RangeError {
  return new RangeError(
    `Cannot encode ${
      FRAME_NAME[type]
    } frame: it needs ${bytes} bytes, above maxFrameBytes ${max}${
      type === FRAME_TYPE.data ? "; send fewer records per frame" : ""
    }`,
  );
}

/** `jsonFrame()`, or the error that says how large the frame would be. */
function fittedJsonFrame(
  type: number,
  headerBytes: number,
  json: string,
  max: number,
): Uint8Array {
  const frame = jsonFrame(type, headerBytes, json, max);
  if (frame !== undefined) return frame;
  throw headerBytes + json.length > max
    ? tooLarge(type, `at least ${headerBytes + json.length}`, max)
    : tooLarge(type, `more than ${max}`, max);
}

function encodeJson(type: number, json: string, max: number): Uint8Array {
  return fittedJsonFrame(type, 5, json, max);
}

function encodeData(seq: number, records: unknown, max: number): Uint8Array {
  check(integerIssue("DATA.seq", seq, 1, CHANNEL_PROTOCOL.maxSeq));
  if (!Array.isArray(records)) {
    fail({
      path: "DATA.records",
      expected: "an array of records",
      received: describeValue(records),
      closeCode: 4000,
      range: false,
    });
  }
  if (records.length === 0) {
    fail({
      path: "DATA.records",
      expected: "at least 1 record",
      received: "an empty array",
      closeCode: 4000,
      range: true,
    });
  }
  const frame = fittedJsonFrame(
    FRAME_TYPE.data,
    DATA_HEADER_BYTES,
    recordsJson(records),
    max,
  );
  writeU64(frame, 5, seq);
  writeU32(frame, 13, records.length);
  return frame;
}
