// Copyright 2026 the @ca/streams authors. MIT license.

import type { StoreCallOptions } from "../../src/checkpoint/checkpoint_store.ts";
import {
  beginDefinitionCall,
  byConnector,
  checkConnectorId,
} from "../../src/definition_store/begin_definition_call.ts";
import type { DefinitionEvent } from "../../src/definition_store/definition_event.ts";
import { DEFINITION_EVENT_TYPES } from "../../src/definition_store/definition_event_types.ts";
import type { DefinitionStore } from "../../src/definition_store/definition_store.ts";
import type { DefinitionStreamInfo } from "../../src/definition_store/definition_stream_info.ts";
import {
  encodeDefinitionEvents,
  storedEvent,
} from "../../src/definition_store/encode_definition_events.ts";
import type { StoredDefinitionEvent } from "../../src/definition_store/stored_definition_event.ts";
import { WrongExpectedVersionError } from "../../src/definition_store/wrong_expected_version_error.ts";
import { appendAll } from "../file/append_all.ts";
import {
  type AppendHandle,
  loadFileRuntime,
  type ReadHandle,
} from "../file/file_runtime.ts";
import { lockFile } from "./lock.ts";
import { loadStoreRuntime } from "./store_runtime.ts";

/**
 * Options for {@linkcode fileDefinitionStore}.
 *
 * @example Break a dead host's lock sooner
 * ```ts
 * import { fileDefinitionStore } from "@ca/streams/file-store";
 * import type { FileDefinitionStoreOptions } from "@ca/streams/file-store";
 *
 * const directory = await Deno.makeTempDir();
 * try {
 *   const options: FileDefinitionStoreOptions = { staleLockMs: 2_000 };
 *   const store = fileDefinitionStore(`${directory}/definitions.ndjson`, options);
 *   if ((await store.list()).length !== 0) throw new Error("expected no connectors");
 *   await store.close();
 * } finally {
 *   await Deno.remove(directory, { recursive: true });
 * }
 * ```
 */
export interface FileDefinitionStoreOptions {
  /**
   * Break the log's lock file when older than this, in ms, even when its
   * process may still be alive (default 10000). A lock whose process is
   * gone from this machine is broken at once. Keep it well above the
   * longest time an append plus fsync may take.
   */
  staleLockMs?: number;
  /** Aborting it makes every call of the store, pending or later, give up. */
  signal?: AbortSignal;
}

/** One stream as read from the log: its lines, and whether the last is `deleted`. */
interface Stream {
  /** The log's lines of this connector, in version order. */
  lines: string[];
  deleted: boolean;
}

/** A line of the log, parsed and checked. */
interface Line {
  connector: string;
  version: number;
  /** The version of the last event of the append this line belongs to. */
  last: number;
  type: string;
  text: string;
}

const DEFAULT_STALE_LOCK_MS = 10_000;
const NEWLINE = 10;
const CHUNK_SIZE = 64 * 1024;
const encoder = new TextEncoder();

/**
 * Creates a definition store in one append-only log file: one JSON line
 * per event, `{"version","last","type","connector","at","data"}`, where
 * `last` is the version of the last event of the same append. A host on
 * one machine (or a shared local file system) keeps its connectors there.
 *
 * An append takes the log's lock file (`<path>.lock`, created with
 * `O_EXCL`, as the file checkpoint store's locks), reads what other
 * processes appended since, checks the expected version, writes its lines
 * in one write and fsyncs the file (and, when it created the file, its
 * folder): durable when the promise resolves, and checked under the lock,
 * so two appends at the same version, from this process or another, never
 * both succeed. Calls of one store object run one after the other.
 *
 * A writer killed mid-append leaves a torn last line, or the first lines of
 * an append without its last: reads stop before them (an append counts
 * only when its `last` line is there), and the next append, under the
 * lock, cuts them off. A line that is not an event anywhere else is an
 * error naming its byte offset: the log was edited. The store keeps every
 * event in memory (a host rebuilds from all of them anyway); nothing
 * compacts the log.
 *
 * Works on Deno (`--allow-read`, `--allow-write`; with `--allow-sys=hostname`
 * and `--allow-run` a dead holder's lock is broken at once rather than
 * after `staleLockMs`), Node and Bun; the runtime's file API is loaded on
 * first use.
 *
 * @param path The log file; it and its folder are created on the first append.
 * @param options `staleLockMs`, and a `signal` that stops the whole store.
 * @returns A {@linkcode DefinitionStore} whose events survive restarts.
 *
 * @example Create a connector, then read it back as a restarted host would
 * ```ts
 * import { fileDefinitionStore } from "@ca/streams/file-store";
 *
 * const directory = await Deno.makeTempDir();
 * try {
 *   const path = `${directory}/definitions.ndjson`;
 *   const store = fileDefinitionStore(path);
 *   const at = new Date().toISOString();
 *   await store.append("orders", [
 *     { type: "created", connector: "orders", at, data: { config: { id: "orders" } } },
 *     { type: "started", connector: "orders", at, data: {} },
 *   ], 0);
 *   await store.close();
 *
 *   const later = fileDefinitionStore(path);
 *   const [stream] = await later.list();
 *   if (stream?.connector !== "orders" || stream.version !== 2) throw new Error("unexpected");
 *   await later.close();
 * } finally {
 *   await Deno.remove(directory, { recursive: true });
 * }
 * ```
 */
