// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { ChangeNotifier } from "./change_notifier.ts";
import type { Position } from "../checkpoint/position.ts";
import { resumableSource } from "../sources/resumable_source.ts";
import type {
  ResumableSource,
  SourceBatch,
} from "../sources/resumable_source.ts";
import type { ChannelConnection } from "./channel_connection.ts";
import type { ChannelHello } from "./channel_message.ts";
import { CHANNEL_PROTOCOL } from "./channel_protocol.ts";
import { ChannelProtocolError } from "./channel_protocol_error.ts";
import { CLOSE_CODES } from "./close_codes.ts";
import { FramedConnection } from "./framed_connection.ts";

/**
 * Options for {@linkcode channelReader}.
 *
 * @example A reader with a token and a small credit window
 * ```ts
 * import { collect, pipeline } from "@ca/streams";
 * import { channelReader, channelWriter } from "@ca/streams/channel";
 * import type { ChannelReaderOptions } from "@ca/streams/channel";
 * import { tcpConnect, tcpListen } from "@ca/streams/channel-tcp";
 *
 * const listener = await tcpListen({ port: 0 });
 * const options: ChannelReaderOptions = { stream: "n", token: "s3cret", window: 4 };
 * const received = collect<number>();
 * const reading = pipeline(channelReader<number>(listener, options), received);
 * const connect = () => tcpConnect({ port: listener.port });
 * await pipeline([1, 2], channelWriter(connect, { stream: "n", token: "s3cret" }));
 * await reading;
 * if (received.records.join() !== "1,2") throw new Error(`unexpected ${received.records}`);
 * ```
 */
export interface ChannelReaderOptions {
  /** The stream this reader serves. */
  stream: string;
  /** The secret writers must present (default empty: any writer). */
  token?: string;
  /**
   * Credit window, in DATA frames (default 16): at most this many batches
   * are on their way or in this pipeline, not yet stored.
   */
  window?: number;
  /** Heartbeat interval the writers follow, in ms (default 5000; 0: none). */
  heartbeatMs?: number;
  /**
   * How long a new connection may take to say HELLO, in ms, from the
   * transport opening (default 10000): for a WebSocket, from its TCP
   * connection, the HTTP upgrade included (give `wsListen()` the same
   * `handshakeTimeoutMs`, as it bounds the upgrade).
   */
  handshakeTimeoutMs?: number;
  /** The largest frame accepted, in bytes (default 16 MiB). */
  maxFrameBytes?: number;
  /**
   * End the source when a writer closes normally (CLOSE 1000), once all it
   * sent is through (default true). With false, the reader waits for the
   * next writer until the pipeline stops.
   */
  endOnClose?: boolean;
}

/**
 * A reader's position: the last batch done of one writer instance.
 *
 * @example The checkpoint of a reader names the writer and its last batch
 * ```ts
 * import { collect, memoryStore, pipeline } from "@ca/streams";
 * import { channelReader, channelWriter } from "@ca/streams/channel";
 * import type { ChannelPosition } from "@ca/streams/channel";
 * import { tcpConnect, tcpListen } from "@ca/streams/channel-tcp";
 *
 * const listener = await tcpListen({ port: 0 });
 * const reading = pipeline(channelReader<number>(listener, { stream: "n" }), collect(), {
 *   id: "n-reader",
 *   checkpoint: { store: memoryStore() },
 * });
 * const connect = () => tcpConnect({ port: listener.port });
 * await pipeline([1, 2, 3], channelWriter(connect, { stream: "n", writerId: "w1" }));
 * const position = (await reading).position as ChannelPosition;
 * if (position.writer !== "w1" || position.seq !== 1) throw new Error("unexpected");
 * ```
 */
export interface ChannelPosition {
  /** The writer instance's id. */
  writer: string;
  /** Its last sequence number done. */
  seq: number;
  /** Positions are JSON objects. */
  [key: string]: Position;
}

/** What the reader knows of one writer instance. */
interface WriterState {
  id: string;
  /** Highest seq taken into the pipeline. */
  accepted: number;
  /** Highest seq the pipeline stored (acknowledged or about to be). */
  stored: number;
  link: FramedConnection | undefined;
  /** Credit granted on the current connection and not yet used. */
  outstanding: number;
}

