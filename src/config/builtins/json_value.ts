// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/** A JSON value, as YAML and JSON configs hold them. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/** Whether two JSON values are equal, deeply (object key order aside). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (
    a === null || b === null || typeof a !== "object" || typeof b !== "object"
  ) {
    return false;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length &&
      a.every((item, index) => jsonEqual(item, b[index]));
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) =>
    Object.hasOwn(b, key) &&
    jsonEqual(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
    )
  );
}

/** A fresh copy of a JSON value; primitives as they are. */
export function copyJson<T>(value: T): T {
  return value !== null && typeof value === "object"
    ? structuredClone(value)
    : value;
}

/** Throws a `TypeError` unless a record is a plain object. */
export function assertObjectRecord(
  processor: string,
  record: unknown,
): asserts record is Record<string, unknown> {
  if (record === null || typeof record !== "object" || Array.isArray(record)) {
    throw new TypeError(
      `Cannot apply ${processor}: expected a record that is an object, got ${
        record === null
          ? "null"
          : Array.isArray(record)
          ? "an array"
          : typeof record
      }`,
    );
  }
}
