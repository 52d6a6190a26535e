// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { TestFunction } from "./test_function.ts";

/**
 * Options for {@linkcode sourceConformance} and {@linkcode sinkConformance}.
 *
 * @example Register the cases with node:test, 200 records each
 * ```ts
 * import type { ConformanceOptions } from "@ca/streams/testing";
 *
 * const cases: string[] = [];
 * const options: ConformanceOptions = {
 *   test: (name) => void cases.push(name), // or node:test's `test`, or Deno.test
 *   records: 200,
 *   timeoutMs: 5000,
 * };
 * if (options.records !== 200) throw new Error("unexpected");
 * ```
 */
export interface ConformanceOptions {
  /**
   * Registers each case as a test: `Deno.test`, `node:test`'s `test`, or
   * anything called as `test(name, fn)`.
   */
  test: TestFunction;
  /**
   * Records per case (default 100, at least 4). The kit writes them in ten
   * writes (fewer when there are fewer than ten records), so a connector
   * that batches per write gets several batches.
   */
  records?: number;
  /**
   * How long any one step of a case may take before the case fails as
   * hanging, in ms (default 10000): records arriving, a pipeline settling
   * after `stop()` or `abort()`, `leaks()` becoming empty.
   */
  timeoutMs?: number;
}
