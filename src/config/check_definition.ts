// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import {
  type Definition,
  DEFINITION_KINDS,
  type DefinitionKind,
} from "./definition_kinds.ts";
import { quotedList } from "./suggest.ts";

/** A definition's name: kebab-case, optionally scoped (`acme/thing`). */
const DEFINITION_NAME: RegExp = /^(?:[a-z0-9][a-z0-9-]*\/)?[a-z][a-z0-9-]*$/;

/** The delivery guarantees a definition may declare. */
const DELIVERY: readonly string[] = [
  "exactly-once",
  "at-least-once",
  "at-most-once",
  "best-effort",
  "none",
];

/** `typeof`, with `null` and arrays told apart. */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * Whether a value is meant as a definition of any kind: an object with an
 * `args` object and the function members of some kind (`create`, or
 * `listen` and `connect`). {@linkcode checkDefinition} then checks the rest.
 */
export function looksLikeDefinition(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  const candidate = value as Record<string, unknown>;
  if (candidate.args === null || typeof candidate.args !== "object") {
    return false;
  }
  return Object.values(DEFINITION_KINDS).some(({ members }) =>
    members.every((member) => typeof candidate[member] === "function")
  );
}

function shown(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : typeName(value);
}

/**
 * Throws a `TypeError` naming the field when `value` is not a definition of
 * one of `kinds`.
 *
 * @param value The candidate.
 * @param doing What the caller does, such as `"define processor"`.
 * @param kinds The kinds allowed (default: every kind).
 */
export function checkDefinition(
  value: unknown,
  doing: string,
  kinds: readonly DefinitionKind[] = Object.keys(
    DEFINITION_KINDS,
  ) as DefinitionKind[],
): asserts value is Definition {
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
        shown(name)
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
  const kind = definition.kind as DefinitionKind;
  if (!kinds.includes(kind) || !Object.hasOwn(DEFINITION_KINDS, kind)) {
    fail(`kind must be ${quotedList(kinds)}, got ${shown(definition.kind)}`);
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
  if (
    definition.delivery !== undefined &&
    !DELIVERY.includes(definition.delivery as string)
  ) {
    fail(
      `delivery must be ${quotedList(DELIVERY)}, got ${
        shown(definition.delivery)
      }`,
    );
  }
  for (const member of DEFINITION_KINDS[kind].members) {
    if (typeof definition[member] !== "function") {
      fail(
        `${member} must be a function, got ${typeName(definition[member])}`,
      );
    }
  }
}

/**
 * What `defineStore()` and `defineTransport()` return: the definition with
 * `kind` filled in where it was left out, checked by
 * {@linkcode checkDefinition} as `define <kind>`.
 *
 * @param definition The definition, `kind` optional.
 * @param kind Its kind.
 * @returns A new definition object.
 */
export function completeDefinition<
  K extends "store" | "transport",
  D extends { kind?: K },
>(definition: D, kind: K): D & { kind: K } {
  const made = { ...definition, kind: definition.kind ?? kind };
  checkDefinition(made, `define ${kind}`, [kind]);
  return made;
}
