// Copyright 2026 the @ca/streams authors. MIT license.
// The source kit passes a correct source and fails broken ones: each broken
// source must fail the case that is about its flaw, with a ConformanceError.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { resumableSource } from "../sources/resumable_source.ts";
import type { ResumableSource } from "../sources/resumable_source.ts";
import { assertAllPass, assertFails, runSuite } from "./_test_helpers.ts";
import { sourceConformance } from "./source_conformance.ts";
import type { SourceHarness } from "./source_harness.ts";
import type { TestFunction } from "./test_function.ts";

interface Row {
  id: number;
  part?: string;
}

interface LogOptions {
  /** Positions claim more than the batch holds: the rest of the log. */
  aheadPositions?: boolean;
  /** Swap the records at these two indices when reading. */
  swap?: [number, number];
  /** Start a poll timer per open and never stop it. */
  leakTimer?: boolean;
}

/** A log in memory, read in batches of 3 by position (an index). */
function logHarness(
  name: string,
  options: LogOptions = {},
): SourceHarness<Row> {
  return {
    name,
    record: (id) => ({ id }),
    open() {
      const log: Row[] = [];
      const timers = new Set<ReturnType<typeof setInterval>>();
      const source = (): ResumableSource<Row> =>
        resumableSource<Row>({
          async *open(after) {
            if (options.leakTimer) timers.add(setInterval(() => {}, 1000));
            const view = [...log];
            if (options.swap) {
              const [a, b] = options.swap;
              [view[a], view[b]] = [view[b]!, view[a]!];
            }
            const start = after === undefined ? 0 : Number(after) + 1;
            for (let i = start; i < view.length; i += 3) {
              const records = view.slice(i, i + 3);
              const position = options.aheadPositions
                ? view.length - 1
                : i + records.length - 1;
              yield { records, position };
            }
          },
        });
      return {
        source,
        write: (rows) => void log.push(...rows),
        leaks: () => timers.size > 0 ? [`${timers.size} poll timer(s)`] : [],
        close() {
          for (const timer of timers) clearInterval(timer);
        },
      };
    },
  };
}

/**
 * A queue that forgets what a reader took: the source acknowledges on
 * read, before the sink stored anything. Reading waits for records until
 * aborted.
 */
function ackOnReadHarness(): SourceHarness<Row> {
  return {
    name: "ack-on-read queue",
    record: (id) => ({ id }),
    acknowledges: "server",
    open() {
      const queue: Row[] = [];
      let wake: (() => void) | undefined;
      return {
        source: () =>
          resumableSource<Row>({
            async *open(_after, { signal }) {
              let seq = 0;
              const stop = () => wake?.();
              signal.addEventListener("abort", stop);
              try {
                for (;;) {
                  while (queue.length === 0) {
                    if (signal.aborted) return;
                    await new Promise<void>((resolve) => wake = resolve);
                  }
                  // Taken off the queue now: acknowledged on read.
                  const records = queue.splice(0, 3);
                  yield { records, position: seq++ };
                }
              } finally {
                signal.removeEventListener("abort", stop);
              }
            },
          }),
        write(rows) {
          queue.push(...rows);
          wake?.();
        },
        close() {},
      };
    },
  };
}

describe("sourceConformance()", () => {
  test("a correct source passes every case, the reset cases included", async () => {
    const results = await runSuite(sourceConformance, logHarness("log"));
    assertAllPass(results, 11);
  });

  test("a source that acknowledges on read fails: a rerun lacks what was read but not stored", async () => {
    const results = await runSuite(sourceConformance, ackOnReadHarness());
    assert.equal(results.size, 8, "no reset cases for a server source");
    assertFails(
      results,
      "acknowledges only what the sink stored (abort between read and store, rerun)",
      /rerun to deliver the \d+ records the first run read but did not store/,
    );
  });

  test("a source whose positions run ahead of its records fails: records are lost after an abort", async () => {
    const results = await runSuite(
      sourceConformance,
      logHarness("ahead", { aheadPositions: true }),
    );
    assertFails(
      results,
      "acknowledges only what the sink stored (abort between read and store, rerun)",
      /were lost|delivered none/,
    );
  });

  test("a source that reorders fails: order kept", async () => {
    const results = await runSuite(
      sourceConformance,
      logHarness("swap", { swap: [4, 5] }),
    );
    assertFails(
      results,
      "delivers every record once, in order",
      /record \{"id":5\} came at index 4, before record \{"id":4\} \(out of order\)/,
    );
  });

  test("a source that keeps a timer after it is released fails the release cases", async () => {
    const results = await runSuite(
      sourceConformance,
      logHarness("timer", { leakTimer: true }),
    );
    for (
      const testCase of [
        "stop() mid-stream settles promptly and releases everything",
        "abort() mid-stream settles promptly and releases everything",
        "breaking out of iterating the source releases everything",
      ]
    ) {
      assertFails(results, testCase, /still holds 1 poll timer/);
    }
  });

  test("order is checked per partition", async () => {
    // Two partitions: "a" for even ids, "b" for odd. Reading all of "b"
    // first keeps each partition's order: that passes. Swapping two
    // records of one partition does not.
    const partitioned = (swapInPartition: boolean): SourceHarness<Row> => ({
      name: swapInPartition ? "partitions, swapped" : "partitions",
      record: (id) => ({ id, part: id % 2 === 0 ? "a" : "b" }),
      partition: (row) => row.part!,
      open() {
        const log: Row[] = [];
        return {
          source: () =>
            resumableSource<Row>({
              async *open(after) {
                const view = [
                  ...log.filter((row) => row.part === "b"),
                  ...log.filter((row) => row.part === "a"),
                ];
                if (swapInPartition) [view[0], view[1]] = [view[1]!, view[0]!];
                const start = after === undefined ? 0 : Number(after) + 1;
                for (let i = start; i < view.length; i++) {
                  yield { records: [view[i]!], position: i };
                }
              },
            }),
          write: (rows) => void log.push(...rows),
          close() {},
        };
      },
    });
    const results = await runSuite(sourceConformance, partitioned(false));
    assert.equal(
      results.get("delivers every record once, in order"),
      undefined,
    );
    const swapped = await runSuite(sourceConformance, partitioned(true));
    assertFails(
      swapped,
      "delivers every record once, in order",
      /\(out of order\) in partition b$/,
    );
  });

  test("a bad harness is refused when the suite is registered", () => {
    const t: TestFunction = () => {};
    assert.throws(
      () => sourceConformance({ name: "" } as SourceHarness<Row>, { test: t }),
      /harness\.name must be a non-empty string/,
    );
    assert.throws(
      () =>
        sourceConformance(logHarness("x"), {
          test: undefined as unknown as TestFunction,
        }),
      /options\.test must be a function/,
    );
    assert.throws(
      () => sourceConformance(logHarness("x"), { test: t, records: 2 }),
      RangeError,
    );
  });
});
