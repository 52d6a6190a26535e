/**
 * The connector benchmark's workload and sink work, shared by every row and
 * both of its implementations, so that they differ only in how records
 * travel.
 *
 * A record is `{ id, value }`: `id` counts from 0, `value` is a 16-character
 * string; on the wire it is its JSON text (about 40 bytes). Every reader does
 * the same work per record: count it and add its `id` to a sum, checked
 * against {@linkcode expected} after the run.
 *
 * @module
 */

/** One benchmark record. */
export interface BenchRecord {
  id: number;
  value: string;
}

/** What a reader counted. */
export interface Checksum {
  count: number;
  sum: number;
}

/** The id of a marker record: it says "subscribed" and is not counted. */
export const MARKER_ID = -1;

/** Builds record `id`. */
export function makeRecord(id: number): BenchRecord {
  return { id, value: `v${id.toString(16).padStart(15, "0")}` };
}

/** Builds records `from` .. `from + n - 1`, before any clock starts. */
export function makeRecords(n: number, from = 0): BenchRecord[] {
  const records = new Array<BenchRecord>(n);
  for (let i = 0; i < n; i++) records[i] = makeRecord(from + i);
  return records;
}

/** The JSON payloads of records `0 .. n - 1`, as a producer sends them. */
export function makePayloads(n: number): string[] {
  const payloads = new Array<string>(n);
  for (let i = 0; i < n; i++) payloads[i] = JSON.stringify(makeRecord(i));
  return payloads;
}

/** Records `from .. to - 1` as NDJSON text (a line each, newline-ended). */
export function ndjson(
  records: readonly BenchRecord[],
  from: number,
  to: number,
): string {
  let text = "";
  for (let i = from; i < to; i++) text += JSON.stringify(records[i]) + "\n";
  return text;
}

/** The count and sum a reader of `n` records must arrive at. */
export function expected(n: number): Checksum {
  return { count: n, sum: (n * (n - 1)) / 2 };
}

/** The sink work: counts records and sums their ids. */
export class Tally implements Checksum {
  count = 0;
  sum = 0;

  /** Takes one record. */
  add(record: BenchRecord): void {
    this.count++;
    this.sum += record.id;
  }

  /** Takes the NDJSON lines of `text`, parsing each. */
  addNdjson(text: string): void {
    let start = 0;
    let end = text.indexOf("\n");
    while (end !== -1) {
      if (end > start) this.add(JSON.parse(text.slice(start, end)));
      start = end + 1;
      end = text.indexOf("\n", start);
    }
    if (start < text.length) this.add(JSON.parse(text.slice(start)));
  }
}

/** Throws unless `checksum` is that of `n` records. */
export function verify(checksum: Checksum, n: number, what: string): void {
  const want = expected(n);
  if (checksum.count !== want.count || checksum.sum !== want.sum) {
    throw new Error(
      `Cannot trust ${what}: count ${checksum.count}, sum ${checksum.sum}; expected count ${want.count}, sum ${want.sum}`,
    );
  }
}
