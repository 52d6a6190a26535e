// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { ChangeNotifier } from "./change_notifier.ts";
import { batchSink } from "../sinks/batch_sink.ts";
import type { BatchSink, BatchWriteContext } from "../sinks/batch_sink.ts";
import type { ChannelConnection } from "./channel_connection.ts";
import { ChannelAuthError } from "./channel_auth_error.ts";
import type { ChannelMessage } from "./channel_message.ts";
import { CHANNEL_PROTOCOL } from "./channel_protocol.ts";
import { ChannelProtocolError } from "./channel_protocol_error.ts";
import { CLOSE_CODES } from "./close_codes.ts";
import { encodeDataFrames } from "./encode_data_frames.ts";
import { FramedConnection } from "./framed_connection.ts";
import { maxFrameBytesOption } from "./payload_checks.ts";

/**
 * Options for {@linkcode channelWriter}.
 *
 * @example Send small DATA frames to a reader on a free TCP port
 * ```ts
 * import { collect, pipeline } from "@ca/streams";
 * import { channelReader, channelWriter } from "@ca/streams/channel";
 * import type { ChannelWriterOptions } from "@ca/streams/channel";
 * import { tcpConnect, tcpListen } from "@ca/streams/channel-tcp";
 *
 * const listener = await tcpListen({ port: 0 });
 * const received = collect<number>();
 * const reading = pipeline(channelReader<number>(listener, { stream: "n" }), received);
 * const options: ChannelWriterOptions = {
 *   stream: "n",
 *   batchRecords: 2,
 *   reconnect: { initialDelayMs: 10, maxDelayMs: 1000 },
 * };
 * await pipeline([1, 2, 3], channelWriter(() => tcpConnect({ port: listener.port }), options));
 * await reading;
 * if (received.records.join() !== "1,2,3") throw new Error(`unexpected ${received.records}`);
 * ```
 */
export interface ChannelWriterOptions {
  /** The stream to write, as the reader serves it. */
  stream: string;
  /** The secret the reader checks (default empty). */
  token?: string;
  /** This writer instance's id (default a random UUID); sequence numbers are per id. */
  writerId?: string;
  /** The most records in one DATA frame (default 1024); larger batches are split. */
  batchRecords?: number;
  /**
   * The largest frame this writer accepts, and sends, in bytes (default
   * 16 MiB). A batch whose DATA frame would be larger than this or than
   * the reader's own `maxFrameBytes` is split into several frames; a
   * record too large for a frame of its own fails its write with a
   * `RangeError` (a dead letter, when the pipeline has a `deadLetter` sink).
   */
  maxFrameBytes?: number;
  /** How long to wait for the reader's WELCOME, in ms (default 10000). */
  handshakeTimeoutMs?: number;
  /**
   * How long `close()` keeps trying to tell the reader that the stream
   * ended (CLOSE 1000, answered by the reader), reconnecting when a
   * connection drops first, in ms (default 10000). Every record is
   * acknowledged by then; after it, `close()` resolves anyway.
   */
  endTimeoutMs?: number;
  /** Backoff between connection attempts, in ms (default 100, doubling to 30000). */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Stops the writer: pending writes fail with the signal's reason. */
  signal?: AbortSignal;
}

/** A batch given to `write`, acknowledged once ACKs cover all its frames. */
interface Batch {
  /** Its frames not yet acknowledged. */
  left: number;
  /** The deferred acknowledgement of the batch. */
  ack(error?: unknown): void;
}

/** A DATA frame sent or to be sent, kept until an ACK covers it. */
interface Outgoing<T> {
  seq: number;
  frame: Uint8Array;
  /**
   * Its records, kept until the frame is first sent: a frame never sent
   * may be split again for a reader with a smaller `maxFrameBytes`.
   */
  records: T[] | undefined;
  batch: Batch;
}

/** Settles a frame's part of its batch: ACKed, or failed with `error`. */
function settle<T>(item: Outgoing<T>, error?: unknown): void {
  if (error !== undefined) item.batch.ack(error);
  else if (--item.batch.left === 0) item.batch.ack();
}

