// Copyright 2026 the @ca/streams authors. MIT license.

import { toJsonRecord } from "../../src/cloudevents/json_record.ts";
import { type BatchSink, batchSink } from "../../src/sinks/batch_sink.ts";
import { appendAll } from "./append_all.ts";
import type { AppendHandle, FileRuntime } from "./file_runtime.ts";
import { openError } from "./open_error.ts";
import { repairTornLine } from "./repair_torn_line.ts";

/** The checked options of `fileSink()`, and where its file API comes from. */
export interface AppendSinkOptions {
  /** How records become lines. */
  format: "ndjson" | "lines";
  /** Flush each batch to the disk. */
  sync: boolean;
  /** Aborting it closes the file. */
  signal: AbortSignal | undefined;
  /** Loads the file API (tests pass a fake one). */
  runtime: () => Promise<FileRuntime>;
}

/**
 * The sink behind `fileSink()`, with its arguments checked.
 *
 * @typeParam T The type of the records.
 * @param path The file to append to.
 * @param options Format, sync, signal and the file API.
 * @returns The batch-aware sink.
 */
export function appendSink<T>(
  path: string,
  options: AppendSinkOptions,
): BatchSink<T> {
  const { format, sync, signal } = options;
  const encoder = new TextEncoder();
  const encode = format === "ndjson" ? encodeNdjson : encodeLines;
  let opening: Promise<AppendHandle> | undefined;
  let size = 0; // the file's size: this sink is its only writer
  let writing: Promise<void> | undefined;
  let stopped: string | undefined; // why writes are refused
  let closing: Promise<void> | undefined;
  let written = 0;

  function open(): Promise<AppendHandle> {
    opening ??= (async () => {
      const runtime = await options.runtime();
      let handle: AppendHandle;
      try {
        handle = await runtime.openAppend(path);
      } catch (error) {
        throw openError("file sink", path, true, error);
      }
      try {
        size = await repairTornLine(handle);
      } catch (error) {
        await handle.close().catch(() => {});
        throw new Error(
          `Cannot open file sink ${path}: checking its last line failed: ${
            error instanceof Error ? error.message : String(error)
          }`,
          { cause: error },
        );
      }
      return handle;
    })();
    return opening;
  }

  /** Closes the file once the batch being written (if any) is finished. */
  function shut(reason: string): Promise<void> {
    stopped ??= reason;
    closing ??= (async () => {
      await writing?.catch(() => {});
      if (opening) {
        const handle = await opening.catch(() => undefined);
        await handle?.close();
      }
    })();
    return closing;
  }

  const onAbort = () => void shut("its signal was aborted").catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });

  function encodeNdjson(records: T[]): Uint8Array {
    let text = "";
    for (let i = 0; i < records.length; i++) {
      const json = JSON.stringify(toJsonRecord(records[i]));
      if (json === undefined) {
        throw new TypeError(
          `Cannot write record ${written + i} to ${path}: ${typeof records[
            i
          ]} has no JSON text`,
        );
      }
      text += json + "\n";
    }
    return encoder.encode(text);
  }
  function encodeLines(records: T[]): Uint8Array {
    let text = "";
    for (let i = 0; i < records.length; i++) {
      const line = records[i];
      if (typeof line !== "string") {
        throw new TypeError(
          `Cannot write record ${
            written + i
          } to ${path}: a line must be a string, got ${
            line === null ? "null" : typeof line
          }`,
        );
      }
      if (line.includes("\n") || line.endsWith("\r")) {
        throw new TypeError(
          `Cannot write record ${
            written + i
          } to ${path}: a line must not contain "\\n" nor end with "\\r"`,
        );
      }
      text += line + "\n";
    }
    return encoder.encode(text);
  }

  async function append(bytes: Uint8Array, count: number): Promise<void> {
    // Started before a stop: shut() waits for it before closing the file.
    const handle = await open();
    try {
      await appendAll(handle, bytes, path);
    } catch (error) {
      // Remove what part of the batch was written, so that a retry or the
      // next batch starts on a fresh line.
      try {
        await handle.truncate(size);
      } catch {
        stopped ??= "an earlier write failed and left a torn line";
      }
      throw error;
    }
    size += bytes.length;
    written += count;
    if (sync) {
      try {
        await handle.sync();
      } catch (error) {
        // What a failed flush kept is unknown: write nothing after it.
        stopped ??= "flushing an earlier write to the disk failed";
        throw error;
      }
    }
  }
  function refused(): Error {
    if (signal?.aborted) return signal.reason;
    return new Error(`Cannot write to file sink ${path}: ${stopped}`);
  }

  return batchSink<T>({
    write(records) {
      if (stopped) throw refused();
      if (records.length === 0) return;
      writing = append(encode(records), records.length);
      return writing;
    },
    async close() {
      signal?.removeEventListener("abort", onAbort);
      if (stopped) throw refused();
      await open(); // an empty run still creates the file
      await shut("it is closed");
    },
    async abort() {
      signal?.removeEventListener("abort", onAbort);
      await shut("it was aborted");
    },
  });
}
