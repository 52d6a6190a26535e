// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { toJSONSchema } from "zod/mini";
import type { $ZodType } from "zod/v4/core";
import {
  checkDefinition,
  looksLikeDefinition,
  typeName,
} from "./check_definition.ts";
import type { ProcessorDefinition } from "./define_processor.ts";

/**
 * The processor definitions a pipeline config can `use`, by name.
 *
 * @example Register definitions and look one up
 * ```ts
 * import { builtinProcessors, ProcessorRegistry } from "@ca/streams/config";
 *
 * const registry = new ProcessorRegistry(builtinProcessors());
 * const take = registry.get("take");
 * if (take?.kind !== "processor") throw new Error("expected take");
 * console.log(registry.list().map((definition) => definition.name));
 * console.log(registry.jsonSchema("take")); // { type: "object", ... }
 * ```
 */
export class ProcessorRegistry {
  #definitions = new Map<string, ProcessorDefinition>();
  #origins = new Map<string, string>();

  /**
   * Creates a registry, optionally with definitions.
   *
   * @param definitions Definitions to add, as by {@linkcode add}.
   */
  constructor(definitions: Iterable<ProcessorDefinition> = []) {
    for (const definition of definitions) this.add(definition);
  }

  /**
   * Adds a definition.
   *
   * @param definition A processor definition.
   * @param origin Where it comes from, for error messages (default `"code"`).
   * @returns This registry.
   * @throws {TypeError} When it is not a definition or its name is taken.
   */
  add(definition: ProcessorDefinition, origin = "code"): this {
    checkDefinition(definition, "add processor");
    const taken = this.#origins.get(definition.name);
    if (taken !== undefined) {
      throw new TypeError(
        `Cannot add processor "${definition.name}" from ${origin}: a processor of that name was already added from ${taken}`,
      );
    }
    this.#definitions.set(definition.name, definition);
    this.#origins.set(definition.name, origin);
    return this;
  }

  /**
   * Finds a definition by name.
   *
   * @param name The name a config `use`s.
   * @returns The definition, or `undefined`.
   */
  get(name: string): ProcessorDefinition | undefined {
    return this.#definitions.get(name);
  }

  /**
   * Tells whether a name is registered.
   *
   * @param name The name a config `use`s.
   * @returns Whether a definition has that name.
   */
  has(name: string): boolean {
    return this.#definitions.has(name);
  }

  /**
   * Lists the definitions.
   *
   * @returns Every definition, in the order added.
   */
  list(): ProcessorDefinition[] {
    return [...this.#definitions.values()];
  }

  /**
   * The JSON Schema of a definition's args (what a config may write), when
   * they are a zod 4 schema that JSON Schema can express.
   *
   * @param name The definition's name.
   * @returns A JSON Schema (draft 2020-12), or `undefined` for an unknown
   * name, a schema of another library or one JSON Schema cannot express.
   */
  jsonSchema(name: string): Record<string, unknown> | undefined {
    const schema = this.#definitions.get(name)?.args;
    if (schema === undefined || schema["~standard"].vendor !== "zod") {
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
   * Registers every export of a module that is a definition or an array of
   * definitions (`export default [a, b]`); other exports are ignored.
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
  ): ProcessorDefinition[] {
    if (moduleNamespace === null || typeof moduleNamespace !== "object") {
      throw new TypeError(
        `Cannot register module ${origin}: expected a module namespace object, got ${
          typeName(moduleNamespace)
        }`,
      );
    }
    const found: ProcessorDefinition[] = [];
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
        `Cannot register module ${origin}: it exports no processor definition (export one made with defineProcessor(), or an array of them)`,
      );
    }
    // Check every name first, so a failure registers nothing.
    const names = new Set<string>();
    for (const { name } of found) {
      const taken = names.has(name) ? origin : this.#origins.get(name);
      if (taken !== undefined) {
        throw new TypeError(
          `Cannot register module ${origin}: a processor named "${name}" was already added from ${taken}`,
        );
      }
      names.add(name);
    }
    for (const definition of found) this.add(definition, origin);
    return found;
  }
}
