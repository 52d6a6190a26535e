// Copyright 2026 the @ca/streams authors. MIT license.

import type { SourceBatch } from "../../src/sources/resumable_source.ts";
import type { ReadHandle } from "./file_runtime.ts";
import { FileSyntaxError } from "./file_syntax_error.ts";

/** How {@linkcode readBatches} reads and parses. */
export interface ReadBatchesOptions {
  /** The file's path, for errors. */
  path: string;
  /** `"ndjson"` parses each line and skips blank ones; `"lines"` yields them as strings. */
  format: "ndjson" | "lines";
  /** Bytes per read (the buffer grows for a longer line). */
  chunkSize: number;
  /** Most records per batch. */
  batchSize: number;
  /** Checked after every read and every batch handed out. */
  signal: AbortSignal;
}

const NEWLINE = 10;
const CARRIAGE_RETURN = 13;
const BYTE_ORDER_MARK = 0xfeff;

/**
 * Reads lines from `start` (a byte offset at the start of a line) to the end
 * of the file, and yields them in batches with the byte offset just after
 * the batch's last line.
 *
 * Each read's complete lines are decoded with one `TextDecoder` call and
 * split as a string. Byte offsets stay exact: when the decoded text has as
 * many UTF-16 units as the bytes it came from, every character is one byte
 * (a multi-byte sequence always yields fewer units than bytes), so string
 * indexes are byte offsets; otherwise each line's end is found by searching
 * the bytes for its `"\n"` (UTF-8 never uses byte 10 inside a character).
 *
 * @param handle The open file.
 * @param start The byte offset to read from.
 * @param options Format, sizes, path and signal.
 * @returns The batches, then the end.
 */
export async function* readBatches<T>(
  handle: ReadHandle,
  start: number,
  options: ReadBatchesOptions,
): AsyncGenerator<SourceBatch<T>, void, undefined> {
  const { path, batchSize, signal } = options;
  const ndjson = options.format === "ndjson";
  // Keep a byte order mark where it is: stripping it inside a chunk would
  // lose data and shift offsets. It is dropped at byte 0 below.
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  let buffer = new Uint8Array(options.chunkSize);
  let filled = 0; // bytes of the file in buffer[0, filled)
  let base = start; // the file offset of buffer[0]
  let atFileStart = start === 0;
  let eof = false;
  let lineNumber = 0;
  let records: T[] = [];

  while (!eof) {
    if (filled === buffer.length) {
      // A line longer than the buffer: make room for the rest of it.
      const larger = new Uint8Array(buffer.length * 2);
      larger.set(buffer);
      buffer = larger;
    }
    let n: number;
    try {
      n = await handle.read(buffer.subarray(filled), base + filled);
    } catch (error) {
      // Closing the file on abort fails a read in flight: report the abort.
      signal.throwIfAborted();
      throw error;
    }
    signal.throwIfAborted();
    if (n === 0) eof = true;
    else filled += n;
    // Complete lines end at the last "\n"; at the end of the file, a last
    // line without one counts too.
    const end = eof ? filled : buffer.lastIndexOf(NEWLINE, filled - 1) + 1;
    if (end === 0) continue;

    const text = decoder.decode(buffer.subarray(0, end));
    const oneBytePerUnit = text.length === end;
    let from = 0; // where the current line starts in `text`
    let byteFrom = 0; // and in `buffer`
    if (atFileStart) {
      atFileStart = false;
      if (text.charCodeAt(0) === BYTE_ORDER_MARK) from = 1;
    }
    while (from < text.length) {
      const newline = text.indexOf("\n", from);
      const next = newline === -1 ? text.length : newline + 1;
      let byteNext: number;
      if (oneBytePerUnit) byteNext = next;
      else {
        const at = buffer.indexOf(NEWLINE, byteFrom);
        byteNext = at === -1 || at >= end ? end : at + 1;
      }
      let to = newline === -1 ? text.length : newline;
      if (to > from && text.charCodeAt(to - 1) === CARRIAGE_RETURN) to--;
      lineNumber++;
      if (!ndjson) {
        records.push(text.slice(from, to) as T);
      } else if (to > from && !isBlank(text, from, to)) {
        let value: T;
        try {
          value = JSON.parse(text.slice(from, to));
        } catch (cause) {
          const error = new FileSyntaxError(path, {
            offset: base + byteFrom,
            end: base + byteNext,
            line: lineNumber,
          }, cause);
          // Deliver what came before the bad line, so a checkpoint can
          // reach it, then fail.
          if (records.length > 0) {
            yield { records, position: base + byteFrom };
            records = [];
          }
          throw error;
        }
        records.push(value);
      }
      from = next;
      byteFrom = byteNext;
      if (records.length >= batchSize) {
        const batch = { records, position: base + byteFrom };
        records = [];
        yield batch;
        signal.throwIfAborted();
      }
    }
    buffer.copyWithin(0, end, filled);
    filled -= end;
    base += end;
  }
  if (records.length > 0) yield { records, position: base };
}

/** Whether `text[from, to)` holds only whitespace (JSON values never start with it). */
function isBlank(text: string, from: number, to: number): boolean {
  const first = text.charCodeAt(from);
  if (first > 32 && first < 127) return false;
  return text.slice(from, to).trim() === "";
}
