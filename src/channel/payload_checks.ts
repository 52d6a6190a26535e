// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ChannelHello, ChannelWelcome } from "./channel_message.ts";
import { CHANNEL_PROTOCOL } from "./channel_protocol.ts";
import { CLOSE_CODES } from "./close_codes.ts";
import { describeValue } from "../util/describe_value.ts";

/** What is wrong with one field, before it becomes an error. */
export interface FieldIssue {
  /** The field, such as `"HELLO.version"`. */
  path: string;
  /** What it should hold, in words. */
  expected: string;
  /** What it holds, in words. */
  received: string;
  /** 4000, or 4002 for a version nobody here speaks. */
  closeCode: number;
  /** The value had the right type but was out of range. */
  range: boolean;
}

/** Turns an issue into the caller's error and throws it. */
export type Fail = (issue: FieldIssue) => never;

/**
 * Checks a `maxFrameBytes` option (default 16 MiB) and returns it; `what` is
 * the start of the error message, such as `"create FrameDecoder"`.
 */
export function maxFrameBytesOption(what: string, value: unknown): number {
  const max = value ?? CHANNEL_PROTOCOL.defaultMaxFrameBytes;
  if (
    typeof max !== "number" || !Number.isSafeInteger(max) ||
    max < CHANNEL_PROTOCOL.minMaxFrameBytes ||
    max > CHANNEL_PROTOCOL.maxMaxFrameBytes
  ) {
    throw new RangeError(
      `Cannot ${what}: options.maxFrameBytes must be an integer from ${CHANNEL_PROTOCOL.minMaxFrameBytes} to ${CHANNEL_PROTOCOL.maxMaxFrameBytes}, got ${
        describeValue(max)
      }`,
    );
  }
  return max;
}

/** UTF-8 length of a well-formed string, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Is `value` a plain JSON object (not null, not an array)? */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks an integer field; returns an issue or undefined. */
export function integerIssue(
  path: string,
  value: unknown,
  min: number,
  max: number,
): FieldIssue | undefined {
  if (Number.isSafeInteger(value)) {
    const n = value as number;
    if (n >= min && n <= max) return undefined;
  }
  return {
    path,
    expected: `an integer from ${min} to ${max}`,
    received: describeValue(value),
    closeCode: CLOSE_CODES.ProtocolError,
    range: typeof value === "number",
  };
}

/** Checks a text field measured in UTF-8 bytes; a secret is never quoted. */
function textIssue(
  path: string,
  value: unknown,
  minBytes: number,
  maxBytes: number,
  secret: boolean,
): FieldIssue | undefined {
  const expected = minBytes === 0
    ? `a string of at most ${maxBytes} UTF-8 bytes`
    : `a string of ${minBytes} to ${maxBytes} UTF-8 bytes`;
  if (typeof value !== "string") {
    return {
      path,
      expected,
      received: secret && value !== undefined
        ? `a value of type ${value === null ? "null" : typeof value}`
        : describeValue(value),
      closeCode: CLOSE_CODES.ProtocolError,
      range: false,
    };
  }
  if (!value.isWellFormed()) {
    return {
      path,
      expected: `${expected}, well-formed (no lone surrogates)`,
      received: "a string with a lone surrogate",
      closeCode: CLOSE_CODES.ProtocolError,
      range: false,
    };
  }
  const bytes = utf8Length(value);
  if (bytes >= minBytes && bytes <= maxBytes) return undefined;
  return {
    path,
    expected,
    received: `a string of ${bytes} UTF-8 bytes`,
    closeCode: CLOSE_CODES.ProtocolError,
    range: true,
  };
}

/**
 * Checks `version`: 1; another positive integer (up to 2^53 - 1) is a
 * 4002, anything else a 4000.
 */
function versionIssue(path: string, value: unknown): FieldIssue | undefined {
  if (value === CHANNEL_PROTOCOL.version) return undefined;
  const integer = Number.isSafeInteger(value) && (value as number) >= 1;
  return {
    path,
    expected: String(CHANNEL_PROTOCOL.version),
    received: describeValue(value),
    closeCode: integer
      ? CLOSE_CODES.UnsupportedVersion
      : CLOSE_CODES.ProtocolError,
    range: integer,
  };
}

const P = CHANNEL_PROTOCOL;

/** Checks a HELLO's `protocol`: exactly "ca-streams". */
function protocolIssue(value: unknown): FieldIssue | undefined {
  if (value === P.name) return undefined;
  return {
    path: "HELLO.protocol",
    expected: JSON.stringify(P.name),
    received: describeValue(value),
    closeCode: CLOSE_CODES.ProtocolError,
    range: false,
  };
}

/**
 * Checks the fields of a HELLO and returns a message holding exactly those
 * fields. `protocol`, which only the wire form has, is checked when `wire`
 * is true. `version` is checked first, so a later version's HELLO gets a
 * 4002 whatever else it carries, `protocol` included.
 */
export function checkHello(
  value: Record<string, unknown>,
  fail: Fail,
  wire = false,
): ChannelHello {
  const issue = versionIssue("HELLO.version", value.version) ??
    (wire ? protocolIssue(value.protocol) : undefined) ??
    textIssue("HELLO.stream", value.stream, 1, P.maxNameBytes, false) ??
    textIssue("HELLO.token", value.token, 0, P.maxTokenBytes, true) ??
    textIssue("HELLO.writer", value.writer, 1, P.maxNameBytes, false) ??
    integerIssue("HELLO.firstSeq", value.firstSeq, 1, P.maxSeq) ??
    integerIssue(
      "HELLO.maxFrameBytes",
      value.maxFrameBytes,
      P.minMaxFrameBytes,
      P.maxMaxFrameBytes,
    ) ??
    integerIssue(
      "HELLO.batchRecords",
      value.batchRecords,
      1,
      P.maxBatchRecords,
    );
  if (issue) fail(issue);
  return {
    type: "hello",
    version: 1,
    stream: value.stream as string,
    token: value.token as string,
    writer: value.writer as string,
    firstSeq: value.firstSeq as number,
    maxFrameBytes: value.maxFrameBytes as number,
    batchRecords: value.batchRecords as number,
  };
}

/**
 * Checks the fields of a WELCOME and returns a message holding exactly
 * those fields. `version` is checked first.
 */
export function checkWelcome(
  value: Record<string, unknown>,
  fail: Fail,
): ChannelWelcome {
  const issue = versionIssue("WELCOME.version", value.version) ??
    integerIssue("WELCOME.credit", value.credit, 0, P.maxCredit) ??
    integerIssue("WELCOME.nextSeq", value.nextSeq, 1, P.maxSeq) ??
    integerIssue(
      "WELCOME.heartbeatMs",
      value.heartbeatMs,
      0,
      P.maxHeartbeatMs,
    ) ??
    integerIssue(
      "WELCOME.maxFrameBytes",
      value.maxFrameBytes,
      P.minMaxFrameBytes,
      P.maxMaxFrameBytes,
    );
  if (issue) fail(issue);
  return {
    type: "welcome",
    version: 1,
    credit: value.credit as number,
    nextSeq: value.nextSeq as number,
    heartbeatMs: value.heartbeatMs as number,
    maxFrameBytes: value.maxFrameBytes as number,
  };
}

/** Checks a close code: 1000 to 4999, the codes a WebSocket close may carry. */
export function closeCodeIssue(
  path: string,
  value: unknown,
): FieldIssue | undefined {
  return integerIssue(path, value, 1000, 4999);
}
