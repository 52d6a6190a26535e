// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { SourceFixture } from "./source_fixture.ts";

/**
 * Describes a source for {@linkcode sourceConformance}: how to make the
 * system behind it for one case, what its records look like, and how it
 * acknowledges.
 *
 * @typeParam T The record type.
 *
 * @example A harness for a source over an in-memory log
 * ```ts
 * import { resumableSource } from "@ca/streams";
 * import type { SourceHarness } from "@ca/streams/testing";
 *
 * type Row = { id: number; text: string };
 * const harness: SourceHarness<Row> = {
 *   name: "memory log",
 *   record: (index) => ({ id: index, text: `row ${index}` }),
 *   key: (row) => String(row.id),
 *   open() {
 *     const log: Row[] = [];
 *     return {
 *       source: () =>
 *         resumableSource<Row>({
 *           async *open(after) {
 *             const start = after === undefined ? 0 : Number(after) + 1;
 *             for (let i = start; i < log.length; i++) {
 *               yield { records: [log[i]!], position: i };
 *             }
 *           },
 *         }),
 *       write: (rows) => void log.push(...rows),
 *       close() {},
 *     };
 *   },
 * };
 * const fixture = await harness.open();
 * await fixture.write([harness.record(0), harness.record(1)]);
 * const rows = await Array.fromAsync(await fixture.source());
 * if (rows.map(harness.key!).join() !== "0,1") throw new Error("unexpected");
 * ```
 */
export interface SourceHarness<T> {
  /** Names the connector in test names and failures (`"fileSource"`). */
  name: string;
  /**
   * Makes the record numbered `index` (0, 1, 2, ...), as the kit writes it
   * into the system: records with different numbers must differ.
   */
  record(index: number): T;
  /**
   * A record's identity, the same for the record written and the record
   * read back (default: its JSON with sorted keys). Give one when the
   * source adds to what was written, such as an id or a timestamp.
   */
  key?(record: T): string;
  /**
   * The partition a record belongs to, for a system that only keeps order
   * within a partition (Kafka partitions, Redis stream keys): order is then
   * checked per partition. Default: one partition.
   */
  partition?(record: T): string;
  /**
   * Whether a record read is the one written (default: equal JSON with
   * sorted keys).
   */
  same?(read: T, written: T): boolean;
  /**
   * Where the source's progress lives:
   *
   * - `"checkpoint"` (default): in the pipeline's checkpoint only. The
   *   system keeps its records and the source reopens after any position
   *   it gave (a file, a log with retention), so the reset cases run too:
   *   deleting the checkpoint starts over, `reset: "start"` starts over,
   *   `reset: { position }` resumes right after that position.
   * - `"server"`: the source acknowledges to the system behind it (its
   *   `ack(position)`), which then forgets those records and sends again
   *   what was not acknowledged (a broker queue, a channel writer, an HTTP
   *   sender retrying). Acknowledged records cannot be read again, so the
   *   reset cases are not registered.
   */
  acknowledges?: "checkpoint" | "server";
  /**
   * Sets up a fresh system for one case (a temporary file, a listener and
   * a writer, a stream key) and returns it. Make the source deliver small
   * batches (ten records or so): the cases stop between batches.
   */
  open(): SourceFixture<T> | Promise<SourceFixture<T>>;
}