/** Close codes after which reconnecting cannot help. */
const FATAL: ReadonlySet<number> = new Set([
  CLOSE_CODES.ProtocolError,
  CLOSE_CODES.AuthFailed,
  CLOSE_CODES.UnsupportedVersion,
  CLOSE_CODES.FrameTooLarge,
  CLOSE_CODES.UnknownStream,
]);

/**
 * Creates the writing end of a channel: a batch-aware sink that sends its
 * batches to a `channelReader()` over connections that `connect` opens
 * (TCP, WebSocket, ...), as the ca-streams protocol (docs/protocol.md).
 *
 * - **Frame size**: a batch whose DATA frame would be larger than the
 *   reader's `maxFrameBytes` (from its WELCOME) or this writer's is split
 *   into several frames, each with its own sequence number; the batch
 *   counts as stored once all of them are acknowledged.
 * - **Flow control**: a batch is sent only with credit from the reader, so
 *   a slow reader slows this writer, and `write` resolves once the batch is
 *   sent: the pipeline prepares the next batch while this one travels.
 * - **At least once**: every batch is kept until the reader acknowledges
 *   that its pipeline stored it; only then do its records count as stored
 *   here (`context.defer()`), so a checkpoint on the writing side never
 *   passes what the reading side has not stored.
 * - **Reconnection**: when the connection drops, it connects again with
 *   backoff and resends what was not acknowledged; the reader drops
 *   duplicates by sequence number. A wrong token (`ChannelAuthError`), an
 *   unknown stream or a protocol violation (`ChannelProtocolError`) fails
 *   the pipeline instead.
 *
 * @typeParam T The record type; records travel as JSON.
 * @param connect Opens a connection to the reader; called again to reconnect.
 * @param options The `stream`, `token`, and limits.
 * @returns A sink for `pipeline()`.
 *
 * @example Send records to a reader in the same process
 * ```ts
 * import { collect, pipeline } from "@ca/streams";
 * import { channelReader, channelWriter } from "@ca/streams/channel";
 * import { tcpConnect, tcpListen } from "@ca/streams/channel-tcp";
 *
 * const listener = await tcpListen({ port: 0 });
 * const received = collect<number>();
 * const reading = pipeline(channelReader(listener, { stream: "n" }), received);
 * await pipeline(
 *   [1, 2, 3],
 *   channelWriter<number>(() => tcpConnect({ port: listener.port }), { stream: "n" }),
 * );
 * await reading;
 * if (received.records.join() !== "1,2,3") throw new Error("unexpected");
 * ```
 */
