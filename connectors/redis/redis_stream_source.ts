// Copyright 2026 the @ca/streams authors. MIT license.

import type { Position } from "../../src/checkpoint/position.ts";
import { decodeMessage } from "../../src/messages/decode_message.ts";
import type { RawMessage } from "../../src/messages/decode_message.ts";
import type { Message } from "../../src/messages/message.ts";
import { MessageError } from "../../src/messages/message_error.ts";
import { MESSAGE_FORMATS } from "../../src/messages/message_format.ts";
import type { MessageFormat } from "../../src/messages/message_format.ts";
import {
  type OpenOptions,
  type ResumableSource,
  resumableSource,
  type SourceBatch,
} from "../../src/sources/resumable_source.ts";
import { checkConnection, RedisLink } from "./redis_link.ts";
import type { SendOptions } from "./redis_link.ts";
import type { RedisStreamConnection } from "./redis_stream_connection.ts";
import { RedisStreamError } from "./redis_stream_error.ts";
import {
  claimReplyEntries,
  readReplyEntries,
  type StreamEntry,
  text,
} from "./stream_entries.ts";

/**
 * Options for {@linkcode redisStreamSource}: where Redis is (a `client` or
 * a `url`, see {@linkcode RedisStreamConnection}), the stream, the
 * consumer group and this reader's consumer name, and how entries become
 * messages.
 *
 * @example Read text values from field "body", claiming stale entries after 30 s
 * ```ts
 * import type { RedisStreamSourceOptions } from "@ca/streams/redis";
 *
 * const options: RedisStreamSourceOptions = {
 *   url: "redis://127.0.0.1:6379",
 *   stream: "orders",
 *   group: "billing",
 *   consumer: "billing-1",
 *   format: "text",
 *   valueField: "body",
 *   claimIdleMs: 30_000,
 * };
 * if (options.group !== "billing") throw new Error("unexpected");
 * ```
 */
export interface RedisStreamSourceOptions extends RedisStreamConnection {
  /** The stream's key. */
  stream: string;
  /** The consumer group: created when missing (with the stream, MKSTREAM). */
  group: string;
  /**
   * This reader's name in the group (default `"ca-streams"`). Keep it
   * stable across restarts: a restarted reader first reads again the
   * entries it had read but not acknowledged. Readers of one group that
   * run at the same time need different names.
   */
  consumer?: string;
  /** How the value field is decoded (default `"json"`). */
  format?: MessageFormat;
  /** The field that holds the value (default `"value"`). */
  valueField?: string;
  /**
   * The field that holds the key (default `"key"`): it becomes the
   * message's `key` when the entry has it. Every other field becomes a
   * header.
   */
  keyField?: string;
  /**
   * Where a group the source creates starts: `"oldest"` (default: the
   * whole stream) or `"newest"` (only entries added from then on).
   */
  start?: "oldest" | "newest";
  /** Most entries per read, so per batch (default 512). */
  batchSize?: number;
  /** How long one read waits for new entries, in ms (default 2000). */
  blockMs?: number;
  /**
   * Entries pending in the group (read by a consumer, not acknowledged)
   * for longer than this, in ms, are taken over with XAUTOCLAIM (default
   * 60000; `0` never claims). Checked at start and then every
   * `claimIdleMs`. Keep it well above the time the pipeline takes to store
   * a batch, or entries still on their way are delivered twice.
   */
  claimIdleMs?: number;
  /** Aborting it stops every read and releases the connections. */
  signal?: AbortSignal;
}

const CONNECTOR = "redis-stream-source";
const DEFAULT_CONSUMER = "ca-streams";
const DEFAULT_BATCH_SIZE = 512;
const DEFAULT_BLOCK_MS = 2000;
const DEFAULT_CLAIM_IDLE_MS = 60_000;
/** Most ids per XACK command. */
const ACK_CHUNK = 4096;

/** Read, waiting for its acknowledgement. */
interface ReadBatch {
  position: string;
  ids: string[];
}

