// Copyright 2026 the @ca/streams authors. MIT license.

import type { Position } from "../../src/checkpoint/position.ts";
import {
  type ResumableSource,
  resumableSource,
  type SourceBatch,
} from "../../src/sources/resumable_source.ts";
import { loadFileRuntime } from "./file_runtime.ts";
import type { ReadHandle } from "./file_runtime.ts";
import { openError } from "./open_error.ts";
import { readBatches } from "./read_batches.ts";

/**
 * Options for {@linkcode fileSource}.
 *
 * @example Read a text file line by line, two lines per batch
 * ```ts
 * import { collect, pipeline } from "@ca/streams";
 * import { fileSource } from "@ca/streams/file";
 * import type { FileSourceOptions } from "@ca/streams/file";
 *
 * const path = await Deno.makeTempFile();
 * try {
 *   await Deno.writeTextFile(path, "alpha\n\ngamma\n");
 *   const options: FileSourceOptions = { format: "lines", batchSize: 2 };
 *   const sink = collect<string>();
 *   await pipeline(fileSource<string>(path, options), sink);
 *   if (sink.records.join("|") !== "alpha||gamma") throw new Error(`unexpected ${sink.records}`);
 * } finally {
 *   await Deno.remove(path);
 * }
 * ```
 */
export interface FileSourceOptions {
  /**
   * `"ndjson"` (default): each line is one JSON value, blank lines are
   * skipped. `"lines"`: each line is a string record, blank lines included.
   */
  format?: "ndjson" | "lines";
  /** Bytes read at a time (default 65536); a longer line grows the buffer. */
  chunkSize?: number;
  /** Most records per batch, so per checkpoint step (default 1024). */
  batchSize?: number;
  /** Aborting it stops every read of the source and releases the file. */
  signal?: AbortSignal;
}

const DEFAULT_CHUNK_SIZE = 64 * 1024;
const DEFAULT_BATCH_SIZE = 1024;

/**
 * Reads a file of lines (NDJSON by default) as a resumable source. A
 * position is a byte offset: the one just after the `"\n"` of a batch's last
 * line (or the file's size for a last line without one). `pipeline()` with
 * a checkpoint reopens the file there, so a resumed run reads neither a
 * record twice nor skips one.
 *
 * Lines end at `"\n"`; a `"\r"` before it is dropped, and a byte order mark
 * at the start of the file is ignored. A line that is not JSON fails the
 * source with a {@linkcode FileSyntaxError} naming the path and the line's
 * byte offset, after the records before it were delivered.
 *
 * The source reads the file as it is up to its end, then ends: it does not
 * wait for more. Read a file once its writer is done (or stopped): a line
 * still being appended when the source reaches it would be read in part.
 * The file is opened when reading starts and closed when the end is
 * reached, the reader stops, or a signal aborts (at once, even while
 * nobody is reading).
 *
 * Resuming checks the byte before the position is a `"\n"` (or the end of
 * the file), and fails with a `RangeError` when the file is shorter or the
 * position is not at the end of a line: the file was replaced or rewritten.
 *
 * @typeParam T The type of the records (`string` with `format: "lines"`).
 * @param path The file to read.
 * @param options `format`, `chunkSize`, `batchSize` and `signal`.
 * @returns A resumable source, also iterable on its own.
 *
 * @example Read an NDJSON file
 * ```ts
 * import { fileSource } from "@ca/streams/file";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   const path = `${dir}/rows.ndjson`;
 *   await Deno.writeTextFile(path, '{"n":1}\n\n{"n":2}\r\n{"n":3}');
 *   const rows = await Array.fromAsync(fileSource<{ n: number }>(path));
 *   if (rows.map((row) => row.n).join() !== "1,2,3") throw new Error("unexpected");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function fileSource<T = unknown>(
  path: string,
  options: FileSourceOptions = {},
): ResumableSource<T> {
  if (typeof path !== "string" || path === "") {
    throw new TypeError(
      `Cannot create fileSource(): path must be a non-empty string, got ${
        path === "" ? "an empty string" : typeof path
      }`,
    );
  }
  const format = options.format ?? "ndjson";
  if (format !== "ndjson" && format !== "lines") {
    throw new TypeError(
      `Cannot create fileSource(): format must be "ndjson" or "lines", got ${
        JSON.stringify(format)
      }`,
    );
  }
  const chunkSize = positiveInteger(
    "chunkSize",
    options.chunkSize,
    DEFAULT_CHUNK_SIZE,
  );
  const batchSize = positiveInteger(
    "batchSize",
    options.batchSize,
    DEFAULT_BATCH_SIZE,
  );
  const outer = options.signal;
  if (outer !== undefined && !(outer instanceof AbortSignal)) {
    throw new TypeError(
      "Cannot create fileSource(): signal must be an AbortSignal",
    );
  }

  async function* read(
    after: Position | undefined,
    signal: AbortSignal,
  ): AsyncGenerator<SourceBatch<T>, void, undefined> {
    const start = startOf(path, after);
    signal.throwIfAborted();
    const runtime = await loadFileRuntime();
    let handle: ReadHandle;
    try {
      handle = await runtime.openRead(path);
    } catch (error) {
      throw openError("file source", path, false, error);
    }
    // Release the file as soon as the signal aborts, even while nobody reads.
    const release = () => void handle.close().catch(() => {});
    signal.addEventListener("abort", release, { once: true });
    try {
      signal.throwIfAborted();
      let more: boolean;
      try {
        more = start === 0 || await resumable(handle, path, start);
      } catch (error) {
        signal.throwIfAborted();
        throw error;
      }
      if (!more) return;
      signal.throwIfAborted();
      yield* readBatches<T>(handle, start, {
        path,
        format,
        chunkSize,
        batchSize,
        signal,
      });
    } finally {
      signal.removeEventListener("abort", release);
      await handle.close().catch(() => {});
    }
  }

  return resumableSource<T>({
    name: `file ${path}`,
    open(after, { signal }) {
      return read(after, outer ? AbortSignal.any([outer, signal]) : signal);
    },
  });
}

function positiveInteger(
  name: string,
  value: number | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot create fileSource(): ${name} must be a number, got ${typeof value}`,
    );
  }
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create fileSource(): ${name} must be a positive integer, got ${value}`,
    );
  }
  return value;
}

/** The byte offset to read from for a stored position. */
function startOf(path: string, after: Position | undefined): number {
  if (after === undefined) return 0;
  if (typeof after !== "number") {
    throw new TypeError(
      `Cannot resume file source ${path}: the position must be a byte offset (a number), got ${
        after === null ? "null" : typeof after
      }`,
    );
  }
  if (!Number.isSafeInteger(after) || after < 0) {
    throw new RangeError(
      `Cannot resume file source ${path}: the position must be a byte offset (a non-negative integer), got ${after}`,
    );
  }
  return after;
}

/**
 * Checks that `after` ends a line of the file: the byte before it is a
 * `"\n"`, or `after` is the end of the file. Resolves to whether anything
 * may follow.
 */
async function resumable(
  handle: ReadHandle,
  path: string,
  after: number,
): Promise<boolean> {
  const probe = new Uint8Array(2);
  const n = await handle.read(probe, after - 1);
  if (n === 0) {
    throw new RangeError(
      `Cannot resume file source ${path} after byte ${after}: the file is shorter than that (was it truncated or replaced?)`,
    );
  }
  if (probe[0] === 10) return true;
  if (n === 1) return false; // the end of a last line without "\n"
  throw new RangeError(
    `Cannot resume file source ${path} after byte ${after}: it is not the end of a line (was the file rewritten?)`,
  );
}
