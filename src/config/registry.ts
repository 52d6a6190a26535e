// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { toJSONSchema } from "zod/mini";
import type { $ZodType } from "zod/v4/core";
import {
  checkDefinition,
  looksLikeDefinition,
  typeName,
} from "./check_definition.ts";
import {
  type Definition,
  DEFINITION_KINDS,
  type DefinitionKind,
  type DefinitionOfKind,
} from "./definition_kinds.ts";

/** The namespace of a kind, and its word in messages. */
function namespaceOf(kind: DefinitionKind): string {
  return DEFINITION_KINDS[kind].namespace;
}

/**
 * Everything a pipeline config can name, by kind and name: sources,
 * processors and sinks (a config's `use`, one namespace), checkpoint
 * stores (`checkpoint.store.type`), channel transports
 * (`channels[].transport`), the definition stores a connector host
 * keeps its connectors in (`ca serve --definitions`) and the lease engines
 * the hosts of a cluster share (`ca serve --cluster`). `ca` starts from
 * the library's own (`defaultRegistry()` of `@ca/streams/cli`) and adds
 * the definitions of the modules a config lists.
 *
 * @example Register definitions and look them up
 * ```ts
 * import { builtinDefinitions, Registry } from "@ca/streams/config";
 *
 * const registry = new Registry(builtinDefinitions());
 * const take = registry.get("processor", "take");
 * if (take?.kind !== "processor") throw new Error("expected take");
 * if (!registry.has("store", "memory")) throw new Error("expected memory");
 * console.log(registry.names("processor")); // ["generate", "take", ...]
 * console.log(registry.jsonSchema(take)); // { type: "object", ... }
 * ```
 */
export class Registry {
  #definitions: Definition[] = [];
  /** By namespace, then name. */
  #byName = new Map<string, Map<string, Definition>>();
  #origins = new Map<Definition, string>();

  /**
   * Creates a registry, optionally with definitions.
   *
   * @param definitions Definitions of any kind to add, as by {@linkcode add}.
   */
  constructor(definitions: Iterable<Definition> = []) {
    for (const definition of definitions) this.add(definition);
  }

  /**
   * Adds a definition of any kind.
   *
   * @param definition A definition, such as one `defineProcessor()`,
   * `defineStore()`, `defineTransport()`, `defineDefinitionStore()` or
   * `defineLeaseEngine()` made.
   * @param origin Where it comes from, for error messages (default `"code"`).
   * @returns This registry.
   * @throws {TypeError} When it is not a definition or its name is taken in
   * its namespace.
   */
  add(definition: Definition, origin = "code"): this {
    const kind = (definition as { kind?: unknown } | null)?.kind;
    checkDefinition(
      definition,
      `add ${
        typeof kind === "string" && Object.hasOwn(DEFINITION_KINDS, kind)
          ? kind
          : "definition"
      }`,
    );
    const taken = this.#taken(definition);
    if (taken !== undefined) {
      const namespace = namespaceOf(definition.kind);
      throw new TypeError(
        `Cannot add ${definition.kind} "${definition.name}" from ${origin}: a ${namespace} of that name was already added from ${taken}`,
      );
    }
    const namespace = namespaceOf(definition.kind);
    let names = this.#byName.get(namespace);
    if (names === undefined) {
      names = new Map();
      this.#byName.set(namespace, names);
    }
    names.set(definition.name, definition);
    this.#definitions.push(definition);
    this.#origins.set(definition, origin);
    return this;
  }

