// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/** How the kit tells records apart, groups and compares them. */
export interface RecordShape<T> {
  /** A record's identity: equal keys mean the same record. */
  key(record: T): string;
  /** Records of one partition keep their order; across partitions, any order. */
  partition(record: T): string;
  /** Whether a record read back is the record written. */
  same(read: T, written: T): boolean;
}

/** The parts of a harness that describe records; all optional. */
export interface RecordShapeInit<T> {
  key?(record: T): string;
  partition?(record: T): string;
  same?(read: T, written: T): boolean;
}

/**
 * JSON with object keys sorted, so equal values give equal text whatever
 * order their keys were set in. A value JSON cannot hold (a bigint, a
 * cycle) is described instead of throwing.
 */
export function canonicalJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, inner: unknown) => {
      if (inner === null || typeof inner !== "object" || Array.isArray(inner)) {
        return inner;
      }
      const sorted: Record<string, unknown> = {};
      for (const name of Object.keys(inner).sort()) {
        sorted[name] = (inner as Record<string, unknown>)[name];
      }
      return sorted;
    }) ?? String(value);
  } catch {
    return `<${typeof value} that is not JSON>`;
  }
}

/** The shape a harness describes, with the defaults filled in. */
export function shapeOf<T>(init: RecordShapeInit<T>): RecordShape<T> {
  return {
    key: init.key ? (record) => String(init.key!(record)) : canonicalJson,
    partition: init.partition
      ? (record) => String(init.partition!(record))
      : () => "",
    same: init.same
      ? (read, written) => init.same!(read, written)
      : (read, written) => canonicalJson(read) === canonicalJson(written),
  };
}

/** A key short enough for a message. */
export function show(key: string | undefined): string {
  if (key === undefined) return "(none)";
  return key.length > 60 ? `${key.slice(0, 57)}...` : key;
}