export function fileDefinitionStore(
  path: string,
  options: FileDefinitionStoreOptions = {},
): DefinitionStore {
  if (typeof path !== "string" || path === "") {
    throw new TypeError(
      "Cannot create file definition store: path must be a non-empty string",
    );
  }
  const staleMs = options.staleLockMs ?? DEFAULT_STALE_LOCK_MS;
  if (!(staleMs > 0 && Number.isFinite(staleMs))) {
    throw new RangeError(
      `Cannot create file definition store: staleLockMs must be a positive number of ms, got ${staleMs}`,
    );
  }
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const directory = slash < 0
    ? "."
    : slash === 0
    ? path[0]!
    : path.slice(0, slash);
  const storeSignal = options.signal;

  const streams = new Map<string, Stream>();
  /** Bytes of the log read into `streams`: always the end of a whole append. */
  let consumed = 0;
  let queue: Promise<unknown> = Promise.resolve();
  let ready: Promise<void> | undefined;
  let syncDirectories = true;
  let closed = false;
  const pending = new Set<Promise<unknown>>();

  /** Runs `body` after every call of this store queued before it. */
  function serialized<T>(
    signal: AbortSignal | undefined,
    body: () => Promise<T>,
  ): Promise<T> {
    const before = queue;
    const run = (async () => {
      await abortable(before, signal);
      return await body();
    })();
    queue = run.catch(() => {});
    pending.add(run);
    const forget = () => pending.delete(run);
    run.then(forget, forget);
    return run;
  }

  function corrupt(offset: number, reason: string): never {
    throw new SyntaxError(
      `Cannot read definitions from ${path}: the line at byte ${offset} ${reason}`,
    );
  }

  /** Parses and checks one line of the log, which starts at byte `offset`. */
  function parseLine(text: string, offset: number): Line {
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(text);
    } catch {
      corrupt(offset, "is not JSON");
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      corrupt(offset, "is not a JSON object");
    }
    const { connector, version, last, type, at, data } = value;
    if (typeof connector !== "string" || connector === "") {
      corrupt(offset, "has no connector");
    }
    if (!Number.isSafeInteger(version) || (version as number) < 1) {
      corrupt(offset, "has no version of at least 1");
    }
    if (!Number.isSafeInteger(last) || (last as number) < (version as number)) {
      corrupt(offset, 'has no "last" version at or after its version');
    }
    if (!(DEFINITION_EVENT_TYPES as readonly unknown[]).includes(type)) {
      corrupt(offset, `has an unknown type ${JSON.stringify(type)}`);
    }
    if (
      typeof at !== "string" || typeof data !== "object" || data === null
    ) {
      corrupt(offset, "has no at or data");
    }
    return {
      connector,
      version: version as number,
      last: last as number,
      type: type as string,
      text,
    };
  }

  /**
   * Reads the log from `consumed` to its end into `streams`, whole appends
   * only. With an append handle (under the lock, so no writer is busy),
   * cuts off what a killed writer left after the last whole append.
   */
  async function catchUp(
    handle: ReadHandle,
    repair?: AppendHandle,
  ): Promise<void> {
    if (repair !== undefined) {
      const size = await repair.size();
      if (size < consumed) {
        throw new Error(
          `Cannot read definitions from ${path}: the log shrank from ${consumed} to ${size} bytes; it is append-only (open a new store after restoring it)`,
        );
      }
      if (size === consumed) return;
    }
    const base = consumed;
    const bytes = await readToEnd(handle, base);
    const decoder = new TextDecoder("utf-8", { fatal: true });
    let lineStart = 0;
    let whole = 0; // end of the last whole append, relative to `base`
    let append: Line[] = [];
    for (;;) {
      const end = bytes.indexOf(NEWLINE, lineStart);
      if (end < 0) break; // a torn last line, or none
      const offset = base + lineStart;
      let text: string;
      try {
        text = decoder.decode(bytes.subarray(lineStart, end));
      } catch {
        corrupt(offset, "is not UTF-8");
      }
      const line = parseLine(text, offset);
      const first = append[0];
      const stream = streams.get(line.connector);
      if (first === undefined) {
        const want = (stream?.lines.length ?? 0) + 1;
        if (line.version !== want) {
          corrupt(
            offset,
            `has version ${line.version} where connector ${
              JSON.stringify(line.connector)
            } is at ${want - 1}`,
          );
        }
      } else if (
        line.connector !== first.connector || line.last !== first.last ||
        line.version !== append.at(-1)!.version + 1
      ) {
        corrupt(
          offset,
          `breaks into the append of versions ${first.version} to ${first.last} of connector ${
            JSON.stringify(first.connector)
          }`,
        );
      }
      append.push(line);
      lineStart = end + 1;
      if (line.version === line.last) {
        const target = stream ?? { lines: [], deleted: false };
        for (const done of append) target.lines.push(done.text);
        target.deleted = line.type === "deleted";
        streams.set(line.connector, target);
        append = [];
        whole = lineStart;
        consumed = base + whole;
      }
    }
    if (repair !== undefined && whole < bytes.length) {
      await repair.truncate(consumed);
    }
  }

  /** Reads what other store objects appended, without the lock. */
  async function refresh(): Promise<void> {
    const runtime = await loadStoreRuntime();
    if ((await runtime.stat(path)) === undefined) {
      if (consumed === 0) return;
      throw new Error(
        `Cannot read definitions from ${path}: the log is gone (open a new store after restoring it)`,
      );
    }
    const handle = await (await loadFileRuntime()).openRead(path);
    try {
      await catchUp(handle);
    } finally {
      await handle.close();
    }
  }

  function read(connector: string): StoredDefinitionEvent[] {
    return (streams.get(connector)?.lines ?? []).map((text) => {
      const line = JSON.parse(text);
      return storedEvent(line, line.version);
    });
  }

  return {
    append(
      connector: string,
      events: readonly DefinitionEvent[],
      expectedVersion: number,
      callOptions?: StoreCallOptions,
    ): Promise<number> {
      let signal: AbortSignal | undefined;
      let encoded: string[];
      try {
        signal = beginDefinitionCall(
          `append to connector "${connector}"`,
          closed,
          storeSignal,
          callOptions?.signal,
        );
        encoded = encodeDefinitionEvents(connector, events, expectedVersion);
      } catch (error) {
        return Promise.reject(error);
      }
      return serialized(signal, async () => {
        const runtime = await loadStoreRuntime();
        const files = await loadFileRuntime();
        ready ??= runtime.makeDirectory(directory).catch((error) => {
          ready = undefined;
          throw error;
        });
        await ready;
        const lock = await lockFile(runtime, `${path}.lock`, {
          staleMs,
          signal,
        });
        try {
          const created = (await runtime.stat(path)) === undefined;
          const handle = await files.openAppend(path);
          try {
            await catchUp(handle, handle);
            const current = streams.get(connector)?.lines.length ?? 0;
            if (current !== expectedVersion) {
              throw new WrongExpectedVersionError(
                connector,
                expectedVersion,
                current,
              );
            }
            signal?.throwIfAborted();
            const last = expectedVersion + encoded.length;
            const lines = encoded.map((json, index) =>
              `{"version":${expectedVersion + index + 1},"last":${last},${
                json.slice(1)
              }`
            );
            const bytes = encoder.encode(lines.join("\n") + "\n");
            await lock.verify();
            try {
              await appendAll(handle, bytes, path);
              await handle.sync();
            } catch (error) {
              // Leave no part of this append behind for the next one.
              await handle.truncate(consumed).catch(() => {});
              throw error;
            }
            if (created && syncDirectories) {
              syncDirectories = await runtime.syncDirectory(directory);
            }
            const stream = streams.get(connector) ??
              { lines: [], deleted: false };
            stream.lines.push(...lines);
            stream.deleted = events.at(-1)!.type === "deleted";
            streams.set(connector, stream);
            consumed += bytes.length;
            return last;
          } finally {
            await handle.close();
          }
        } finally {
          await lock.release();
        }
      });
    },

    read(
      connector: string,
      callOptions?: StoreCallOptions,
    ): Promise<StoredDefinitionEvent[]> {
      let signal: AbortSignal | undefined;
      try {
        signal = beginDefinitionCall(
          `read connector "${connector}"`,
          closed,
          storeSignal,
          callOptions?.signal,
        );
        checkConnectorId(connector, "read");
      } catch (error) {
        return Promise.reject(error);
      }
      return serialized(signal, async () => {
        await refresh();
        return read(connector);
      });
    },

    list(callOptions?: StoreCallOptions): Promise<DefinitionStreamInfo[]> {
      let signal: AbortSignal | undefined;
      try {
        signal = beginDefinitionCall(
          "list connectors",
          closed,
          storeSignal,
          callOptions?.signal,
        );
      } catch (error) {
        return Promise.reject(error);
      }
      return serialized(signal, async () => {
        await refresh();
        return byConnector(
          [...streams].map(([connector, stream]) => ({
            connector,
            version: stream.lines.length,
            deleted: stream.deleted,
          })),
        );
      });
    },

    async close(): Promise<void> {
      closed = true;
      await Promise.allSettled([...pending]);
    },
  };
}

/** Reads a file from byte `offset` to its end. */
async function readToEnd(
  handle: ReadHandle,
  offset: number,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const chunk = new Uint8Array(CHUNK_SIZE);
    let got = 0;
    while (got < chunk.length) {
      const n = await handle.read(chunk.subarray(got), offset + total + got);
      if (n === 0) break;
      got += n;
    }
    chunks.push(chunk.subarray(0, got));
    total += got;
    if (got < chunk.length) break;
  }
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

/** Waits for `promise`, or rejects with the signal's reason when it aborts first. */
function abortable(
  promise: Promise<unknown>,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (signal === undefined) return promise.then(() => {});
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}
