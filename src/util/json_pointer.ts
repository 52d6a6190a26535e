// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/** Appends a key to a JSON pointer, escaping `~` and `/` (RFC 6901). */
export function childPointer(base: string, key: PropertyKey): string {
  const text = typeof key === "symbol" ? key.description ?? "" : String(key);
  return `${base}/${text.replaceAll("~", "~0").replaceAll("/", "~1")}`;
}

/** A JSON pointer made of keys: `["processors", 2, "args"]` -> `/processors/2/args`. */
export function toPointer(keys: readonly PropertyKey[], base = ""): string {
  let pointer = base;
  for (const key of keys) pointer = childPointer(pointer, key);
  return pointer;
}

/** The value at a JSON pointer, or `undefined` when there is none. */
export function valueAt(root: unknown, pointer: string): unknown {
  return pointerReader(pointer)(root);
}

/**
 * Reads the value at a JSON pointer (`undefined` when there is none), the
 * pointer parsed once: for reading it from every record.
 */
export function pointerReader(pointer: string): (root: unknown) => unknown {
  if (pointer === "") return (root) => root;
  const keys = pointer.slice(1).split("/").map((raw) =>
    raw.replaceAll("~1", "/").replaceAll("~0", "~")
  );
  return (root) => {
    let value = root;
    for (const key of keys) {
      if (value === null || typeof value !== "object") return undefined;
      if (!Object.hasOwn(value, key)) return undefined;
      value = (value as Record<string, unknown>)[key];
    }
    return value;
  };
}

/** Whether `pointer` is `ancestor` or below it. */
export function isWithin(pointer: string, ancestor: string): boolean {
  return pointer === ancestor || pointer.startsWith(`${ancestor}/`);
}
