/**
 * (f) `node-stream`: Node's `stream.pipeline` in object mode, one record per chunk. Node only.
 *
 * @module
 */

import {
  Readable,
  Transform,
  type TransformCallback,
  Writable,
} from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Checksum } from "../types.ts";
import {
  bucket,
  type InputRecord,
  keep,
  output,
  type OutputRecord,
  parse,
  score,
} from "../workload.ts";

function mapStage<A, B>(fn: (record: A, index: number) => B): Transform {
  let index = 0;
  return new Transform({
    objectMode: true,
    transform(
      record: A,
      _encoding: BufferEncoding,
      callback: TransformCallback,
    ) {
      callback(null, fn(record, index++));
    },
  });
}

function filterStage<A>(
  predicate: (record: A, index: number) => boolean,
): Transform {
  let index = 0;
  return new Transform({
    objectMode: true,
    transform(
      record: A,
      _encoding: BufferEncoding,
      callback: TransformCallback,
    ) {
      if (predicate(record, index++)) callback(null, record);
      else callback();
    },
  });
}

/**
 * Runs the workload.
 *
 * @param records The input.
 * @returns Count and sum of `x`.
 */
export async function run(records: readonly InputRecord[]): Promise<Checksum> {
  let count = 0;
  let sum = 0;
  await pipeline(
    Readable.from(records),
    mapStage(parse),
    filterStage(keep),
    mapStage(score),
    mapStage(bucket),
    mapStage(output),
    new Writable({
      objectMode: true,
      write(
        r: OutputRecord,
        _encoding: BufferEncoding,
        callback: (error?: Error | null) => void,
      ) {
        count++;
        sum += r.x;
        callback();
      },
    }),
  );
  return { count, sum };
}
