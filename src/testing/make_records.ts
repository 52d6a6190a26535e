// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { CaseRun } from "./case_run.ts";
import type { RecordShape } from "./record_shape.ts";
import { show } from "./record_shape.ts";

/**
 * Records numbered `from` to `from + count - 1` from the harness; fails the
 * case when two of them have the same key.
 */
export function makeRecords<T>(
  run: CaseRun,
  record: (index: number) => T,
  shape: RecordShape<T>,
  count: number,
  from = 0,
): T[] {
  const records: T[] = [];
  const keys = new Set<string>();
  for (let i = from; i < from + count; i++) {
    const made = record(i);
    const key = shape.key(made);
    if (keys.has(key)) {
      run.fail(
        `harness.record(${i}) has the key ${
          show(key)
        } of an earlier record: records must differ`,
      );
    }
    keys.add(key);
    records.push(made);
  }
  return records;
}
