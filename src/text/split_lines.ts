// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { processorStream } from "../pipeline/processor_stream.ts";
import { lineSplitter } from "./line_splitter.ts";

/**
 * Returns a processor that splits a UTF-8 byte stream (or a text stream)
 * into lines, without the line breaks. Handles `\n` and `\r\n`, multi-byte
 * characters split across chunks, and a last line without a newline.
 *
 * Inside `pipeline()` it splits whole batches of chunks at once.
 *
 * @returns A `TransformStream` from byte or text chunks to lines.
 *
 * @example Lines of a response body
 * ```ts
 * import { splitLines } from "@ca/streams";
 *
 * const body = new Response("one\r\ntwo\nthree").body!;
 * const lines = await Array.fromAsync(body.pipeThrough(splitLines()));
 * if (lines.join("|") !== "one|two|three") throw new Error(`unexpected ${lines}`);
 * ```
 */
export function splitLines(): TransformStream<Uint8Array | string, string> {
  return processorStream<Uint8Array | string, string>({
    kind: "op",
    name: "splitLines",
    create: lineSplitter,
  });
}