/**
 * Creates the reading end of a channel: a resumable source that accepts
 * `channelWriter()` connections from `listener` (TCP, WebSocket, ...) and
 * yields their batches, as the ca-streams protocol (docs/protocol.md).
 *
 * - It acknowledges a batch to its writer once this pipeline has stored it
 *   (the sink wrote it, or processors dropped its records), and grants the
 *   writer credit for one more: at most `window` batches are ever in
 *   flight, so a slow sink here slows the writer there.
 * - Duplicates, resent after a reconnection, are dropped by sequence
 *   number: within one reader lifetime every batch reaches the pipeline
 *   once. After a restart, the duplicates are what was stored but not yet
 *   acknowledged, unless the pipeline keeps a checkpoint: then the reader
 *   resumes each writer after its checkpointed position.
 * - A wrong token is refused with close code 4001, another stream with
 *   4008, a second writer while one is connected with 4006.
 *
 * The reader owns `listener` and closes it when the pipeline ends.
 *
 * @typeParam T The record type.
 * @param listener The connections to serve, such as `tcpListen()`'s.
 * @param options The `stream`, `token`, credit `window` and timeouts.
 * @returns A source for `pipeline()`.
 *
 * @example Receive what a writer sends
 * ```ts
 * import { collect, pipeline } from "@ca/streams";
 * import { channelReader, channelWriter } from "@ca/streams/channel";
 * import { tcpConnect, tcpListen } from "@ca/streams/channel-tcp";
 *
 * const listener = await tcpListen({ port: 0 });
 * const received = collect<string>();
 * const reading = pipeline(
 *   channelReader(listener, { stream: "words", token: "s3cret" }),
 *   received,
 * );
 * await pipeline(
 *   ["a", "b"],
 *   channelWriter<string>(() => tcpConnect({ port: listener.port }), {
 *     stream: "words",
 *     token: "s3cret",
 *   }),
 * );
 * await reading;
 * if (received.records.join() !== "a,b") throw new Error("unexpected");
 * ```
 */