/**
 * Reads a Redis stream through a consumer group, as a resumable source of
 * {@linkcode Message}s: `id` is the entry id, `topic` the stream, `time`
 * the entry id's milliseconds, `value` the field `valueField` decoded per
 * `format`, `key` the field `keyField`, and every other field a header.
 *
 * Reading (XREADGROUP) starts with this consumer's own pending entries,
 * the ones a previous run read and did not acknowledge, then takes
 * entries pending too long at other consumers (XAUTOCLAIM after
 * `claimIdleMs`), then waits for new ones. An entry is acknowledged
 * (XACK) only in `ack(position)`, once the pipeline stored it or
 * dead-lettered it: a crash or an abort leaves what was not stored
 * pending, and the next run reads it again (at-least-once). The group
 * keeps the position, so no checkpoint store is needed; the position the
 * pipeline passes to `open` is not used, and a batch's position is its
 * last entry id. Move the group with {@linkcode resetRedisStreamGroup}.
 *
 * The connection is opened on the first read. A connection cut mid-run is
 * survived: the client reconnects with backoff, the reads go on from the
 * consumer's pending entries (nothing is lost), and acknowledgements are
 * sent again, for up to `reconnectTimeoutMs`.
 *
 * An entry whose value does not decode (or that has no `valueField`) is a
 * {@linkcode MessageError} naming the connector, the entry and the cause
 * (its `raw` is the entry as a raw message). With a `deadLetter` in the
 * pipeline it goes there (stage -1, `"source"`), and once the dead letter
 * stored it the entry is acknowledged (XACK) and reading goes on. Without
 * one the read fails after the entries before it: the entry and those
 * after it stay pending, and the pipeline stops `degraded`.
 *
 * A record the pipeline dead-letters (it failed in a processor or the
 * sink, with a `deadLetter` configured) is acknowledged with its batch,
 * like a stored one: Redis Streams have no reject, and the dead letter
 * holds it.
 *
 * @typeParam T The type of the decoded values.
 * @param options The connection, `stream`, `group`, and how to read.
 * @returns A resumable source of messages; it runs until stopped.
 *
 * @example Read a stream through a consumer group into a file
 * ```ts ignore
 * import { pipeline } from "@ca/streams";
 * import { fileSink } from "@ca/streams/file";
 * import { redisStreamSource } from "@ca/streams/redis";
 *
 * const source = redisStreamSource<{ total: number }>({
 *   url: "redis://127.0.0.1:6379",
 *   stream: "orders",
 *   group: "archive",
 *   consumer: "archive-1",
 * });
 * const running = pipeline(source, fileSink("orders.ndjson"), { id: "archive" });
 * setTimeout(() => running.stop(), 10_000);
 * await running;
 * ```
 *
 * @example Decode entries from a stand-in client, as a unit test does
 * ```ts
 * import { redisStreamSource } from "@ca/streams/redis";
 * import type { Message } from "@ca/streams/messages";
 *
 * const sent: string[] = [];
 * let served = false;
 * const client = {
 *   async sendCommand(args: Array<string | Uint8Array>) {
 *     sent.push(args.slice(0, 2).join(" "));
 *     if (args[0] === "XAUTOCLAIM") return ["0-0", [], []]; // nothing to take over
 *     if (args[0] !== "XREADGROUP" || args.at(-1) !== ">" || served) return null;
 *     served = true;
 *     return [["orders", [["1700000000000-0", ["value", '{"total":5}', "key", "o-1", "shop", "east"]]]]];
 *   },
 * };
 * const source = redisStreamSource<{ total: number }>({ client, stream: "orders", group: "billing" });
 * let message: Message<{ total: number }> | undefined;
 * for await (const read of source) {
 *   message = read;
 *   break;
 * }
 * if (
 *   message?.value.total !== 5 || message.key !== "o-1" || message.headers?.shop !== "east" ||
 *   message.id !== "1700000000000-0" || message.topic !== "orders" ||
 *   message.time !== "2023-11-14T22:13:20.000Z" || sent[0] !== "XGROUP CREATE"
 * ) throw new Error(`unexpected ${JSON.stringify(message)}`);
 * ```
 */
