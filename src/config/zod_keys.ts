// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

type Def = Record<string, unknown> & { type?: string };

const WRAPPERS = [
  "optional",
  "nullable",
  "default",
  "prefault",
  "nonoptional",
  "readonly",
  "catch",
  "success",
];

function defOf(schema: unknown): Def | undefined {
  if (schema === null || typeof schema !== "object") return undefined;
  const zod = (schema as { _zod?: { def?: Def } })._zod;
  return zod?.def;
}

/** The schemas a wrapped, piped or lazy zod schema stands for. */
function unwrap(schema: unknown, depth = 0): unknown[] {
  const def = defOf(schema);
  if (def === undefined || depth > 20) return [];
  if (WRAPPERS.includes(def.type ?? "")) {
    return unwrap(def.innerType, depth + 1);
  }
  if (def.type === "pipe") return unwrap(def.in, depth + 1);
  if (def.type === "lazy" && typeof def.getter === "function") {
    return unwrap((def.getter as () => unknown)(), depth + 1);
  }
  if (def.type === "union" && Array.isArray(def.options)) {
    return def.options.flatMap((option) => unwrap(option, depth + 1));
  }
  return [schema];
}

/**
 * The keys a zod object schema allows at a path inside `schema`, or
 * `undefined` when `schema` is not zod or has no object there.
 */
export function zodKeysAt(
  schema: unknown,
  path: readonly PropertyKey[],
): string[] | undefined {
  let current = unwrap(schema);
  for (const key of path) {
    const next: unknown[] = [];
    for (const candidate of current) {
      const def = defOf(candidate)!;
      if (def.type === "object") {
        const shape = def.shape as Record<string, unknown>;
        if (typeof key === "string" && Object.hasOwn(shape, key)) {
          next.push(...unwrap(shape[key]));
        }
      } else if (def.type === "array") next.push(...unwrap(def.element));
      else if (def.type === "record") next.push(...unwrap(def.valueType));
      else if (def.type === "tuple" && Array.isArray(def.items)) {
        next.push(...unwrap(def.items[Number(key)]));
      }
    }
    current = next;
  }
  const keys = new Set<string>();
  for (const candidate of current) {
    const def = defOf(candidate)!;
    if (def.type === "object") {
      for (const key of Object.keys(def.shape as object)) keys.add(key);
    }
  }
  return keys.size > 0 ? [...keys] : undefined;
}