export function channelReader<T>(
  listener: AsyncIterable<ChannelConnection> & { close?(): unknown },
  options: ChannelReaderOptions,
): ResumableSource<T> {
  const stream = options?.stream;
  if (typeof stream !== "string" || stream === "") {
    throw new TypeError(
      "Cannot create channelReader(): options.stream must be a non-empty string",
    );
  }
  const window = options.window ?? 16;
  if (!Number.isInteger(window) || window < 1) {
    throw new RangeError(
      `Cannot create channelReader(): options.window must be a positive integer, got ${window}`,
    );
  }
  const token = new TextEncoder().encode(options.token ?? "");
  const heartbeatMs = options.heartbeatMs ?? 5000;
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
  const maxFrameBytes = options.maxFrameBytes ??
    CHANNEL_PROTOCOL.defaultMaxFrameBytes;
  const endOnClose = options.endOnClose ?? true;
  const writers = new Map<string, WriterState>();

  function stateOf(id: string): WriterState {
    let state = writers.get(id);
    if (!state) {
      state = { id, accepted: 0, stored: 0, link: undefined, outstanding: 0 };
      writers.set(id, state);
    }
    return state;
  }

  return resumableSource<T>({
    name: `channel ${stream}`,
    async *open(after, { signal }) {
      if (isChannelPosition(after)) {
        const state = stateOf(after.writer);
        state.accepted = state.stored = after.seq;
      }
      const queue: SourceBatch<T>[] = [];
      let ended = false;
      let failure: { error: unknown } | undefined;
      const changes = new ChangeNotifier();
      const notify = () => changes.notify();
      let holder: WriterState | undefined;

      async function serve(connection: ChannelConnection): Promise<void> {
        const framed = new FramedConnection(connection, maxFrameBytes);
        let state: WriterState | undefined;
        try {
          // The timeout runs from the transport opening (a WebSocket's TCP
          // connection, before its HTTP upgrade), never longer.
          const took = connection.openedAt === undefined
            ? 0
            : Math.max(0, Date.now() - connection.openedAt);
          const left = handshakeTimeoutMs - took;
          const first = left > 0 ? await framed.nextWithin(left) : "timeout";
          if (first === "timeout") {
            return await framed.close(CLOSE_CODES.HandshakeTimeout, "no HELLO");
          }
          if (first === null) return framed.abort();
          if (first.type !== "hello") {
            return await framed.close(
              CLOSE_CODES.ProtocolError,
              "expected HELLO",
            );
          }
          const refusal = check(first);
          if (refusal) return await framed.close(refusal[0], refusal[1]);
          state = stateOf(first.writer);
          // Below firstSeq, the writer holds everything as acknowledged (by
          // this reader before a restart without a checkpoint, or by an
          // earlier one): count it stored, or the first ACK would grant
          // credit for all of it, far beyond the window.
          const before = first.firstSeq - 1;
          if (before > state.stored) state.stored = before;
          if (before > state.accepted) state.accepted = before;
          if (
            holder && holder !== state && holder.link && !holder.link.closed
          ) {
            return await framed.close(CLOSE_CODES.StreamBusy, "another writer");
          }
          // The same writer again: its old connection is dead on its side.
          void state.link?.close(CLOSE_CODES.StreamBusy, "replaced");
          holder = state;
          state.link = framed;
          const held = state.accepted - state.stored;
          const credit = Math.max(0, window - held);
          const nextSeq = Math.max(state.accepted + 1, first.firstSeq);
          state.outstanding = credit;
          await framed.send({
            type: "welcome",
            version: 1,
            credit: Math.max(credit, 0),
            nextSeq,
            heartbeatMs,
            maxFrameBytes,
          });
          if (state.stored >= first.firstSeq && state.stored > 0) {
            await framed.send({ type: "ack", seq: state.stored });
          }
          framed.watchHeartbeats(heartbeatMs);
          let previous = 0;
          for (;;) {
            const message = await framed.next();
            if (message === null) return; // abnormal: the writer reconnects
            if (message.type === "heartbeat") continue;
            if (message.type === "close") {
              await framed.close(message.code);
              if (message.code === CLOSE_CODES.Normal && endOnClose) {
                ended = true;
                notify();
              }
              return;
            }
            if (message.type !== "data") {
              return await framed.close(
                CLOSE_CODES.ProtocolError,
                `unexpected ${message.type.toUpperCase()}`,
              );
            }
            if (state.outstanding <= 0) {
              return await framed.close(CLOSE_CODES.ProtocolError, "no credit");
            }
            state.outstanding--;
            const { seq } = message;
            const inOrder = previous === 0
              ? seq >= first.firstSeq && seq <= nextSeq
              : seq === previous + 1;
            if (!inOrder) {
              return await framed.close(
                CLOSE_CODES.ProtocolError,
                `seq ${seq}`,
              );
            }
            previous = seq;
            if (seq <= state.accepted) {
              // A duplicate after a reconnection: delivered already.
              state.outstanding++;
              await framed.send({ type: "credit", credit: 1 });
              if (seq <= state.stored) {
                await framed.send({ type: "ack", seq: state.stored });
              }
              continue;
            }
            state.accepted = seq;
            queue.push({
              records: message.records as T[],
              position: { writer: state.id, seq },
            });
            notify();
          }
        } catch (error) {
          const code = error instanceof ChannelProtocolError
            ? error.closeCode
            : CLOSE_CODES.InternalError;
          await framed.close(code, "");
        } finally {
          if (state && state.link === framed) state.link = undefined;
          framed.abort();
        }
      }

      function check(hello: ChannelHello): [number, string] | undefined {
        if (!sameBytes(new TextEncoder().encode(hello.token), token)) {
          return [CLOSE_CODES.AuthFailed, "wrong token"];
        }
        if (hello.stream !== stream) {
          return [CLOSE_CODES.UnknownStream, "unknown stream"];
        }
        return undefined;
      }

      const accepting = (async () => {
        for await (const connection of listener) {
          if (signal.aborted) {
            connection.close();
            break;
          }
          void serve(connection);
        }
      })().catch((error) => {
        if (!signal.aborted) failure = { error };
        notify();
      });
      const onAbort = () => {
        void listener.close?.();
        notify();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        for (;;) {
          while (queue.length === 0) {
            if (failure) throw failure.error;
            if (ended || signal.aborted) return;
            await changes.changed;
          }
          yield queue.shift()!;
        }
      } finally {
        signal.removeEventListener("abort", onAbort);
        await listener.close?.();
        for (const state of writers.values()) {
          void state.link?.close(CLOSE_CODES.GoingAway, "reader stopped");
        }
        void accepting;
      }
    },
    ack(position) {
      if (!isChannelPosition(position)) return;
      const state = writers.get(position.writer);
      if (!state || position.seq <= state.stored) return;
      const freed = position.seq - state.stored;
      state.stored = position.seq;
      const link = state.link;
      if (!link || link.closed) return;
      state.outstanding += freed;
      // One ACK and one CREDIT per acknowledgement the pipeline gives.
      link.send({ type: "ack", seq: position.seq }).catch(() => {});
      link.send({ type: "credit", credit: freed }).catch(() => {});
    },
  });
}

function isChannelPosition(value: unknown): value is ChannelPosition {
  return value !== null && typeof value === "object" &&
    typeof (value as ChannelPosition).writer === "string" &&
    Number.isSafeInteger((value as ChannelPosition).seq);
}

/** Compares in time that depends on the lengths only, not on the contents. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  }
  return difference === 0;
}
