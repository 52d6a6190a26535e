/**
 * The channel benchmark's workload and sink work, shared by every writer,
 * reader and baseline so that they differ only in how records travel.
 *
 * A record is `{ id, value }`: `id` counts from 0, `value` is a 16-character
 * string. Every reader does the same work per record: count it and add its
 * `id` to a sum; the totals are checked against {@linkcode expected}.
 *
 * @module
 */

/** One benchmark record. */
export interface BenchRecord {
  id: number;
  value: string;
}

/** What a reader counted, and what it should have. */
export interface Checksum {
  count: number;
  sum: number;
}

/** Records per batch, message and frame in every implementation. */
export const BATCH_RECORDS = 1024;

/** Builds the `n` records a writer sends, before its clock starts. */
export function makeRecords(n: number): BenchRecord[] {
  const records = new Array<BenchRecord>(n);
  for (let id = 0; id < n; id++) {
    records[id] = { id, value: `v${id.toString(16).padStart(15, "0")}` };
  }
  return records;
}

/** The count and sum a reader of `n` records must arrive at. */
export function expected(n: number): Checksum {
  return { count: n, sum: (n * (n - 1)) / 2 };
}

/** The sink work: counts records and sums their ids. */
export class Tally implements Checksum {
  count = 0;
  sum = 0;

  /** Takes one batch of records. */
  add(records: readonly BenchRecord[]): void {
    let sum = 0;
    for (let i = 0; i < records.length; i++) sum += records[i]!.id;
    this.count += records.length;
    this.sum += sum;
  }

  /** Takes one record. */
  addOne(record: BenchRecord): void {
    this.count++;
    this.sum += record.id;
  }

  /** Throws unless the totals are those of `n` records. */
  verify(n: number, what: string): void {
    const want = expected(n);
    if (this.count !== want.count || this.sum !== want.sum) {
      throw new Error(
        `Cannot trust ${what}: count ${this.count}, sum ${this.sum}; expected count ${want.count}, sum ${want.sum}`,
      );
    }
  }
}
