// Copyright 2026 the @ca/streams authors. MIT license.

import type { BatchSink } from "../../src/sinks/batch_sink.ts";
import { appendSink } from "./append_sink.ts";
import { loadFileRuntime } from "./file_runtime.ts";

/**
 * Options for {@linkcode fileSink}.
 *
 * @example Append plain lines, flushed to the disk
 * ```ts
 * import { pipeline } from "@ca/streams";
 * import { fileSink } from "@ca/streams/file";
 * import type { FileSinkOptions } from "@ca/streams/file";
 *
 * const path = await Deno.makeTempFile();
 * try {
 *   const options: FileSinkOptions = { format: "lines", sync: true };
 *   await pipeline(["first", "second"], fileSink<string>(path, options));
 *   const text = await Deno.readTextFile(path);
 *   if (text !== "first\nsecond\n") throw new Error(`unexpected ${text}`);
 * } finally {
 *   await Deno.remove(path);
 * }
 * ```
 */
export interface FileSinkOptions {
  /**
   * `"ndjson"` (default): each record is written as one line of JSON; a
   * CloudEvent (a record with a string `specversion`) whose `data` is a
   * `Uint8Array` is written as the CloudEvents JSON format says, with the
   * bytes in base64 in `data_base64` (`parseCloudEvent()` turns the record
   * read back into the event with bytes in `data`).
   * `"lines"`: each record is a string written as one line.
   */
  format?: "ndjson" | "lines";
  /**
   * Flush each batch to the disk (fdatasync) before the write resolves
   * (default `false`: a written batch survives the process being killed,
   * not the machine losing power).
   */
  sync?: boolean;
  /** Aborting it closes the file; later writes reject with its reason. */
  signal?: AbortSignal;
}

/**
 * Appends records to a file, one line each (NDJSON by default), as a
 * batch-aware sink: inside `pipeline()` each batch is encoded into one
 * buffer and appended whole, with one write call for most batches, before
 * the write resolves. With `sync: true` it is also flushed to the disk.
 *
 * The file is opened (and created, but not its directory: a missing
 * directory fails with an error naming the path) at the first write, or at
 * `close()` when nothing was written. On opening, bytes after the file's
 * last `"\n"` are truncated away: they are a line a killed writer left
 * half-written, so no partial record survives, and the records that line
 * was part of are written again by an at-least-once pipeline that resumes
 * from its last checkpoint. So the sink expects to be the file's only
 * writer, and a file whose last line was written without `"\n"` by some
 * other program loses that line.
 *
 * `close()` and `abort()` close the file; a batch being appended is
 * finished first, so stopping never tears a line. When an append fails
 * part way, the part written is truncated away, so a retried batch starts
 * on a fresh line; if that fails too, or a flush fails, the sink refuses
 * further writes.
 *
 * @typeParam T The type of the records (`string` with `format: "lines"`).
 * @param path The file to append to.
 * @param options `format`, `sync` and `signal`.
 * @returns A `WritableStream<T>` that `pipeline()` writes in batches.
 *
 * @example Write records as NDJSON
 * ```ts
 * import { pipeline } from "@ca/streams";
 * import { fileSink } from "@ca/streams/file";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   const path = `${dir}/out.ndjson`;
 *   await pipeline([{ id: 1 }, { id: 2 }], fileSink(path));
 *   const text = await Deno.readTextFile(path);
 *   if (text !== '{"id":1}\n{"id":2}\n') throw new Error(`unexpected ${text}`);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function fileSink<T = unknown>(
  path: string,
  options: FileSinkOptions = {},
): BatchSink<T> {
  if (typeof path !== "string" || path === "") {
    throw new TypeError(
      `Cannot create fileSink(): path must be a non-empty string, got ${
        path === "" ? "an empty string" : typeof path
      }`,
    );
  }
  const format = options.format ?? "ndjson";
  if (format !== "ndjson" && format !== "lines") {
    throw new TypeError(
      `Cannot create fileSink(): format must be "ndjson" or "lines", got ${
        JSON.stringify(format)
      }`,
    );
  }
  if (options.sync !== undefined && typeof options.sync !== "boolean") {
    throw new TypeError(
      `Cannot create fileSink(): sync must be a boolean, got ${typeof options
        .sync}`,
    );
  }
  const sync = options.sync ?? false;
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(
      "Cannot create fileSink(): signal must be an AbortSignal",
    );
  }

  return appendSink<T>(path, {
    format,
    sync,
    signal,
    runtime: loadFileRuntime,
  });
}
