// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * A conformance kit for connector authors, after Conduit's acceptance
 * tests: {@linkcode sourceConformance} and {@linkcode sinkConformance}
 * register one test per case with the test runner you pass (`Deno.test`,
 * `node:test`'s `test`), against a harness that says how to make your
 * connector and the system behind it. The library's own connectors pass
 * the same suites.
 *
 * ```ts
 * import { batchSink } from "@ca/streams";
 * import { sinkConformance } from "@ca/streams/testing";
 *
 * // In a test file, pass node:test's `test` or Deno.test as `test`.
 * const cases: Array<() => Promise<void>> = [];
 * sinkConformance<number>({
 *   name: "memory table",
 *   record: (index) => index,
 *   open() {
 *     const table: number[] = [];
 *     return {
 *       sink: () => batchSink<number>({ write: (rows) => void table.push(...rows) }),
 *       read: () => table,
 *       close() {},
 *     };
 *   },
 * }, { test: (_name, fn) => void cases.push(fn), records: 20 });
 * for (const run of cases) await run();
 * ```
 *
 * @module
 */

export * from "./source_conformance.ts";
export * from "./sink_conformance.ts";
export * from "./source_harness.ts";
export * from "./source_fixture.ts";
export * from "./sink_harness.ts";
export * from "./sink_fixture.ts";
export * from "./conformance_options.ts";
export * from "./test_function.ts";
export * from "./conformance_error.ts";
export * from "./definition_store_conformance.ts";
export * from "./definition_store_harness.ts";
export * from "./definition_store_fixture.ts";
