// Copyright 2026 the @ca/streams authors. MIT license.

import { MessageError } from "../../src/messages/message_error.ts";
import { messageEncoder } from "../../src/messages/message_encoder.ts";
import type { MessageEncoding } from "../../src/messages/message_encoder.ts";
import { type BatchSink, batchSink } from "../../src/sinks/batch_sink.ts";
import { checkConnection, RedisLink } from "./redis_link.ts";
import type { RedisStreamConnection } from "./redis_stream_connection.ts";

/**
 * Options for {@linkcode redisStreamSink}: where Redis is (a `client` or a
 * `url`, see {@linkcode RedisStreamConnection}), the stream, and where each
 * entry's value, key, headers and stream come from in a record
 * ({@linkcode MessageEncoding}: a function, or a JSON pointer such as
 * `"/order/id"`; by default the whole record is the value, as JSON).
 *
 * @example Write each order's body as JSON, keyed by its id, in a capped stream
 * ```ts
 * import type { RedisStreamSinkOptions } from "@ca/streams/redis";
 *
 * type Order = { id: string; body: { total: number } };
 * const options: RedisStreamSinkOptions<Order> = {
 *   url: "redis://127.0.0.1:6379",
 *   stream: "orders",
 *   value: "/body",
 *   key: (order) => order.id,
 *   maxLen: 100_000,
 * };
 * if (options.maxLen !== 100_000) throw new Error("unexpected");
 * ```
 */
export interface RedisStreamSinkOptions<T>
  extends RedisStreamConnection, MessageEncoding<T> {
  /**
   * The stream's key. A record whose `topic` selector gives a stream goes
   * there instead; without `stream`, every record must give one.
   */
  stream?: string;
  /** The field that holds the value (default `"value"`). */
  valueField?: string;
  /** The field that holds the key, when the record has one (default `"key"`). */
  keyField?: string;
  /**
   * Trims each stream written to about this many entries (`XADD ... MAXLEN
   * ~ n`): Redis trims whole nodes of entries, so a stream may keep
   * somewhat more. Without it, streams grow until trimmed otherwise.
   */
  maxLen?: number;
  /** Aborting it fails the write in flight and later ones. */
  signal?: AbortSignal;
}

const CONNECTOR = "redis-stream-sink";

/**
 * Appends records to a Redis stream (XADD, with ids the server gives), as
 * a batch-aware sink. Each record becomes one entry: the value in the
 * field `valueField` (JSON text by default; per `format`), the key in
 * `keyField`, and each header as a field of its own (CloudEvents in
 * binary mode: the `ce-` attributes). {@linkcode redisStreamSource} reads
 * entries back the same way.
 *
 * A batch is first encoded whole: a record that cannot be encoded (a
 * value JSON cannot hold, a header named like the value or key field)
 * throws a {@linkcode MessageError} before anything is sent, so the
 * pipeline's dead letter can isolate it. Then the batch is sent in one
 * round trip (the commands pipelined), and the write resolves once Redis
 * confirmed every entry.
 *
 * A connection cut mid-batch is survived: the client reconnects with
 * backoff and the entries not confirmed are sent again (for up to
 * `reconnectTimeoutMs`). An entry whose confirmation was lost with the
 * connection may then be written twice, and the resent entries come
 * after the others of their batch: at-least-once.
 *
 * @typeParam T The record type.
 * @param options The connection, `stream`, the encoding, `maxLen`.
 * @returns A `WritableStream<T>` that `pipeline()` writes in batches.
 *
 * @example Write records to a stream
 * ```ts ignore
 * import { pipeline } from "@ca/streams";
 * import { redisStreamSink } from "@ca/streams/redis";
 *
 * await pipeline(
 *   [{ id: "o-1", total: 5 }, { id: "o-2", total: 7 }],
 *   redisStreamSink<{ id: string; total: number }>({
 *     url: "redis://127.0.0.1:6379",
 *     stream: "orders",
 *     key: "/id",
 *     maxLen: 10_000,
 *   }),
 * );
 * ```
 *
 * @example Pipelined XADDs, seen through a stand-in client
 * ```ts
 * import { pipeline } from "@ca/streams";
 * import { redisStreamSink } from "@ca/streams/redis";
 *
 * const sent: string[] = [];
 * const client = {
 *   async sendCommand(args: Array<string | Uint8Array>) {
 *     sent.push(args.map(String).join(" "));
 *     return `1-${sent.length}`;
 *   },
 * };
 * type Event = { stream: string; id: number; region: string };
 * const sink = redisStreamSink<Event>({
 *   client,
 *   topic: "/stream",
 *   key: "/id",
 *   headers: (event) => ({ region: event.region }),
 *   maxLen: 1000,
 * });
 * await pipeline([{ stream: "clicks", id: 7, region: "eu" }], sink);
 * const expected =
 *   'XADD clicks MAXLEN ~ 1000 * value {"stream":"clicks","id":7,"region":"eu"} key 7 region eu';
 * if (sent[0] !== expected) throw new Error(`unexpected ${sent[0]}`);
 * ```
 */
