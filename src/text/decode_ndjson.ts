// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { describeError } from "../errors/describe_error.ts";
import { processorStream } from "../pipeline/processor_stream.ts";
import { lineSplitter } from "./line_splitter.ts";

/**
 * Returns a processor that parses NDJSON (one JSON value per line) from a
 * UTF-8 byte stream or a text stream. Blank lines are skipped. A line that
 * is not JSON errors the stream with a `SyntaxError` naming the line number
 * (from 1).
 *
 * The values are not validated: `T` is what you assert they are. Follow it
 * with a `map()` that checks them against your schema.
 *
 * @typeParam T The type you expect each value to have.
 * @returns A `TransformStream` from byte or text chunks to parsed values.
 *
 * @example Parse a response body
 * ```ts
 * import { decodeNdjson } from "@ca/streams";
 *
 * const body = new Response('{"id":1}\n\n{"id":2}\n').body!;
 * const rows = await Array.fromAsync(
 *   body.pipeThrough(decodeNdjson<{ id: number }>()),
 * );
 * if (rows.map((row) => row.id).join() !== "1,2") throw new Error("unexpected");
 * ```
 */
export function decodeNdjson<T = unknown>(): TransformStream<
  Uint8Array | string,
  T
> {
  return processorStream<Uint8Array | string, T>({
    kind: "op",
    name: "decodeNdjson",
    create() {
      const splitter = lineSplitter();
      let lineNumber = 0;
      function parse(lines: string[]): T[] {
        const values: T[] = [];
        for (let i = 0; i < lines.length; i++) {
          const line = lines[i]!;
          lineNumber++;
          if (line.trim() === "") continue;
          try {
            values.push(JSON.parse(line));
          } catch (error) {
            throw new SyntaxError(
              `Cannot parse NDJSON line ${lineNumber}: ${describeError(error)}`,
              { cause: error },
            );
          }
        }
        return values;
      }
      return {
        apply: (chunks) => parse(splitter.apply(chunks) as string[]),
        flush: () => parse(splitter.flush()),
      };
    },
  });
}
