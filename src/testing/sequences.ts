// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { RecordShape } from "./record_shape.ts";
import { show } from "./record_shape.ts";

/** Keys of `records` by partition, in order. */
function byPartition<T>(
  records: readonly T[],
  shape: RecordShape<T>,
): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const record of records) {
    const partition = shape.partition(record);
    let keys = groups.get(partition);
    if (!keys) groups.set(partition, keys = []);
    keys.push(shape.key(record));
  }
  return groups;
}

function where(partition: string): string {
  return partition === "" ? "" : ` in partition ${show(partition)}`;
}

/**
 * Describes the first difference between two key sequences, or returns
 * undefined when they are equal.
 */
function difference(got: string[], want: string[]): string | undefined {
  const length = Math.min(got.length, want.length);
  for (let i = 0; i < length; i++) {
    if (got[i] === want[i]) continue;
    const key = got[i]!;
    if (got.indexOf(key) < i) {
      return `record ${show(key)} came again at index ${i} (a duplicate)`;
    }
    if (!want.includes(key)) {
      return `record ${show(key)} at index ${i} was never written`;
    }
    if (got.includes(want[i]!)) {
      return `record ${show(key)} came at index ${i}, before record ${
        show(want[i])
      } (out of order)`;
    }
    return `record ${show(want[i])} is missing (record ${
      show(key)
    } came in its place at index ${i})`;
  }
  if (got.length < want.length) {
    return `${want.length - got.length} record(s) are missing, from ${
      show(want[got.length])
    } on`;
  }
  if (got.length > want.length) {
    const key = got[want.length]!;
    return want.includes(key)
      ? `record ${show(key)} came again after the last one (a duplicate)`
      : `record ${show(key)} came after the last one and was never written`;
  }
  return undefined;
}

/** Checks, per partition, that each record read is the one written. */
function contents<T>(
  got: readonly T[],
  written: readonly T[],
  shape: RecordShape<T>,
): string | undefined {
  const byKey = new Map<string, T>();
  for (const record of written) byKey.set(shape.key(record), record);
  for (const record of got) {
    const key = shape.key(record);
    const original = byKey.get(key);
    if (original !== undefined && !shape.same(record, original)) {
      return `record ${show(key)} came back different from how it was written`;
    }
  }
  return undefined;
}

/**
 * `got` holds exactly the records of `want`, each once, in order within
 * each partition, and each the same as written.
 */
export function checkExact<T>(
  got: readonly T[],
  want: readonly T[],
  shape: RecordShape<T>,
): string | undefined {
  const gotGroups = byPartition(got, shape);
  const wantGroups = byPartition(want, shape);
  for (const [partition, keys] of wantGroups) {
    const problem = difference(gotGroups.get(partition) ?? [], keys);
    if (problem) return problem + where(partition);
  }
  for (const [partition, keys] of gotGroups) {
    if (!wantGroups.has(partition)) {
      return `record ${show(keys[0])} came in partition ${
        show(partition)
      }, which no record was written to`;
    }
  }
  return contents(got, want, shape);
}

/** `got` is, per partition, a prefix of `want`: in order, nothing skipped. */
export function checkPrefix<T>(
  got: readonly T[],
  want: readonly T[],
  shape: RecordShape<T>,
): string | undefined {
  const wantGroups = byPartition(want, shape);
  for (const [partition, keys] of byPartition(got, shape)) {
    const all = wantGroups.get(partition) ?? [];
    const problem = difference(keys, all.slice(0, keys.length));
    if (problem) return problem + where(partition);
  }
  return contents(got, want, shape);
}

/**
 * A rerun after a first run that got `before` (a prefix of `want` per
 * partition): per partition, the rerun holds `want` from some record on,
 * every record after it once and in order, and starts no later than the
 * first record `before` lacks. Records of `before` may come again (at
 * least once); none may be skipped.
 */
export function checkResumed<T>(
  got: readonly T[],
  before: readonly T[],
  want: readonly T[],
  shape: RecordShape<T>,
): string | undefined {
  const gotGroups = byPartition(got, shape);
  const beforeGroups = byPartition(before, shape);
  for (const [partition, all] of byPartition(want, shape)) {
    const done = beforeGroups.get(partition)?.length ?? 0;
    const keys = gotGroups.get(partition) ?? [];
    if (keys.length === 0) {
      if (done < all.length) {
        return `the rerun delivered none of the ${
          all.length - done
        } record(s) the first run did not store, from ${show(all[done])} on${
          where(partition)
        }`;
      }
      continue;
    }
    const start = all.indexOf(keys[0]!);
    if (start === -1) {
      return `the rerun started with record ${
        show(keys[0])
      }, which was never written${where(partition)}`;
    }
    if (start > done) {
      const late = keys.indexOf(all[done]!);
      if (late !== -1) {
        return `the rerun delivered record ${
          show(all[done])
        } (read by the first run, not stored) only after ${late} newer record(s), from ${
          show(keys[0])
        } on: what a run did not store must come first${where(partition)}`;
      }
      return `the rerun started at record ${show(keys[0])}, so record(s) ${
        show(all[done])
      } to ${
        show(all[start - 1])
      } were lost: read by the first run, not stored, and not delivered again (acknowledged before the sink stored them?)${
        where(partition)
      }`;
    }
    const problem = difference(keys, all.slice(start));
    if (problem) return `in the rerun, ${problem}${where(partition)}`;
  }
  return contents(got, want, shape);
}

/**
 * What a sink holds after a run that was aborted and a rerun that resumed
 * from the checkpoint: per partition, `want[0..a)` then `want[b..n)` with
 * `b <= a`: the rerun may write some records again, none may be lost.
 */
export function checkReplay<T>(
  got: readonly T[],
  want: readonly T[],
  shape: RecordShape<T>,
): string | undefined {
  const gotGroups = byPartition(got, shape);
  const wantGroups = byPartition(want, shape);
  for (const [partition, all] of wantGroups) {
    const keys = gotGroups.get(partition) ?? [];
    let a = 0;
    while (a < keys.length && a < all.length && keys[a] === all[a]) a++;
    if (a === keys.length) {
      const problem = difference(keys, all);
      if (problem) return problem + where(partition);
      continue;
    }
    const b = all.indexOf(keys[a]!);
    if (b === -1 || b > a) {
      const problem = difference(keys, all);
      return (problem ?? "records are missing") + where(partition);
    }
    const problem = difference(keys.slice(a), all.slice(b));
    if (problem) {
      return `after the rerun resumed at record ${show(all[b])}, ${problem}${
        where(partition)
      }`;
    }
  }
  for (const [partition, keys] of gotGroups) {
    if (!wantGroups.has(partition)) {
      return `record ${show(keys[0])} was stored in partition ${
        show(partition)
      }, which no record was written to`;
    }
  }
  return contents(got, want, shape);
}