export function channelWriter<T>(
  connect: (signal: AbortSignal) => Promise<ChannelConnection>,
  options: ChannelWriterOptions,
): BatchSink<T> {
  if (typeof connect !== "function") {
    throw new TypeError(
      `Cannot create channelWriter(): connect must be a function, got ${typeof connect}`,
    );
  }
  const stream = options?.stream;
  if (typeof stream !== "string" || stream === "") {
    throw new TypeError(
      "Cannot create channelWriter(): options.stream must be a non-empty string",
    );
  }
  const token = options.token ?? "";
  const writerId = options.writerId ?? crypto.randomUUID();
  const batchRecords = options.batchRecords ?? 1024;
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
  const endTimeoutMs = options.endTimeoutMs ?? 10_000;
  const initialDelayMs = options.reconnect?.initialDelayMs ?? 100;
  const maxDelayMs = options.reconnect?.maxDelayMs ?? 30_000;
  if (
    !Number.isInteger(batchRecords) || batchRecords < 1 ||
    batchRecords > CHANNEL_PROTOCOL.maxBatchRecords
  ) {
    throw new RangeError(
      `Cannot create channelWriter(): options.batchRecords must be an integer from 1 to ${CHANNEL_PROTOCOL.maxBatchRecords}, got ${batchRecords}`,
    );
  }
  const maxFrameBytes = maxFrameBytesOption(
    "create channelWriter()",
    options.maxFrameBytes,
  );

  const stop = new AbortController();
  options.signal?.addEventListener(
    "abort",
    () => fail(options.signal!.reason),
    { once: true },
  );
  let nextSeq = 1;
  /** Sent or waiting, not yet acknowledged, in seq order. */
  const outgoing: Outgoing<T>[] = [];
  /** The reader's maxFrameBytes, from the latest WELCOME. */
  let readerMaxFrameBytes: number | undefined;
  let sentUpTo = 0; // highest seq sent on the current connection
  let highestSent = 0; // highest seq ever sent
  let credit = 0;
  let link: FramedConnection | undefined;
  /** The connection being opened or used, to abort it on close. */
  let current: FramedConnection | undefined;
  /** The connection CLOSE 1000 was sent on, awaiting the reader's answer. */
  let endSentOn: FramedConnection | undefined;
  /** The reader answered CLOSE 1000: it knows the stream ended. */
  let ended = false;
  let failure: { error: unknown } | undefined;
  let running: Promise<void> | undefined;
  let closing = false;
  /** The abort signal of the pipeline (or stream) writing to this sink. */
  let pipelineSignal: AbortSignal | undefined;

  // Everyone waiting for a change (credit, an ack, a connection) waits here.
  const changes = new ChangeNotifier();
  function notify(): void {
    changes.notify();
  }
  async function until(ready: () => boolean): Promise<void> {
    while (!ready()) {
      if (failure) throw failure.error;
      await changes.changed;
    }
    if (failure) throw failure.error;
  }

  function fail(error: unknown): void {
    if (failure) return;
    failure = { error };
    stop.abort(error);
    for (const item of outgoing.splice(0)) settle(item, error);
    link?.abort();
    notify();
  }

  function acknowledge(seq: number): void {
    if (seq > highestSent) {
      throw new ChannelProtocolError(
        `Cannot accept ACK ${seq}: the highest DATA sent is ${highestSent}`,
        { closeCode: CLOSE_CODES.ProtocolError },
      );
    }
    while (outgoing.length > 0 && outgoing[0]!.seq <= seq) {
      settle(outgoing.shift()!);
    }
    notify();
    endIfDone();
  }

  /**
   * Sends CLOSE 1000 once closing and everything is acknowledged. The run
   * loop waits for the reader's answer, and sends it again on a new
   * connection when this one drops first: a lost CLOSE would leave the
   * reader waiting for more.
   */
  function endIfDone(): void {
    const framed = link;
    if (
      !closing || outgoing.length > 0 || framed === undefined ||
      endSentOn === framed || failure
    ) return;
    endSentOn = framed;
    framed.send({
      type: "close",
      code: CLOSE_CODES.Normal,
      reason: "end of stream",
    })
      .catch(() => framed.abort());
  }

  /**
   * Sends what is waiting, while there is credit, in seq order. A send that
   * fails means the link broke: it is dropped, and the run loop reconnects
   * and resends whatever was not acknowledged.
   */
  async function pump(framed: FramedConnection): Promise<void> {
    try {
      while (credit > 0 && link === framed) {
        // Seqs in `outgoing` are consecutive. Look the next one up anew
        // after each send: ACKs may have shifted the queue meanwhile, and
        // another pump may have sent it.
        const first = outgoing[0];
        if (first === undefined) return;
        const item = outgoing[Math.max(0, sentUpTo + 1 - first.seq)];
        if (item === undefined) return;
        credit--;
        sentUpTo = item.seq;
        if (item.seq > highestSent) highestSent = item.seq;
        item.records = undefined; // sent: its seq now stands for this frame
        await framed.sendFrame(item.frame);
        notify(); // a write may wait for this frame to go out
      }
    } catch {
      framed.abort();
    }
  }

  async function handshake(framed: FramedConnection): Promise<void> {
    await framed.send({
      type: "hello",
      version: 1,
      stream,
      token,
      writer: writerId,
      firstSeq: outgoing[0]?.seq ?? nextSeq,
      maxFrameBytes,
      batchRecords,
    });
    const first = await framed.nextWithin(handshakeTimeoutMs);
    if (first === "timeout") {
      await framed.close(CLOSE_CODES.HandshakeTimeout, "no WELCOME in time");
      throw new Error("Cannot write channel: no WELCOME in time");
    }
    if (first === null) {
      throw new Error("Cannot write channel: the reader hung up at HELLO");
    }
    if (first.type === "close") refused(first.code, first.reason);
    if (first.type !== "welcome") {
      throw new ChannelProtocolError(
        `Cannot write channel: expected WELCOME, got ${first.type.toUpperCase()}`,
        { closeCode: CLOSE_CODES.ProtocolError },
      );
    }
    const oldest = outgoing[0]?.seq ?? nextSeq;
    if (first.nextSeq < oldest || first.nextSeq > nextSeq) {
      throw new ChannelProtocolError(
        `Cannot write channel: WELCOME.nextSeq ${first.nextSeq} is outside ${oldest}..${nextSeq}`,
        { closeCode: CLOSE_CODES.ProtocolError },
      );
    }
    // Below nextSeq the reader has them: they wait for an ACK, unsent.
    sentUpTo = first.nextSeq - 1;
    credit = first.credit;
    readerMaxFrameBytes = first.maxFrameBytes;
    try {
      fitFrames();
    } catch (error) {
      await framed.close(CLOSE_CODES.InternalError, "a frame is too large");
      fail(error);
      throw error;
    }
    framed.watchHeartbeats(first.heartbeatMs);
  }

  /** The largest DATA frame to send: the reader's limit, or this writer's. */
  function frameLimit(): { maxFrameBytes: number; limitName: string } {
    const reader = readerMaxFrameBytes ?? maxFrameBytes;
    return reader <= maxFrameBytes
      ? { maxFrameBytes: reader, limitName: "the reader's maxFrameBytes" }
      : { maxFrameBytes, limitName: "the writer's maxFrameBytes" };
  }

  /**
   * After a WELCOME: splits again the frames never sent that are above
   * the reader's limit (it may be smaller than the last reader's), giving
   * them and those after them new sequence numbers. A frame already sent
   * keeps its seq and records (a seq always stands for the same records),
   * so one above the limit can never be sent again: that fails the writer.
   */
  function fitFrames(): void {
    const limits = { ...frameLimit(), maxRecords: batchRecords };
    const max = limits.maxFrameBytes;
    let unsent = 0;
    while (unsent < outgoing.length && outgoing[unsent]!.seq <= highestSent) {
      const { seq, frame } = outgoing[unsent++]!;
      if (frame.length > max) {
        throw new RangeError(
          `Cannot write channel "${stream}": DATA ${seq}, sent before, is ${frame.length} bytes, above ${limits.limitName} ${max} of the new connection`,
        );
      }
    }
    let at = unsent;
    while (at < outgoing.length && outgoing[at]!.frame.length <= max) at++;
    if (at === outgoing.length) return;
    const tail = outgoing.splice(unsent);
    let seq = tail[0]!.seq;
    for (const item of tail) {
      const frames = encodeDataFrames(seq, item.records!, limits);
      item.batch.left += frames.length - 1;
      for (const { frame, records } of frames) {
        outgoing.push({ seq: seq++, frame, records, batch: item.batch });
      }
    }
    nextSeq = seq;
  }

  function refused(code: number, reason: string): never {
    const detail = reason ? `: ${reason}` : "";
    if (code === CLOSE_CODES.AuthFailed) {
      throw new ChannelAuthError(stream);
    }
    if (FATAL.has(code)) {
      throw new ChannelProtocolError(
        `Cannot write channel "${stream}": the reader closed with ${code}${detail}`,
        { closeCode: code as never },
      );
    }
    throw new Error(
      `Cannot write channel: the reader closed with ${code}${detail}`,
    );
  }

  /** Reads ACK, CREDIT, HEARTBEAT and CLOSE until the connection ends. */
  async function serve(framed: FramedConnection): Promise<void> {
    for (;;) {
      const message: ChannelMessage | null = await framed.next();
      if (message === null) return; // abnormal closure: reconnect
      switch (message.type) {
        case "ack":
          acknowledge(message.seq);
          break;
        case "credit":
          credit += message.credit;
          void pump(framed);
          break;
        case "heartbeat":
          break;
        case "close":
          if (message.code === CLOSE_CODES.Normal && endSentOn === framed) {
            ended = true; // the reader's answer to our CLOSE 1000
            return;
          }
          await framed.close(message.code);
          if (message.code === CLOSE_CODES.Normal) return;
          refused(message.code, message.reason);
          break;
        default:
          throw new ChannelProtocolError(
            `Cannot write channel: unexpected ${message.type.toUpperCase()} after WELCOME`,
            { closeCode: CLOSE_CODES.ProtocolError },
          );
      }
    }
  }

  async function run(): Promise<void> {
    let attempt = 0;
    while (!failure && !ended) {
      let framed: FramedConnection | undefined;
      try {
        framed = new FramedConnection(
          await connect(stop.signal),
          maxFrameBytes,
        );
        current = framed;
        if (stop.signal.aborted) return;
        await handshake(framed);
        attempt = 0;
        link = framed;
        notify();
        await pump(framed);
        endIfDone();
        await serve(framed);
      } catch (error) {
        if (
          error instanceof ChannelAuthError ||
          error instanceof ChannelProtocolError
        ) {
          await framed?.close(error.closeCode);
          fail(error);
          return;
        }
        if (stop.signal.aborted) return;
      } finally {
        if (link === framed) link = undefined;
        framed?.abort();
        notify();
      }
      if (failure || ended || stop.signal.aborted) return;
      const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** attempt++);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          stop.signal.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, Math.random() * ceiling);
        stop.signal.addEventListener("abort", done, { once: true });
      });
    }
  }

  /** Queues a batch's frames and resolves once they are sent. */
  async function send(records: T[], context: BatchWriteContext): Promise<void> {
    running ??= run();
    // Frames are cut to the reader's limit, which its WELCOME tells.
    if (readerMaxFrameBytes === undefined) {
      await until(() => readerMaxFrameBytes !== undefined);
    }
    // Encode every frame first: a record that cannot be encoded (or is too
    // large for a frame) fails the write with nothing queued, no sequence
    // number used (a gap would be a protocol error at the reader) and no
    // acknowledgement left deferred.
    const frames = encodeDataFrames(nextSeq, records, {
      ...frameLimit(),
      maxRecords: batchRecords,
    });
    const batch: Batch = { left: frames.length, ack: context.defer() };
    for (const { frame, records } of frames) {
      outgoing.push({ seq: nextSeq++, frame, records, batch });
    }
    if (link) await pump(link);
    // Resolve once sent: the acknowledgement comes later, deferred. The
    // frames may be split again on a new connection, so the batch's last
    // frame is whichever frame of it is last in the queue.
    await until(() => {
      for (let i = outgoing.length - 1; i >= 0; i--) {
        const item = outgoing[i]!;
        if (item.batch === batch) return item.seq <= sentUpTo;
      }
      return true; // all acknowledged (or failed: until() throws)
    });
  }

  return batchSink<T>({
    async write(records: T[], context: BatchWriteContext) {
      if (failure) throw failure.error;
      // A write waiting for credit from a reader that is gone must end when
      // the pipeline aborts: the stream calls abort() only after it.
      const { signal } = context;
      pipelineSignal = signal;
      if (signal.aborted) throw signal.reason;
      const onAbort = () => fail(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        await send(records, context);
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
    },
    async close() {
      closing = true;
      running ??= run();
      // The same signal as the writes': an abort while the last batches
      // wait for their ACK ends the wait.
      const signal = pipelineSignal;
      const onAbort = () => fail(signal!.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        await until(() => outgoing.length === 0);
      } finally {
        signal?.removeEventListener("abort", onAbort);
      }
      endIfDone();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        running,
        new Promise((resolve) => timer = setTimeout(resolve, endTimeoutMs)),
      ]);
      clearTimeout(timer);
      stop.abort();
      current?.abort();
      await running;
    },
    abort(reason) {
      void link?.close(CLOSE_CODES.GoingAway, "aborted");
      fail(reason ?? new Error("Cannot write channel: aborted"));
    },
  });
}
