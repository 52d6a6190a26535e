// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/** The frame type byte of each message kind (`docs/protocol.md`). */
export const FRAME_TYPE = {
  hello: 1,
  welcome: 2,
  data: 3,
  ack: 4,
  credit: 5,
  heartbeat: 6,
  close: 7,
} as const;

/** The frame names used in messages, indexed by type byte. */
export const FRAME_NAME: readonly string[] = [
  "",
  "HELLO",
  "WELCOME",
  "DATA",
  "ACK",
  "CREDIT",
  "HEARTBEAT",
  "CLOSE",
];

/** Bytes of a DATA frame before its JSON: length, type, u64 seq, u32 count. */
export const DATA_HEADER_BYTES = 17;
