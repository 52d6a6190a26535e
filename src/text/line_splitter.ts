// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { BatchOp } from "../pipeline/processor_spec.ts";

/**
 * The state machine behind `splitLines()`: decodes UTF-8 across chunk
 * boundaries and splits on `\n`, dropping a `\r` before it. A last line
 * without a newline comes out of `flush()`.
 */
export function lineSplitter(): BatchOp<Uint8Array | string, string> & {
  flush(): string[];
} {
  const decoder = new TextDecoder();
  let partial = "";
  let chunkIndex = 0;
  function push(lines: string[], line: string): void {
    lines.push(
      line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line,
    );
  }
  return {
    apply(chunks) {
      const lines: string[] = [];
      for (const chunk of chunks) {
        let text: string;
        if (typeof chunk === "string") text = chunk;
        else if (chunk instanceof Uint8Array) {
          text = decoder.decode(chunk, { stream: true });
        } else {
          throw new TypeError(
            `Cannot split lines: chunk ${chunkIndex} must be a Uint8Array or a string, got ${
              chunk === null ? "null" : typeof chunk
            }`,
          );
        }
        chunkIndex++;
        let newline = text.indexOf("\n");
        if (newline === -1) {
          partial += text;
          continue;
        }
        push(lines, partial + text.slice(0, newline));
        let start = newline + 1;
        while ((newline = text.indexOf("\n", start)) !== -1) {
          push(lines, text.slice(start, newline));
          start = newline + 1;
        }
        partial = text.slice(start);
      }
      return lines;
    },
    flush() {
      const rest = partial + decoder.decode();
      partial = "";
      if (rest.length === 0) return [];
      const lines: string[] = [];
      push(lines, rest);
      return lines;
    },
  };
}
