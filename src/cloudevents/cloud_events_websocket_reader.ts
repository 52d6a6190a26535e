// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { Position } from "../checkpoint/position.ts";
import { RESUMABLE_SOURCE } from "../sources/resumable_source.ts";
import type {
  OpenOptions,
  ResumableSourceInit,
  SourceBatch,
} from "../sources/resumable_source.ts";
import type { CloudEvent } from "./cloud_event.ts";
import { CloudEventError } from "./cloud_event_error.ts";
import { CloudEventsWebSocketError } from "./cloud_events_websocket_error.ts";
import {
  closeWebSocket,
  isAbnormalClose,
  messageBytes,
} from "./close_websocket.ts";
import { decodeWebSocketMessage } from "./decode_websocket_message.ts";
import type { ValidateCloudEventOptions } from "./validate_cloud_event.ts";
import { positiveIntegerOption } from "./positive_integer_option.ts";

/**
 * Options for {@linkcode cloudEventsWebSocketReader}.
 *
 * @example A strict reader with small limits, in a Deno server
 * ```ts
 * import { collect, pipeline } from "@ca/streams";
 * import {
 *   type CloudEvent,
 *   cloudEventsWebSocketReader,
 *   type CloudEventsWebSocketReaderOptions,
 *   cloudEventsWebSocketWriter,
 * } from "@ca/streams/cloudevents";
 *
 * const options: CloudEventsWebSocketReaderOptions = {
 *   maxQueuedEvents: 64,
 *   maxMessageBytes: 65536,
 *   strict: true,
 * };
 * const received = collect<CloudEvent>();
 * let reading: PromiseLike<unknown> | undefined;
 * const server = Deno.serve({ port: 0, onListen() {} }, (request) => {
 *   const protocol = "cloudevents.json";
 *   const { socket, response } = Deno.upgradeWebSocket(request, { protocol });
 *   reading = pipeline(cloudEventsWebSocketReader(socket, options), received);
 *   return response;
 * });
 * const url = `ws://localhost:${server.addr.port}/`;
 * const event: CloudEvent = { specversion: "1.0", id: "1", source: "/s", type: "t" };
 * await pipeline([event], cloudEventsWebSocketWriter(url));
 * await reading;
 * await server.shutdown();
 * if (received.records[0]?.id !== "1") throw new Error("unexpected");
 * ```
 */
export interface CloudEventsWebSocketReaderOptions
  extends ValidateCloudEventOptions {
  /**
   * How many received events may wait to be read (default 1024). A
   * WebSocket cannot slow its sender down, so a peer that sends faster
   * than the pipeline reads is cut off past this: the socket is closed
   * with 1008 (policy violation) and the stream errors.
   */
  maxQueuedEvents?: number;
  /**
   * The largest message, in bytes (default 1 MiB). A larger one closes the
   * socket with 1009 (message too big) and errors the stream. On Node, give
   * the `ws` server a `maxPayload` too, so such a message is refused before
   * it is buffered.
   */
  maxMessageBytes?: number;
  /**
   * Aborting it closes the socket (1000) and ends the stream once the
   * events already received have been read.
   */
  signal?: AbortSignal;
}

/**
 * A stream of the CloudEvents that arrive on one WebSocket, which is also a
 * source for `pipeline()` that acknowledges each event to the sender once
 * it is stored.
 *
 * @typeParam T The type of the events' `data`.
 *
 * @example Read the events of a connection as a plain stream
 * ```ts
 * import { pipeline } from "@ca/streams";
 * import {
 *   type CloudEvent,
 *   cloudEventsWebSocketReader,
 *   type CloudEventsWebSocketReader,
 *   cloudEventsWebSocketWriter,
 * } from "@ca/streams/cloudevents";
 *
 * let ids: Promise<string[]> | undefined;
 * const server = Deno.serve({ port: 0, onListen() {} }, (request) => {
 *   const protocol = "cloudevents.json";
 *   const { socket, response } = Deno.upgradeWebSocket(request, { protocol });
 *   const reader: CloudEventsWebSocketReader<unknown> = cloudEventsWebSocketReader(socket);
 *   ids = Array.fromAsync(reader, (event) => event.id);
 *   return response;
 * });
 * const url = `ws://localhost:${server.addr.port}/`;
 * const events: CloudEvent[] = ["a", "b"].map((id) => ({
 *   specversion: "1.0",
 *   id,
 *   source: "/s",
 *   type: "t",
 * }));
 * await pipeline(events, cloudEventsWebSocketWriter(url));
 * const received = await ids;
 * await server.shutdown();
 * if (received?.join() !== "a,b") throw new Error(`unexpected ${received}`);
 * ```
 */
