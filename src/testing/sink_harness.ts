// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { SinkFixture } from "./sink_fixture.ts";

/**
 * Describes a sink for {@linkcode sinkConformance}: how to make the system
 * behind it for one case, what its records look like, and a record it
 * must refuse.
 *
 * @typeParam T The record type.
 *
 * @example A harness for a sink into an in-memory table
 * ```ts
 * import { batchSink } from "@ca/streams";
 * import type { SinkHarness } from "@ca/streams/testing";
 *
 * type Row = { id: number; total: number };
 * const harness: SinkHarness<Row> = {
 *   name: "memory table",
 *   record: (index) => ({ id: index, total: index * 10 }),
 *   badRecord: (index) => ({ id: index, total: Number.NaN }),
 *   key: (row) => String(row.id),
 *   open() {
 *     const table: Row[] = [];
 *     return {
 *       sink: () =>
 *         batchSink<Row>({
 *           write(rows) {
 *             if (rows.some((row) => Number.isNaN(row.total))) {
 *               throw new RangeError("Cannot store a row: total is NaN");
 *             }
 *             table.push(...rows);
 *           },
 *         }),
 *       read: () => table,
 *       close() {},
 *     };
 *   },
 * };
 * if (harness.record(2).total !== 20) throw new Error("unexpected");
 * ```
 */
export interface SinkHarness<T> {
  /** Names the connector in test names and failures (`"fileSink"`). */
  name: string;
  /**
   * Makes the record numbered `index` (0, 1, 2, ...), as the kit writes it
   * to the sink: records with different numbers must differ.
   */
  record(index: number): T;
  /**
   * Makes a record numbered `index` that the sink refuses (its write
   * rejects): one that cannot be encoded, violates a constraint, is too
   * large. With it, the case "a record the sink refuses goes to the dead
   * letter" runs; without it, that case is not registered.
   */
  badRecord?(index: number): T;
  /**
   * A record's identity, the same for the record written and the record
   * read back (default: its JSON with sorted keys).
   */
  key?(record: T): string;
  /**
   * The partition a record belongs to, for a system that only keeps order
   * within a partition: order is then checked per partition. Default: one
   * partition.
   */
  partition?(record: T): string;
  /** Whether a record read back is the one written (default: equal JSON with sorted keys). */
  same?(read: T, written: T): boolean;
  /** Sets up a fresh system for one case and returns it. */
  open(): SinkFixture<T> | Promise<SinkFixture<T>>;
}
