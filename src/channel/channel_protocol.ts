// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * The fixed values of the channel protocol, "ca-streams" version 1
 * (`docs/protocol.md`): its name and version, the WebSocket subprotocol, the
 * frame size limits, and the bounds of the handshake fields.
 *
 * @example Offer the subprotocol
 * ```ts
 * import { CHANNEL_PROTOCOL } from "@ca/streams/channel";
 *
 * const protocols = [CHANNEL_PROTOCOL.subprotocol]; // for new WebSocket(url, protocols)
 * if (protocols[0] !== "ca-streams.v1") throw new Error("unexpected");
 * ```
 */
export const CHANNEL_PROTOCOL = {
  /** The protocol name a HELLO carries in `protocol`. */
  name: "ca-streams",
  /** The protocol version this implementation speaks. */
  version: 1,
  /** The WebSocket subprotocol (`Sec-WebSocket-Protocol`). */
  subprotocol: "ca-streams.v1",
  /** Bytes before the frame type: the big-endian u32 length. */
  lengthBytes: 4,
  /** The `maxFrameBytes` a peer announces unless configured otherwise: 16 MiB. */
  defaultMaxFrameBytes: 16 * 1024 * 1024,
  /** The smallest `maxFrameBytes` a peer may announce: 1 KiB. */
  minMaxFrameBytes: 1024,
  /** The largest `maxFrameBytes` a peer may announce: 1 GiB. */
  maxMaxFrameBytes: 1024 * 1024 * 1024,
  /** The largest first frame (HELLO, WELCOME or CLOSE) a peer must accept: 64 KiB. */
  handshakeMaxFrameBytes: 64 * 1024,
  /** The most UTF-8 bytes of a CLOSE reason (what fits a WebSocket close frame). */
  maxCloseReasonBytes: 123,
  /** The most UTF-8 bytes of a stream name or a writer id. */
  maxNameBytes: 256,
  /** The most UTF-8 bytes of a token. */
  maxTokenBytes: 4096,
  /** The largest `batchRecords` a HELLO may announce. */
  maxBatchRecords: 1_048_576,
  /** The largest credit a WELCOME or CREDIT may carry (u32). */
  maxCredit: 0xffff_ffff,
  /** The largest `heartbeatMs` a WELCOME may carry (what timers accept). */
  maxHeartbeatMs: 0x7fff_ffff,
  /** The largest sequence number, and the largest u64 a JavaScript peer reads: 2^53 - 1. */
  maxSeq: Number.MAX_SAFE_INTEGER,
} as const;
