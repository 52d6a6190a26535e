// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { toJsonRecord } from "../cloudevents/json_record.ts";
import { processorStream } from "../pipeline/processor_stream.ts";

/**
 * Returns a processor that writes each value as one line of JSON, as UTF-8
 * bytes: ready for a file, a socket or a `Response` body. A value that has
 * no JSON text (`undefined`, a function) errors the stream with a
 * `TypeError` naming the record's index. A CloudEvent (a value with a
 * string `specversion`) whose `data` is a `Uint8Array` is written as the
 * CloudEvents JSON format says: the bytes in base64 in `data_base64`.
 *
 * Inside `pipeline()` a whole batch becomes one byte chunk, so the sink
 * counts chunks, not records.
 *
 * @returns A `TransformStream` from values to NDJSON bytes.
 *
 * @example Stream NDJSON as a response
 * ```ts
 * import { encodeNdjson } from "@ca/streams";
 *
 * const body = ReadableStream.from([{ id: 1 }, { id: 2 }])
 *   .pipeThrough(encodeNdjson());
 * const text = await new Response(body).text();
 * if (text !== '{"id":1}\n{"id":2}\n') throw new Error(`unexpected ${text}`);
 * ```
 */
export function encodeNdjson(): TransformStream<unknown, Uint8Array> {
  return processorStream<unknown, Uint8Array>({
    kind: "op",
    name: "encodeNdjson",
    create() {
      const encoder = new TextEncoder();
      let index = 0;
      return {
        apply(values) {
          if (values.length === 0) return [];
          let text = "";
          for (let i = 0; i < values.length; i++) {
            const json = JSON.stringify(toJsonRecord(values[i]));
            if (json === undefined) {
              throw new TypeError(
                `Cannot encode NDJSON record ${index}: ${typeof values[
                  i
                ]} has no JSON text`,
              );
            }
            text += json + "\n";
            index++;
          }
          return [encoder.encode(text)];
        },
      };
    },
  });
}
