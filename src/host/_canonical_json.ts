// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/** A copy of a JSON value whose objects have their keys sorted, at every depth. */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== "object") return value;
  // As JSON.stringify sees it: a Date (or anything with toJSON) as its JSON.
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === "function") return sorted(json.call(value));
  // No prototype: a "__proto__" key stays a key.
  const copy: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value).sort()) {
    copy[key] = sorted((value as Record<string, unknown>)[key]);
  }
  return copy;
}

/**
 * A JSON value as text whose object keys are sorted at every depth: two
 * values with the same content give the same text whatever the order of
 * their keys (PostgreSQL's `jsonb`, for one, gives keys back in its own
 * order). Arrays keep their order.
 *
 * @param value A JSON value (a config as stored).
 * @returns The canonical text.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sorted(value)) ?? "undefined";
}