export function redisStreamSource<T = unknown>(
  options: RedisStreamSourceOptions,
): ResumableSource<Message<T>> {
  const what = "redisStreamSource()";
  if (options === null || typeof options !== "object") {
    throw new TypeError(`Cannot create ${what}: options must be an object`);
  }
  checkConnection(what, options);
  const stream = nonEmpty(what, "stream", options.stream);
  const group = nonEmpty(what, "group", options.group);
  const consumer = nonEmpty(
    what,
    "consumer",
    options.consumer ?? DEFAULT_CONSUMER,
  );
  const valueField = nonEmpty(
    what,
    "valueField",
    options.valueField ?? "value",
  );
  const keyField = nonEmpty(what, "keyField", options.keyField ?? "key");
  if (valueField === keyField) {
    throw new TypeError(
      `Cannot create ${what}: valueField and keyField must differ, both are ${
        JSON.stringify(valueField)
      }`,
    );
  }
  const format = options.format ?? "json";
  if (!MESSAGE_FORMATS.includes(format)) {
    throw new TypeError(
      `Cannot create ${what}: format must be "json", "text", "bytes" or "cloudevents", got ${
        JSON.stringify(format)
      }`,
    );
  }
  const start = options.start ?? "oldest";
  if (start !== "oldest" && start !== "newest") {
    throw new TypeError(
      `Cannot create ${what}: start must be "oldest" or "newest", got ${
        JSON.stringify(start)
      }`,
    );
  }
  const batchSize = integer(
    what,
    "batchSize",
    options.batchSize,
    1,
    DEFAULT_BATCH_SIZE,
  );
  const blockMs = integer(
    what,
    "blockMs",
    options.blockMs,
    1,
    DEFAULT_BLOCK_MS,
  );
  const claimIdleMs = integer(
    what,
    "claimIdleMs",
    options.claimIdleMs,
    0,
    DEFAULT_CLAIM_IDLE_MS,
  );
  const outer = options.signal;
  if (outer !== undefined && !(outer instanceof AbortSignal)) {
    throw new TypeError(`Cannot create ${what}: signal must be an AbortSignal`);
  }
  const bytes = format === "bytes" || format === "cloudevents";
  const ownsClient = options.client === undefined;

  // Acknowledgements go on a connection of their own, so that they do not
  // wait behind a blocking read (with an injected client: the same one).
  const commands = new RedisLink(CONNECTOR, options);
  /** Batches read and not yet acknowledged, in order. */
  let unacked: ReadBatch[] = [];
  /**
   * Entry ids whose XACK is on its way: with those of `unacked`, a rescan
   * of the pending entries skips them (see `fresh()`, which makes the set
   * only when a rescan needs it, not for every entry read).
   */
  const acking = new Set<string[]>();
  /** Ids acknowledged while a rescan was on its way: it skips them too. */
  let ackedDuringRead: Set<string> | undefined;
  /** Ids of deleted entries still pending: acknowledged with the next batch. */
  let orphans: string[] = [];
  /** The reader of the last open() is done: acks close the connection after. */
  let released = true;

  function decode(entry: StreamEntry): Message<T> {
    const raw: RawMessage = { payload: "", topic: stream, id: entry.id };
    const time = timeOf(entry.id);
    if (time !== undefined) raw.time = time;
    let payload: string | Uint8Array | undefined;
    let headers: Record<string, string> | undefined;
    const fields = entry.fields!;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name = text(fields[i]);
      const value = fields[i + 1]!;
      if (name === valueField) {
        payload = typeof value === "string" ? value : new Uint8Array(value);
      } else if (name === keyField) raw.key = text(value);
      else (headers ??= {})[name] = text(value);
    }
    if (headers !== undefined) raw.headers = headers;
    const action = () => `decode entry ${entry.id} of stream ${stream}`;
    if (payload === undefined) {
      throw new MessageError(
        CONNECTOR,
        action(),
        `it has no field ${JSON.stringify(valueField)} (the fields are ${
          JSON.stringify(Object.keys(headers ?? {}))
        })`,
        raw,
      );
    }
    raw.payload = payload;
    try {
      return decodeMessage(raw, format, CONNECTOR) as Message<T>;
    } catch (error) {
      const cause = error instanceof MessageError ? error.cause : error;
      throw new MessageError(CONNECTOR, action(), cause, raw);
    }
  }

  /** Entries not already on their way through the pipeline. */
  function fresh(entries: StreamEntry[]): StreamEntry[] {
    const skip = ackedDuringRead;
    const inFlight = new Set<string>();
    for (const batch of unacked) for (const id of batch.ids) inFlight.add(id);
    for (const ids of acking) for (const id of ids) inFlight.add(id);
    return entries.filter((entry) =>
      !inFlight.has(entry.id) && !(skip?.has(entry.id))
    );
  }

  function batchOf(
    records: Message<T>[],
    ids: string[],
  ): SourceBatch<Message<T>> {
    const position = records.at(-1)!.id!;
    unacked.push({ position, ids });
    return { records, position };
  }

  /**
   * Decodes entries into one batch. An undecodable one goes to the dead
   * letter and is acknowledged; without a dead letter it ends the batch
   * and throws.
   */
  async function* deliver(
    entries: StreamEntry[],
    deadLetter: OpenOptions["deadLetter"],
    signal: AbortSignal,
  ): AsyncGenerator<SourceBatch<Message<T>>, void, undefined> {
    const records: Message<T>[] = [];
    const ids = orphans;
    orphans = [];
    for (const entry of entries) {
      if (entry.fields === null) {
        ids.push(entry.id); // deleted from the stream, still pending
        continue;
      }
      let message: Message<T>;
      try {
        message = decode(entry);
      } catch (error) {
        if (deadLetter === undefined) {
          if (records.length > 0) yield batchOf(records, ids);
          else orphans = ids;
          throw error;
        }
        await deadLetter((error as MessageError).raw ?? entry, error);
        // Done: Redis has no reject, so the entry is acknowledged now.
        await commands.send(["XACK", stream, group, entry.id], { signal });
        continue;
      }
      records.push(message);
      ids.push(entry.id);
    }
    if (records.length > 0) yield batchOf(records, ids);
    else orphans = ids;
  }

  async function ensureGroup(
    reader: RedisLink,
    send: SendOptions,
  ): Promise<void> {
    try {
      await reader.send(
        [
          "XGROUP",
          "CREATE",
          stream,
          group,
          start === "oldest" ? "0" : "$",
          "MKSTREAM",
        ],
        send,
      );
    } catch (error) {
      if (!hasCode(error, "BUSYGROUP")) throw error;
    }
  }

  async function* read(
    signal: AbortSignal,
    deadLetter: OpenOptions["deadLetter"],
  ): AsyncGenerator<SourceBatch<Message<T>>, void, undefined> {
    released = false;
    unacked = [];
    acking.clear();
    orphans = [];
    const reader = ownsClient ? new RedisLink(CONNECTOR, options) : commands;
    // A blocking read cannot be taken back: close its connection at once.
    const onAbort = () => void reader.destroy();
    signal.addEventListener("abort", onAbort, { once: true });
    /** A command was sent again after a connection error: rescan. */
    let rescan = false;
    const send: SendOptions = { signal, bytes, onRetry: () => rescan = true };
    try {
      await ensureGroup(reader, send);
      /** Where the scan of this consumer's pending entries is; undefined: done. */
      let pendingAfter: string | undefined = "0";
      let lastClaim = -Infinity;
      while (true) {
        signal.throwIfAborted();
        let entries: StreamEntry[];
        try {
          // Own pending entries first, then what others left, then new ones.
          if (
            pendingAfter === undefined && claimIdleMs > 0 &&
            Date.now() - lastClaim >= claimIdleMs
          ) {
            lastClaim = Date.now();
            let cursor = "0-0";
            do {
              ackedDuringRead = new Set();
              const reply = await reader.send(
                [
                  "XAUTOCLAIM",
                  stream,
                  group,
                  consumer,
                  String(claimIdleMs),
                  cursor,
                  "COUNT",
                  String(batchSize),
                ],
                send,
              );
              const claimed = claimReplyEntries(reply);
              cursor = claimed.next;
              entries = fresh(claimed.entries);
              ackedDuringRead = undefined;
              yield* deliver(entries, deadLetter, signal);
            } while (cursor !== "0-0");
            continue;
          }
          if (pendingAfter !== undefined) {
            ackedDuringRead = new Set();
            const reply = await reader.send(
              [
                "XREADGROUP",
                "GROUP",
                group,
                consumer,
                "COUNT",
                String(batchSize),
                "STREAMS",
                stream,
                pendingAfter,
              ],
              send,
            );
            const all = readReplyEntries(reply);
            entries = fresh(all);
            ackedDuringRead = undefined;
            pendingAfter = all.length === 0 ? undefined : all.at(-1)!.id;
          } else {
            entries = readReplyEntries(
              await reader.send(
                [
                  "XREADGROUP",
                  "GROUP",
                  group,
                  consumer,
                  "COUNT",
                  String(batchSize),
                  "BLOCK",
                  String(blockMs),
                  "STREAMS",
                  stream,
                  ">",
                ],
                send,
              ),
            );
          }
        } catch (error) {
          ackedDuringRead = undefined;
          // The group (or the stream) was deleted: make it again.
          if (signal.aborted || !hasCode(error, "NOGROUP")) throw error;
          await ensureGroup(reader, send);
          rescan = true;
          entries = [];
        }
        if (rescan) {
          // A reply may have been lost with the connection: what it held
          // is pending at this consumer, so read the pending entries again.
          rescan = false;
          pendingAfter = "0";
        }
        yield* deliver(entries, deadLetter, signal);
      }
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    } finally {
      ackedDuringRead = undefined;
      signal.removeEventListener("abort", onAbort);
      released = true;
      if (reader !== commands) await reader.destroy();
      if (!commands.busy) await commands.close();
    }
  }

  return resumableSource<Message<T>>({
    name: `redis stream ${stream} (group ${group}, consumer ${consumer})`,
    open(_after, { signal, deadLetter }) {
      return read(
        outer ? AbortSignal.any([outer, signal]) : signal,
        deadLetter,
      );
    },
    // No deadLettered(): Redis has no reject, so an entry whose record the
    // pipeline dead-lettered is acknowledged with its batch.
    async ack(position: Position) {
      const at = unacked.findIndex((batch) => batch.position === position);
      if (at < 0) return;
      const ids = unacked.splice(0, at + 1).flatMap((batch) => batch.ids);
      acking.add(ids);
      try {
        for (let i = 0; i < ids.length; i += ACK_CHUNK) {
          await commands.send([
            "XACK",
            stream,
            group,
            ...ids.slice(i, i + ACK_CHUNK),
          ]);
        }
        if (ackedDuringRead !== undefined) {
          for (const id of ids) ackedDuringRead.add(id);
        }
      } finally {
        acking.delete(ids);
        // After the reader is done (stop, abort), close what the last
        // acknowledgements opened.
        if (released && !commands.busy) await commands.close();
      }
    },
  });
}

