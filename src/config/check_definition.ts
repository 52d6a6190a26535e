// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ProcessorDefinition } from "./define_processor.ts";

/** A definition's name: kebab-case, optionally scoped (`acme/thing`). */
export const DEFINITION_NAME: RegExp =
  /^(?:[a-z0-9][a-z0-9-]*\/)?[a-z][a-z0-9-]*$/;

/** The kinds a definition may have. */
export const PROCESSOR_KINDS: readonly string[] = [
  "source",
  "processor",
  "sink",
];

/** `typeof`, with `null` and arrays told apart. */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * Whether a value is meant as a definition: an object with a `create`
 * function and an `args` object. {@linkcode checkDefinition} then checks
 * the rest.
 */
export function looksLikeDefinition(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.create === "function" &&
    candidate.args !== null && typeof candidate.args === "object";
}

/**
 * Throws a `TypeError` naming the field when `value` is not a processor
 * definition.
 *
 * @param value The candidate.
 * @param doing What the caller does, such as `"define processor"`.
 */
export function checkDefinition(
  value: unknown,
  doing: string,
): asserts value is ProcessorDefinition {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(
      `Cannot ${doing}: the definition must be an object, got ${
        typeName(value)
      }`,
    );
  }
  const definition = value as Record<string, unknown>;
  const { name } = definition;
  if (typeof name !== "string" || !DEFINITION_NAME.test(name)) {
    throw new TypeError(
      `Cannot ${doing}: name must be kebab-case, optionally scoped ("generate", "acme/fetch-page"), got ${
        typeof name === "string" ? JSON.stringify(name) : typeName(name)
      }`,
    );
  }
  if (name.length > 100) {
    throw new TypeError(
      `Cannot ${doing} "${
        name.slice(0, 20)
      }...": name must be at most 100 characters, got ${name.length}`,
    );
  }
  const fail = (reason: string): never => {
    throw new TypeError(`Cannot ${doing} "${name}": ${reason}`);
  };
  if (!PROCESSOR_KINDS.includes(definition.kind as string)) {
    fail(
      `kind must be "source", "processor" or "sink", got ${
        typeof definition.kind === "string"
          ? JSON.stringify(definition.kind)
          : typeName(definition.kind)
      }`,
    );
  }
  if (typeof definition.description !== "string") {
    fail(
      `description must be a string, got ${typeName(definition.description)}`,
    );
  }
  const args = definition.args as Record<string, unknown> | null | undefined;
  const standard = args !== null && typeof args === "object"
    ? args["~standard"] as Record<string, unknown> | null | undefined
    : undefined;
  if (
    standard === null || typeof standard !== "object" ||
    typeof standard.validate !== "function"
  ) {
    fail(
      `args must be a Standard Schema (an object with "~standard", such as a zod schema), got ${
        typeName(args)
      }${
        args !== null && typeof args === "object" ? ' without "~standard"' : ""
      }`,
    );
  }
  if (typeof definition.create !== "function") {
    fail(`create must be a function, got ${typeName(definition.create)}`);
  }
}