  /** Where the registered definition of the same name came from, if any. */
  #taken(definition: Definition): string | undefined {
    const namespace = namespaceOf(definition.kind);
    const found = this.#byName.get(namespace)?.get(definition.name);
    return found === undefined ? undefined : this.#origins.get(found);
  }

  /**
   * Finds a definition by the name a config gives it. `"source"`,
   * `"processor"` and `"sink"` look in the one namespace of `use`, so
   * `get("processor", "file-sink")` finds the sink: check its `kind`.
   *
   * @param kind Where to look: `"source"`, `"processor"`, `"sink"`,
   * `"store"`, `"transport"`, `"definitionStore"` or `"leaseEngine"`.
   * @param name The name a config writes.
   * @returns The definition, or `undefined`.
   */
  get<K extends DefinitionKind>(
    kind: K,
    name: string,
  ): DefinitionOfKind[K] | undefined {
    return this.#byName.get(namespaceOf(kind))?.get(name) as
      | DefinitionOfKind[K]
      | undefined;
  }

  /**
   * Finds a source, processor or sink by the name a config `use`s.
   *
   * @param name The name.
   * @returns The definition, or `undefined`.
   */
  processor(name: string): DefinitionOfKind["processor"] | undefined {
    return this.get("processor", name);
  }

  /**
   * Tells whether a name is registered where `kind` looks (see
   * {@linkcode get}).
   *
   * @param kind Where to look.
   * @param name The name a config writes.
   * @returns Whether a definition has that name there.
   */
  has(kind: DefinitionKind, name: string): boolean {
    return this.get(kind, name) !== undefined;
  }

  /**
   * Lists definitions in the order added: all of them, or those of one
   * kind (`list("sink")` gives the sinks only).
   *
   * @param kind The kind to list, when given.
   * @returns The definitions.
   */
  list<K extends DefinitionKind>(kind?: K): DefinitionOfKind[K][] {
    const all = kind === undefined
      ? this.#definitions
      : this.#definitions.filter((definition) => definition.kind === kind);
    return [...all] as DefinitionOfKind[K][];
  }

  /**
   * The names a config can write where `kind` looks, in the order added:
   * `names("store")` for `checkpoint.store.type`, `names("processor")`
   * (or `"source"`, `"sink"`) for `use`. For "did you mean" and messages
   * that list what is registered.
   *
   * @param kind Where to look.
   * @returns The names.
   */
  names(kind: DefinitionKind): string[] {
    return [...(this.#byName.get(namespaceOf(kind))?.keys() ?? [])];
  }

  /**
   * Where a registered definition came from: `"code"` or the module's URL.
   *
   * @param definition A definition of this registry.
   * @returns Its origin, or `undefined` when it is not registered here.
   */
  origin(definition: Definition): string | undefined {
    return this.#origins.get(definition);
  }

  /**
   * The JSON Schema of a definition's args (what a config may write), when
   * they are a zod 4 schema that JSON Schema can express.
   *
   * @param definition A definition, registered or not.
   * @returns A JSON Schema (draft 2020-12), or `undefined` for a schema of
   * another library or one JSON Schema cannot express.
   */
  jsonSchema(definition: Definition): Record<string, unknown> | undefined {
    const schema = definition?.args;
    if (
      schema === undefined || schema === null ||
      schema["~standard"]?.vendor !== "zod"
    ) {
      return undefined;
    }
    if (!("_zod" in schema)) return undefined; // zod 3
    try {
      return toJSONSchema(schema as unknown as $ZodType, {
        io: "input",
        unrepresentable: "any",
      }) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }

  /**
   * Registers every export of a module that is a definition of any kind, or
   * an array of definitions (`export default [a, b]`); other exports are
   * ignored. All or nothing: when one export is broken or one name is
   * taken, nothing is registered.
   *
   * @param moduleNamespace The module, as `await import(url)` returns it.
   * @param origin Where it comes from, such as its URL, for error messages.
   * @returns The definitions registered.
   * @throws {TypeError} When the module exports no definition, an export
   * looks like a definition but is not one, or a name is taken.
   */
  registerModule(
    moduleNamespace: Record<string, unknown>,
    origin: string,
  ): Definition[] {
    if (moduleNamespace === null || typeof moduleNamespace !== "object") {
      throw new TypeError(
        `Cannot register module ${origin}: expected a module namespace object, got ${
          typeName(moduleNamespace)
        }`,
      );
    }
    const found: Definition[] = [];
    const seen = new Set<unknown>();
    for (const [key, value] of Object.entries(moduleNamespace)) {
      const candidates = Array.isArray(value) ? value : [value];
      if (!candidates.some(looksLikeDefinition)) continue;
      for (const candidate of candidates) {
        if (seen.has(candidate)) continue; // `export default a` and `export { a }`
        checkDefinition(candidate, `register export "${key}" of ${origin}`);
        seen.add(candidate);
        found.push(candidate);
      }
    }
    if (found.length === 0) {
      throw new TypeError(
        `Cannot register module ${origin}: it exports no definition (export one made with defineProcessor(), defineStore(), defineTransport(), defineDefinitionStore() or defineLeaseEngine(), or an array of them)`,
      );
    }
    // Check every name first, so a failure registers nothing.
    const names = new Set<string>();
    for (const definition of found) {
      const namespace = namespaceOf(definition.kind);
      const key = `${namespace}\0${definition.name}`;
      const taken = names.has(key) ? origin : this.#taken(definition);
      if (taken !== undefined) {
        throw new TypeError(
          `Cannot register module ${origin}: a ${namespace} named "${definition.name}" was already added from ${taken}`,
        );
      }
      names.add(key);
    }
    for (const definition of found) this.add(definition, origin);
    return found;
  }
}