/** Whether a {@linkcode RedisStreamError}'s reply starts with `code`. */
function hasCode(error: unknown, code: string): boolean {
  const cause = error instanceof RedisStreamError ? error.cause : error;
  return cause instanceof Error && cause.message.startsWith(`${code} `);
}

/** The last id's milliseconds and their ISO time: ids share them in runs. */
let lastMs = "";
let lastTime: string | undefined;

/** The ISO time of an entry id's milliseconds (`"1700000000000-0"`). */
function timeOf(id: string): string | undefined {
  const prefix = id.slice(0, id.indexOf("-"));
  if (prefix === lastMs) return lastTime;
  const ms = Number(prefix);
  const date = new Date(ms);
  lastMs = prefix;
  lastTime = !Number.isSafeInteger(ms) || ms < 0 || Number.isNaN(date.getTime())
    ? undefined
    : date.toISOString();
  return lastTime;
}

function nonEmpty(what: string, name: string, value: unknown): string {
  if (typeof value !== "string" || value === "") {
    throw new TypeError(
      `Cannot create ${what}: ${name} must be a non-empty string, got ${
        value === "" ? "an empty string" : typeof value
      }`,
    );
  }
  return value;
}

function integer(
  what: string,
  name: string,
  value: unknown,
  min: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== "number" || !Number.isSafeInteger(value) || value < min
  ) {
    throw new RangeError(
      `Cannot create ${what}: ${name} must be an integer of ${min} or more, got ${
        typeof value === "number" ? value : typeof value
      }`,
    );
  }
  return value;
}
