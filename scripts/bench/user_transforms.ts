/**
 * The five stages written the way a user would write them without the library: one
 * `TransformStream` per stage, one record per chunk. Shared by `pipeline-user-transforms`
 * and `whatwg-naive`.
 *
 * @module
 */

import {
  bucket,
  type BucketedRecord,
  type InputRecord,
  keep,
  output,
  type OutputRecord,
  parse,
  type ParsedRecord,
  score,
  type ScoredRecord,
} from "./workload.ts";

/** The five stages, in order. */
export interface UserStages {
  parse: TransformStream<InputRecord, ParsedRecord>;
  keep: TransformStream<ParsedRecord, ParsedRecord>;
  score: TransformStream<ParsedRecord, ScoredRecord>;
  bucket: TransformStream<ScoredRecord, BucketedRecord>;
  output: TransformStream<BucketedRecord, OutputRecord>;
}

function mapStage<A, B>(
  fn: (record: A, index: number) => B,
): TransformStream<A, B> {
  let index = 0;
  return new TransformStream<A, B>({
    transform(record, controller) {
      controller.enqueue(fn(record, index++));
    },
  });
}

function filterStage<A>(
  predicate: (record: A, index: number) => boolean,
): TransformStream<A, A> {
  let index = 0;
  return new TransformStream<A, A>({
    transform(record, controller) {
      if (predicate(record, index++)) controller.enqueue(record);
    },
  });
}

/**
 * Makes fresh stages (a `TransformStream` can be used once).
 *
 * @returns The five stages.
 */
export function userStages(): UserStages {
  return {
    parse: mapStage(parse),
    keep: filterStage(keep),
    score: mapStage(score),
    bucket: mapStage(bucket),
    output: mapStage(output),
  };
}