export function redisStreamSink<T = unknown>(
  options: RedisStreamSinkOptions<T>,
): BatchSink<T> {
  const what = "redisStreamSink()";
  if (options === null || typeof options !== "object") {
    throw new TypeError(`Cannot create ${what}: options must be an object`);
  }
  checkConnection(what, options);
  const { stream, maxLen } = options;
  if (stream !== undefined && (typeof stream !== "string" || stream === "")) {
    throw new TypeError(
      `Cannot create ${what}: stream must be a non-empty string, got ${
        stream === "" ? "an empty string" : typeof stream
      }`,
    );
  }
  if (stream === undefined && options.topic === undefined) {
    throw new TypeError(
      `Cannot create ${what}: stream is required, or topic to take each record's stream from it`,
    );
  }
  const valueField = field(what, "valueField", options.valueField ?? "value");
  const keyField = field(what, "keyField", options.keyField ?? "key");
  if (valueField === keyField) {
    throw new TypeError(
      `Cannot create ${what}: valueField and keyField must differ, both are ${
        JSON.stringify(valueField)
      }`,
    );
  }
  if (
    maxLen !== undefined &&
    (typeof maxLen !== "number" || !Number.isSafeInteger(maxLen) || maxLen < 1)
  ) {
    throw new RangeError(
      `Cannot create ${what}: maxLen must be a positive integer, got ${maxLen}`,
    );
  }
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`Cannot create ${what}: signal must be an AbortSignal`);
  }
  const encode = messageEncoder<T>(options, CONNECTOR);
  const trim = maxLen === undefined ? [] : ["MAXLEN", "~", String(maxLen)];
  /** Where the payload is in an XADD's arguments. */
  const payloadAt = 4 + trim.length;
  const link = new RedisLink(CONNECTOR, options);

  /** The XADD of one record; throws a MessageError when it cannot be encoded. */
  function command(record: T): Array<string | Uint8Array> {
    const message = encode(record);
    const key = message.topic ?? stream;
    if (key === undefined) {
      throw new MessageError(
        CONNECTOR,
        "encode a record",
        "the topic selector gave no stream, and no stream option is set",
        record,
      );
    }
    const args: Array<string | Uint8Array> = [
      "XADD",
      key,
      ...trim,
      "*",
      valueField,
      message.payload,
    ];
    if (message.key !== undefined) args.push(keyField, message.key);
    if (message.headers !== undefined) {
      for (const [name, text] of Object.entries(message.headers)) {
        if (name === valueField || name === keyField) {
          throw new MessageError(
            CONNECTOR,
            "encode a record",
            `the header ${
              JSON.stringify(name)
            } has the name of the value or key field`,
            record,
          );
        }
        args.push(name, text);
      }
    }
    return args;
  }

  return batchSink<T>({
    async write(records, context) {
      signal?.throwIfAborted();
      // Encode the whole batch before sending any of it.
      const commands = records.map(command);
      for (const args of commands) {
        const payload = args[payloadAt];
        if (payload instanceof Uint8Array) {
          args[payloadAt] = await link.bytesArgument(payload);
        }
      }
      const sendSignal = signal
        ? AbortSignal.any([signal, context.signal])
        : context.signal;
      sendSignal.throwIfAborted();
      // One listener for the whole batch, not one per command: an abort
      // signal's listeners are a list, so a thousand of them make each
      // add and remove cost a thousand steps. An abort of the pipeline
      // during the write fails the write at once and releases the
      // connection (the stream calls abort() only after the write
      // settled), which fails the commands still in flight.
      let onAbort!: () => void;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => {
          reject(sendSignal.reason);
          void link.destroy();
        };
      });
      aborted.catch(() => {});
      sendSignal.addEventListener("abort", onAbort, { once: true });
      try {
        // Sent together, the commands go out in one round trip.
        const sent = Promise.all(commands.map((args) => link.send(args)));
        sent.catch(() => {}); // when the abort wins
        await Promise.race([sent, aborted]);
      } finally {
        sendSignal.removeEventListener("abort", onAbort);
      }
    },
    close: () => link.close(),
    abort: () => link.destroy(),
  });
}

function field(what: string, name: string, value: unknown): string {
  if (typeof value !== "string" || value === "") {
    throw new TypeError(
      `Cannot create ${what}: ${name} must be a non-empty string, got ${
        value === "" ? "an empty string" : typeof value
      }`,
    );
  }
  return value;
}