export interface CloudEventsWebSocketReader<T>
  extends ReadableStream<CloudEvent<T>> {
  /** What `pipeline()` opens: batches of events, acknowledged once stored. */
  readonly [RESUMABLE_SOURCE]: ResumableSourceInit<CloudEvent<T>>;
}

/** The `id` of an event that failed validation, when it has a usable one. */
function idOf(data: unknown): string | undefined {
  if (typeof data !== "string") return undefined;
  try {
    const id = (JSON.parse(data) as { id?: unknown } | null)?.id;
    return typeof id === "string" && id !== "" ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads CloudEvents from one WebSocket, following the CloudEvents WebSocket
 * binding: subprotocol `cloudevents.json`, one event in the JSON format per
 * text message (bytes are read as UTF-8 text). It runs wherever the WHATWG
 * `WebSocket` does: the server end from Deno's `upgradeWebSocket()`, a
 * workerd `WebSocketPair` end after `accept()`, a `ws` socket on Node, or a
 * client `WebSocket`. Choosing the subprotocol during the upgrade is the
 * server's part: see `selectWebSocketSubprotocol()`.
 *
 * Every event is checked. An invalid message does not end the stream; the
 * binding defines no reply, so, by this library's convention, the reader
 * answers it with a text message
 * `{"type":"error","code":"CA_ERR_CLOUDEVENT","message":...,"issues":[...]}`
 * (`issues` naming each bad attribute, plus `id` when the message had one)
 * and goes on. Each valid event is answered `{"type":"ack","id":...}` once it
 * is **stored**: read in `pipeline()`, that is when the sink stored it (or a
 * processor dropped it), as the pipeline reports it to the source, with or
 * without a checkpoint store (the reader cannot replay: the sender resends
 * what it got no ack for). Read as a plain stream, an event is acknowledged
 * when the next one is asked for, or when the stream ends.
 *
 * A WebSocket has no backpressure: at most `maxQueuedEvents` wait to be
 * read, and a peer that sends more is cut off (close code 1008), as is one
 * that sends a message above `maxMessageBytes` (1009); where the WebSocket
 * API refuses those codes (a client in a browser, Deno or Node's global
 * `WebSocket`), 4008 and 4009 are sent. Either errors the stream with a
 * {@linkcode CloudEventsWebSocketError}, as does an abnormal close (1006).
 * A close with any other code ends the stream once the events received
 * before it have been read. Cancelling the stream, or the pipeline letting
 * go of it, closes the socket with 1000.
 *
 * @typeParam T The type of the events' `data` (not checked).
 * @param socket The WebSocket, open or opening; its `binaryType` is set to
 * `"arraybuffer"`.
 * @param options `maxQueuedEvents`, `maxMessageBytes`, `strict`, `signal`.
 * @returns A `ReadableStream` of the events, and a source for `pipeline()`.
 *
 * @example Serve a CloudEvents WebSocket in Deno
 * ```ts
 * import { batchSink, pipeline } from "@ca/streams";
 * import {
 *   type CloudEvent,
 *   cloudEventsWebSocketReader,
 *   encodeWebSocketMessage,
 *   selectWebSocketSubprotocol,
 * } from "@ca/streams/cloudevents";
 *
 * const stored: string[] = [];
 * const server = Deno.serve({ port: 0, onListen() {} }, (request) => {
 *   const protocol = selectWebSocketSubprotocol(request);
 *   if (protocol === undefined) return new Response(null, { status: 400 });
 *   const { socket, response } = Deno.upgradeWebSocket(request, { protocol });
 *   // One pipeline per connection; each event is acked once written.
 *   pipeline(
 *     cloudEventsWebSocketReader(socket),
 *     batchSink<CloudEvent>({ write: (events) => void stored.push(...events.map((e) => e.id)) }),
 *   ).catch(console.error);
 *   return response;
 * });
 * const client = new WebSocket(`ws://localhost:${server.addr.port}/`, "cloudevents.json");
 * await new Promise((resolve) => client.onopen = resolve);
 * client.send(encodeWebSocketMessage({ specversion: "1.0", id: "1", source: "/s", type: "t" }));
 * const reply = await new Promise<MessageEvent>((resolve) => client.onmessage = resolve);
 * if (JSON.parse(reply.data).type !== "ack" || stored[0] !== "1") throw new Error("unexpected");
 * client.close();
 * await server.shutdown();
 * ```
 */
export function cloudEventsWebSocketReader<T = unknown>(
  socket: WebSocket,
  options: CloudEventsWebSocketReaderOptions = {},
): CloudEventsWebSocketReader<T> {
  if (
    socket === null || typeof socket !== "object" ||
    typeof socket.send !== "function" ||
    typeof socket.addEventListener !== "function"
  ) {
    throw new TypeError(
      `Cannot create cloudEventsWebSocketReader(): socket must be a WebSocket, got ${
        socket === null ? "null" : typeof socket
      }`,
    );
  }
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `Cannot create cloudEventsWebSocketReader(): options must be an object, got ${
        options === null ? "null" : typeof options
      }`,
    );
  }
  const maxQueuedEvents = positiveIntegerOption(
    "cloudEventsWebSocketReader",
    "maxQueuedEvents",
    options.maxQueuedEvents,
    1024,
  );
  const maxMessageBytes = positiveIntegerOption(
    "cloudEventsWebSocketReader",
    "maxMessageBytes",
    options.maxMessageBytes,
    1 << 20,
  );
  const strict = options.strict === true;
  try {
    socket.binaryType = "arraybuffer";
  } catch {
    // Runtimes that always deliver ArrayBuffers may refuse the setter.
  }

  /** Received, not yet read. */
  let queue: CloudEvent<T>[] = [];
  /** The sequence number of the next event received. */
  let nextSeq = 0;
  /** Read, waiting to be acknowledged: their ids, from sequence `ackFrom`. */
  let unacked: string[] = [];
  let ackFrom = 0;
  /** No more events will come: the socket closed or the reader was closed. */
  let ended = false;
  /** Why the stream errors, once it does. */
  let failure: { error: unknown } | undefined;
  /** Who reads: the stream's own reader, or a pipeline through `open()`. */
  let consumer: "stream" | "pipeline" | undefined;
  let wake: (() => void) | undefined;
  /** What the last "error" event carried, for the close that follows. */
  let lastError: unknown;

  function notify(): void {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  }

  function reply(message: Record<string, unknown>): void {
    if (socket.readyState !== 1) return;
    try {
      socket.send(JSON.stringify(message));
    } catch {
      // Closing: the close event tells the rest.
    }
  }

  /** Stops taking messages and errors the stream. */
  function fail(error: unknown): void {
    if (failure !== undefined || ended) return;
    failure = { error };
    queue = [];
    notify();
  }

  /** Cuts the peer off with `code` and errors the stream. */
  function cutOff(code: 1008 | 1009, message: string): void {
    const sent = closeWebSocket(socket, code, message);
    fail(new CloudEventsWebSocketError(message, sent ?? code));
  }

  /** Stops taking messages; what was received is still read. */
  function end(): void {
    if (ended || failure !== undefined) return;
    ended = true;
    notify();
  }

  function onMessage(message: MessageEvent): void {
    if (ended || failure !== undefined) return;
    const data: unknown = message.data;
    const size = messageBytes(data, maxMessageBytes);
    if (size > maxMessageBytes) {
      return cutOff(
        1009,
        `Cannot read CloudEvents over WebSocket: a message of ${size} bytes is above the limit of ${maxMessageBytes}`,
      );
    }
    let event: CloudEvent<T>;
    try {
      event = decodeWebSocketMessage<T>(
        data as string | ArrayBuffer | ArrayBufferView,
        { strict },
      );
    } catch (error) {
      const body = error instanceof CloudEventError ? error.toJSON() : {
        code: "CA_ERR_CLOUDEVENT",
        message: `Cannot read CloudEvent: ${
          error instanceof Error ? error.message : String(error)
        }`,
        issues: [],
      };
      const id = idOf(data);
      reply({ type: "error", ...body, ...(id === undefined ? {} : { id }) });
      return;
    }
    if (queue.length >= maxQueuedEvents) {
      return cutOff(
        1008,
        `Cannot read CloudEvents over WebSocket: more than ${maxQueuedEvents} events were waiting to be read; send slower or wait for acks`,
      );
    }
    queue.push(event);
    nextSeq++;
    notify();
  }

  function onClose(event: CloseEvent): void {
    // workerd leaves the close handshake to the server end: finish it.
    if (socket.readyState !== 3) closeWebSocket(socket, 1000, "");
    if (isAbnormalClose(event.code)) {
      fail(
        new CloudEventsWebSocketError(
          `Cannot read CloudEvents over WebSocket: the connection closed abnormally (${event.code})`,
          event.code,
          lastError === undefined ? {} : { cause: lastError },
        ),
      );
      return;
    }
    end();
  }

  /** Takes every queued event, moving them to the unacknowledged ones. */
  function take(): CloudEvent<T>[] {
    const taken = queue;
    queue = [];
    for (const event of taken) unacked.push(event.id);
    return taken;
  }

  /** Acknowledges every event up to sequence number `upTo`. */
  function ack(upTo: number): void {
    const count = Math.min(upTo - ackFrom + 1, unacked.length);
    if (count <= 0) return;
    for (let i = 0; i < count; i++) reply({ type: "ack", id: unacked[i] });
    unacked = count === unacked.length ? [] : unacked.slice(count);
    ackFrom += count;
  }

  /** Waits until there is something to read, or nothing more will come. */
  async function ready(signal?: AbortSignal): Promise<void> {
    while (queue.length === 0 && failure === undefined && !ended) {
      if (signal?.aborted) return;
      await new Promise<void>((resolve) => wake = resolve);
    }
  }

  /** The stream is let go of: nothing more is read, so close the socket. */
  function release(): void {
    end();
    queue = [];
    closeWebSocket(socket, 1000, "the reader stopped reading");
  }

  async function* batches(
    signal: AbortSignal,
  ): AsyncGenerator<SourceBatch<CloudEvent<T>>> {
    const onAbort = () => notify();
    signal.addEventListener("abort", onAbort);
    try {
      for (;;) {
        await ready(signal);
        if (signal.aborted) return;
        if (failure !== undefined) throw failure.error;
        if (queue.length === 0) return;
        const position = nextSeq - 1;
        yield { records: take(), position };
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      release();
    }
  }

  function claim(who: "stream" | "pipeline"): void {
    if (consumer !== undefined) {
      throw new TypeError(
        `Cannot read cloudEventsWebSocketReader(): it is already read by ${
          consumer === "pipeline" ? "a pipeline" : "its stream reader"
        }`,
      );
    }
    consumer = who;
  }

  const init: ResumableSourceInit<CloudEvent<T>> = {
    name: "cloudEventsWebSocketReader",
    open(_after: Position | undefined, { signal }: OpenOptions) {
      claim("pipeline");
      return batches(signal);
    },
    ack(position: Position) {
      ack(position as number);
    },
  };

  const stream = new ReadableStream<CloudEvent<T>>({
    async pull(controller) {
      if (consumer !== "stream") claim("stream");
      // Asked for the next event: the ones before it are done.
      ack(nextSeq - queue.length - 1);
      await ready();
      if (failure !== undefined) {
        controller.error(failure.error);
        closeWebSocket(socket, 1000, "the reader stopped reading");
        return;
      }
      if (queue.length === 0) {
        controller.close();
        return;
      }
      const event = queue.shift()!;
      unacked.push(event.id);
      controller.enqueue(event);
    },
    cancel() {
      release();
    },
  }, { highWaterMark: 0 });

  socket.addEventListener("message", onMessage);
  socket.addEventListener("close", onClose);
  // An "error" event is always followed by "close", which reports it.
  socket.addEventListener("error", (event: Event) => {
    lastError = (event as ErrorEvent).error ?? lastError;
  });
  const signal = options.signal;
  if (signal !== undefined) {
    const onAbort = () => {
      closeWebSocket(socket, 1000, "the reader was closed");
      end();
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  }

  Object.defineProperty(stream, RESUMABLE_SOURCE, { value: init });
  return stream as CloudEventsWebSocketReader<T>;
}
