// Copyright 2026 the @ca/streams authors. MIT license.

import {
  DEFINITION_KINDS,
  type DefinitionKind,
} from "../../src/config/definition_kinds.ts";
import type { Registry } from "../../src/config/registry.ts";
import type { PythonProcessor } from "./list_python_processors.ts";

/** One entry of `ca list`, as `--json` prints it. */
export interface ListedDefinition {
  /** The name a config writes. */
  name: string;
  /** `"source"`, `"processor"`, `"sink"`, `"store"` or `"transport"`. */
  kind: DefinitionKind;
  /** One sentence. */
  description: string;
  /** `"builtin"`, a module's URL, or `python:RUNNER` for a Python runner's. */
  origin: string;
  /** Its delivery guarantee, when it states one. */
  delivery?: string;
  /** Its args as JSON Schema, or `null` when it cannot be expressed. */
  args: Record<string, unknown> | null;
}

const TITLES: Readonly<Record<DefinitionKind, string>> = {
  source: "Sources",
  processor: "Processors",
  sink: "Sinks",
  store: "Checkpoint stores",
  transport: "Channel transports",
  definitionStore: "Definition stores",
  leaseEngine: "Lease engines",
};

/**
 * Every definition a config can name, by kind in the order of the kinds
 * table, then the processors of Python runners.
 *
 * @param registry The registry: the library's, and a config's modules'.
 * @param python The processors of a config's Python runners.
 * @returns The entries.
 */
export function listDefinitions(
  registry: Registry,
  python: ReadonlyMap<string, PythonProcessor> = new Map(),
): ListedDefinition[] {
  const listed: ListedDefinition[] = [];
  for (const kind of Object.keys(DEFINITION_KINDS) as DefinitionKind[]) {
    for (const definition of registry.list(kind)) {
      const origin = registry.origin(definition) ?? "code";
      const delivery = (definition as { delivery?: string }).delivery;
      listed.push({
        name: definition.name,
        kind,
        description: definition.description,
        origin: origin === "code" ? "builtin" : origin,
        ...(delivery === undefined ? {} : { delivery }),
        args: registry.jsonSchema(definition) ?? null,
      });
    }
    for (const [name, processor] of python) {
      if (processor.kind !== kind) continue;
      listed.push({
        name,
        kind,
        description: processor.description ?? "",
        origin: `python:${processor.runner}`,
        args: processor.args ?? null,
      });
    }
  }
  return listed;
}

type Property = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  items?: Property;
  anyOf?: Property[];
  $ref?: string;
  description?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  default?: unknown;
};

/** A property's type in a few words: `integer >= 0`, `"json" | "pretty"`. */
function typeText(property: Property): string {
  if (property.enum) {
    return property.enum.map((v) => JSON.stringify(v)).join(" | ");
  }
  if ("const" in property) return JSON.stringify(property.const);
  if (property.$ref) return "any JSON value";
  if (property.anyOf) {
    return [...new Set(property.anyOf.map(typeText))].join(" | ");
  }
  let text = Array.isArray(property.type)
    ? property.type.join(" | ")
    : property.type ?? "any";
  if (text === "array" && property.items) {
    text = `${typeText(property.items)}[]`;
  }
  if (property.exclusiveMinimum !== undefined) {
    text += ` > ${property.exclusiveMinimum}`;
  } else if (property.minimum !== undefined) {
    text += ` >= ${property.minimum}`;
  }
  if (
    property.maximum !== undefined && property.maximum < Number.MAX_SAFE_INTEGER
  ) {
    text += ` <= ${property.maximum}`;
  }
  return text;
}

/**
 * `ca list` as text: a section per kind (where a config names it), each
 * definition with its description, origin when not built in, and args.
 *
 * @param entries What {@linkcode listDefinitions} found.
 * @returns The text, ending with a newline.
 */
export function listText(entries: ListedDefinition[]): string {
  const lines: string[] = [];
  for (const kind of Object.keys(DEFINITION_KINDS) as DefinitionKind[]) {
    const ofKind = entries.filter((e) => e.kind === kind);
    if (ofKind.length === 0) continue;
    if (lines.length > 0) lines.push("");
    lines.push(`${TITLES[kind]} (${DEFINITION_KINDS[kind].namedBy}):`);
    for (const entry of ofKind) {
      const notes = [
        entry.delivery,
        entry.origin === "builtin" ? undefined : `from ${entry.origin}`,
      ].filter((n) => n !== undefined);
      lines.push(
        `  ${entry.name}${notes.length > 0 ? ` (${notes.join("; ")})` : ""}`,
      );
      if (entry.description) lines.push(`      ${entry.description}`);
      const schema = entry.args as {
        properties?: Record<string, Property>;
        required?: string[];
      } | null;
      if (schema === null) {
        lines.push("      args: not expressible as JSON Schema");
        continue;
      }
      for (
        const [name, property] of Object.entries(schema.properties ?? {})
      ) {
        const optional = schema.required?.includes(name) ? "" : " (optional)";
        lines.push(
          `      ${name}: ${typeText(property)}${optional}${
            property.description ? ` - ${property.description}` : ""
          }`,
        );
      }
    }
  }
  return lines.join("\n") + "\n";
}
