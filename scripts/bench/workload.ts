/**
 * The "map-filter-5" workload: the input records and the five user functions that every
 * implementation applies, defined once so that each implementation does the same work.
 *
 * Plain erasable TypeScript: Node 24 runs it with its built-in type stripping.
 *
 * @module
 */

/** A record as it sits in the input array. */
export interface InputRecord {
  id: number;
  /** 16 characters. */
  value: string;
}

/** After {@linkcode parse}. */
export interface ParsedRecord {
  id: number;
  value: string;
  weight: number;
}

/** After {@linkcode score}. */
export interface ScoredRecord {
  id: number;
  key: number;
  score: number;
}

/** After {@linkcode bucket}. */
export interface BucketedRecord {
  id: number;
  bucket: number;
  score: number;
}

/** What reaches the sink: the sink sums `x`. */
export interface OutputRecord {
  id: number;
  x: number;
}

/** Name of the workload, as printed and as the `workload` field of `--json` lines. */
export const WORKLOAD = "map-filter-5";

const ALPHABET =
  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/**
 * Makes `count` records with ids 0..count-1 and pseudo-random 16-character values. The same
 * count always gives the same records, so every process can compute the same checksum.
 *
 * @param count Number of records.
 * @returns The records, in id order.
 */
export function makeRecords(count: number): InputRecord[] {
  const records: InputRecord[] = new Array(count);
  const codes: number[] = new Array(16);
  let state = 0x2545f491;
  for (let id = 0; id < count; id++) {
    for (let c = 0; c < 16; c++) {
      // xorshift32
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      codes[c] = ALPHABET.charCodeAt((state >>> 0) % ALPHABET.length);
    }
    // One flat string per record (concatenation would leave ropes that the timed run flattens).
    records[id] = { id, value: String.fromCharCode(...codes) };
  }
  return records;
}

/**
 * f1 (map): derives a weight from one character of the value.
 *
 * @param r An input record.
 * @returns A new record with `weight`.
 */
export function parse(r: InputRecord, _index: number): ParsedRecord {
  return { id: r.id, value: r.value, weight: r.value.charCodeAt(r.id & 15) };
}

/**
 * f2 (filter): keeps records with an even id, that is exactly half of them.
 *
 * @param r A parsed record.
 * @returns Whether to keep it.
 */
export function keep(r: ParsedRecord, _index: number): boolean {
  return (r.id & 1) === 0;
}

/**
 * f3 (map): computes a key and a score.
 *
 * @param r A kept record.
 * @returns A new record with `key` and `score`.
 */
export function score(r: ParsedRecord, _index: number): ScoredRecord {
  return {
    id: r.id,
    key: r.value.charCodeAt(0) + r.value.charCodeAt(15),
    score: r.weight * 3 + (r.id % 7),
  };
}

/**
 * f4 (map): buckets the key.
 *
 * @param r A scored record.
 * @returns A new record with `bucket`.
 */
export function bucket(r: ScoredRecord, _index: number): BucketedRecord {
  return { id: r.id, bucket: r.key & 63, score: r.score };
}

/**
 * f5 (map): the output record.
 *
 * @param r A bucketed record.
 * @returns A new record whose `x` the sink sums.
 */
export function output(r: BucketedRecord, _index: number): OutputRecord {
  return { id: r.id, x: r.score + r.bucket };
}
