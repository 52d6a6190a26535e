// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * HELLO (frame type 1), writer to reader, the first frame of a connection:
 * who is writing which stream, with what token, and the writer's limits.
 */
export interface ChannelHello {
  /** The message kind. */
  type: "hello";
  /** The protocol version the writer speaks. */
  version: 1;
  /** The stream to write (1 to 256 UTF-8 bytes). */
  stream: string;
  /** The secret the reader checks (0 to 4096 UTF-8 bytes; may be empty). */
  token: string;
  /** The writer instance's id (1 to 256 UTF-8 bytes): sequence numbers are per instance. */
  writer: string;
  /** The lowest sequence number the writer can still send: its oldest unacknowledged DATA, or its next new one. */
  firstSeq: number;
  /** The largest frame, in bytes with its length prefix, the writer accepts. */
  maxFrameBytes: number;
  /** The most records the writer puts in one DATA frame. */
  batchRecords: number;
}

/**
 * WELCOME (frame type 2), reader to writer, in answer to a HELLO it
 * accepts: where to resume, how much to send, and the reader's limits.
 */
export interface ChannelWelcome {
  /** The message kind. */
  type: "welcome";
  /** The protocol version the connection uses. */
  version: 1;
  /** How many DATA frames the writer may send before it waits for CREDIT. */
  credit: number;
  /** The sequence number to send next: the first one the reader has not accepted. */
  nextSeq: number;
  /** Send a HEARTBEAT after this many idle milliseconds; 0 turns heartbeats off. */
  heartbeatMs: number;
  /** The largest frame, in bytes with its length prefix, the reader accepts. */
  maxFrameBytes: number;
}

/** DATA (frame type 3), writer to reader: one numbered batch of records. */
export interface ChannelData<T = unknown> {
  /** The message kind. */
  type: "data";
  /** The batch's sequence number, from 1, one more than the previous batch's. */
  seq: number;
  /** The records, at least one; each travels as JSON. */
  records: T[];
}

/**
 * ACK (frame type 4), reader to writer: every DATA frame up to and
 * including `seq` is stored downstream of the reader.
 */
export interface ChannelAck {
  /** The message kind. */
  type: "ack";
  /** The highest sequence number stored, with every one below it. */
  seq: number;
}

/** CREDIT (frame type 5), reader to writer: this many more DATA frames may be sent. */
export interface ChannelCredit {
  /** The message kind. */
  type: "credit";
  /** How many more DATA frames the writer may send, at least 1. */
  credit: number;
}

/** HEARTBEAT (frame type 6), either way: the sender is alive. */
export interface ChannelHeartbeat {
  /** The message kind. */
  type: "heartbeat";
  /** The sender's monotonic clock in milliseconds, when it sent one. */
  time?: number;
}

/** CLOSE (frame type 7), either way: the sender ends the connection. */
export interface ChannelClose {
  /** The message kind. */
  type: "close";
  /** Why, as one of `CLOSE_CODES` (any code from 1000 to 4999 decodes). */
  code: number;
  /** A human-readable reason, at most 123 UTF-8 bytes (may be empty). */
  reason: string;
}

/**
 * One frame of the channel protocol, decoded: the union of the seven
 * message kinds, told apart by `type`. `encodeFrame()` turns one into bytes
 * and `FrameDecoder` turns bytes back into them.
 *
 * @typeParam T The record type a DATA message carries.
 *
 * @example Handle each kind
 * ```ts
 * import { type ChannelMessage } from "./channel_message.ts";
 * import { decodeFrames } from "./decode_frames.ts";
 * import { encodeFrame } from "./encode_frame.ts";
 *
 * function describe(message: ChannelMessage): string {
 *   switch (message.type) {
 *     case "data":
 *       return `batch ${message.seq} of ${message.records.length} records`;
 *     case "ack":
 *       return `stored up to ${message.seq}`;
 *     default:
 *       return message.type;
 *   }
 * }
 * const bytes = encodeFrame({ type: "data", seq: 1, records: [{ id: 1 }] });
 * const [message] = decodeFrames(bytes);
 * if (describe(message!) !== "batch 1 of 1 records") throw new Error("unexpected");
 * ```
 */
export type ChannelMessage<T = unknown> =
  | ChannelHello
  | ChannelWelcome
  | ChannelData<T>
  | ChannelAck
  | ChannelCredit
  | ChannelHeartbeat
  | ChannelClose;
