// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ChannelConnection } from "./channel_connection.ts";
import type { ChannelMessage } from "./channel_message.ts";
import { encodeFrame } from "./encode_frame.ts";
import { FrameDecoder } from "./frame_decoder.ts";

/**
 * A connection spoken in frames: `next()` resolves to the next message (or
 * `null` at the end of the transport), `send()` writes one frame. Both
 * sessions (writer and reader) run on it; it knows nothing of their rules.
 */
export class FramedConnection {
  readonly connection: ChannelConnection;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #decoder: FrameDecoder;
  #queued: ChannelMessage[] = [];
  #closed = false;
  /** The heartbeat interval, cleared as the connection closes. */
  #beat: ReturnType<typeof setInterval> | undefined;
  /**
   * When the last whole frame arrived, for heartbeat timeouts: bytes of an
   * unfinished frame do not count.
   */
  lastReceived = Date.now();
  /** When the last frame was sent, for heartbeats. */
  lastSent = Date.now();

  constructor(connection: ChannelConnection, maxFrameBytes: number) {
    this.connection = connection;
    this.#reader = connection.readable.getReader();
    this.#writer = connection.writable.getWriter();
    this.#decoder = new FrameDecoder({ maxFrameBytes });
    // A write failing after the link broke is reported by next() instead.
    this.#writer.closed.catch(() => {});
  }

  /** The next message; `null` when the transport ended between frames. */
  async next(): Promise<ChannelMessage | null> {
    while (this.#queued.length === 0) {
      const { value, done } = await this.#reader.read();
      if (done) {
        this.#decoder.end(); // throws when it ended inside a frame
        return null;
      }
      const messages = this.#decoder.push(value);
      // Only a whole frame shows the peer alive: bytes of a frame that
      // never completes (a peer sending one byte a second) do not.
      if (messages.length > 0) this.lastReceived = Date.now();
      for (const message of messages) this.#queued.push(message);
    }
    return this.#queued.shift()!;
  }

  /**
   * The next message, or `"timeout"` when none arrived within `ms` (for
   * the handshake).
   */
  async nextWithin(ms: number): Promise<ChannelMessage | null | "timeout"> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        this.next(),
        new Promise<"timeout">((resolve) => {
          timer = setTimeout(() => resolve("timeout"), ms);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Keeps the connection alive as the protocol says: a HEARTBEAT after
   * `heartbeatMs` without sending, and CLOSE 4005 after three intervals
   * without receiving. Stops by itself once the connection is closed.
   */
  watchHeartbeats(heartbeatMs: number): void {
    if (heartbeatMs <= 0 || this.#closed) return;
    clearInterval(this.#beat);
    const beat = this.#beat = setInterval(() => {
      if (this.#closed) return clearInterval(beat);
      const now = Date.now();
      if (now - this.lastReceived >= 3 * heartbeatMs) {
        clearInterval(beat);
        void this.close(4005, "no frame for three heartbeat intervals");
      } else if (now - this.lastSent >= heartbeatMs) {
        this.send({ type: "heartbeat", time: Math.round(performance.now()) })
          .catch(() => {});
      }
    }, Math.max(10, heartbeatMs / 2));
  }

  /** Sends a message; resolves when the transport took it. */
  send(message: ChannelMessage): Promise<void> {
    return this.sendFrame(encodeFrame(message));
  }

  /** Sends bytes already encoded (a DATA frame kept for resending). */
  sendFrame(frame: Uint8Array): Promise<void> {
    this.lastSent = Date.now();
    return this.#writer.write(frame);
  }

  /**
   * Sends CLOSE with `code` (best effort) and closes the transport; never
   * throws. The peer is given a moment to read it.
   */
  async close(code: number, reason = ""): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#beat);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        this.send({ type: "close", code, reason: reason.slice(0, 100) }),
        new Promise((resolve) => timer = setTimeout(resolve, 1000)),
      ]);
    } catch {
      // The link is gone already.
    } finally {
      clearTimeout(timer);
    }
    this.abort();
  }

  /** Closes the transport at once. */
  abort(): void {
    this.#closed = true;
    clearInterval(this.#beat);
    this.#reader.cancel().catch(() => {});
    this.connection.close();
  }

  /** True once close() or abort() was called. */
  get closed(): boolean {
    return this.#closed;
  }
}
