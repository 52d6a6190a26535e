// Copyright 2026 the @ca/streams authors. MIT license.
// The sink kit passes a correct sink and fails broken ones: each broken
// sink must fail the case that is about its flaw, with a ConformanceError.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { batchSink } from "../sinks/batch_sink.ts";
import { assertAllPass, assertFails, runSuite } from "./_test_helpers.ts";
import { sinkConformance } from "./sink_conformance.ts";
import type { SinkHarness } from "./sink_harness.ts";

interface Row {
  id: number;
  bad?: boolean;
}

interface TableOptions {
  /** `write` resolves at once and stores a little later. */
  storeLater?: boolean;
  /** Each batch is stored back to front. */
  reverse?: boolean;
  /** The bad record is dropped silently instead of refused. */
  swallowBad?: boolean;
  /** A flush timer that `close()` and `abort()` forget to stop. */
  leakTimer?: boolean;
}

/** A table in memory behind a batch sink, correct unless told otherwise. */
function tableHarness(
  name: string,
  options: TableOptions = {},
): SinkHarness<Row> {
  return {
    name,
    record: (id) => ({ id }),
    badRecord: (id) => ({ id, bad: true }),
    open() {
      const table: Row[] = [];
      const timers = new Set<ReturnType<typeof setInterval>>();
      const pending = new Set<ReturnType<typeof setTimeout>>();
      return {
        sink() {
          if (options.leakTimer) timers.add(setInterval(() => {}, 1000));
          return batchSink<Row>({
            write(rows) {
              if (rows.some((row) => row.bad)) {
                if (!options.swallowBad) {
                  throw new TypeError("Cannot store a bad row");
                }
                rows = rows.filter((row) => !row.bad);
              }
              const ordered = options.reverse ? [...rows].reverse() : rows;
              if (!options.storeLater) {
                table.push(...ordered);
                return;
              }
              const timer = setTimeout(() => {
                pending.delete(timer);
                table.push(...ordered);
              }, 5);
              pending.add(timer);
            },
          });
        },
        read: () => table,
        leaks: () => timers.size > 0 ? [`${timers.size} flush timer(s)`] : [],
        close() {
          for (const timer of timers) clearInterval(timer);
          for (const timer of pending) clearTimeout(timer);
        },
      };
    },
  };
}

describe("sinkConformance()", () => {
  test("a correct sink passes every case", async () => {
    const results = await runSuite(sinkConformance, tableHarness("table"));
    assertAllPass(results, 7);
  });

  test("without badRecord the dead-letter case is not registered", async () => {
    const { badRecord: _, ...harness } = tableHarness("table");
    const results = await runSuite(sinkConformance, harness);
    assert.equal(results.size, 6);
    assert.ok(
      !results.has("a record the sink refuses goes to the dead letter"),
    );
  });

  test("a sink that acknowledges before it stored fails", async () => {
    const results = await runSuite(
      sinkConformance,
      tableHarness("later", { storeLater: true }),
    );
    assertFails(
      results,
      "acknowledges a record only once it is stored",
      /read\(\) lacks record .* \(acknowledged before it was stored\?\)/,
    );
  });

  test("a sink that reorders fails: order kept", async () => {
    const results = await runSuite(
      sinkConformance,
      tableHarness("reverse", { reverse: true }),
    );
    assertFails(
      results,
      "stores every record once, in order",
      /out of order/,
    );
  });

  test("a sink that swallows a record it cannot store fails the dead-letter case", async () => {
    const results = await runSuite(
      sinkConformance,
      tableHarness("swallow", { swallowBad: true }),
    );
    assertFails(
      results,
      "a record the sink refuses goes to the dead letter",
      /the dead letter got nothing/,
    );
  });

  test("a sink that keeps a timer after the run fails the release cases", async () => {
    const results = await runSuite(
      sinkConformance,
      tableHarness("timer", { leakTimer: true }),
    );
    for (
      const testCase of [
        "stores every record once, in order",
        "stop() mid-stream settles promptly, stores what was read and releases everything",
        "abort() mid-stream settles promptly and releases everything",
        "an empty run ends cleanly and releases everything",
      ]
    ) {
      assertFails(results, testCase, /still holds 1 flush timer/);
    }
  });
});
