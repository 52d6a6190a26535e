// Copyright 2026 the @ca/streams authors. MIT license.

import {
  ID_PATTERN,
  PROCESSOR_NAME_PATTERN,
  RUNTIMES,
} from "../../src/config/config_schema.ts";
import type { Definition } from "../../src/config/definition_kinds.ts";
import type { Registry } from "../../src/config/registry.ts";
import type { PythonProcessor } from "./list_python_processors.ts";

type Schema = Record<string, unknown>;

/** The transport of a channel that names none. */
const DEFAULT_TRANSPORT = "tcp";

/**
 * A string that is a whole `${NAME}` or `${NAME:-default}` reference: the
 * environment fills it before the config is checked, so it may stand where
 * a number, a boolean, an enum or a pattern is wanted.
 */
const ENV_REFERENCE: Schema = {
  type: "string",
  pattern: "^\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}$",
  description: "${NAME} or ${NAME:-default}: filled from the environment",
};

const SCALAR_TYPES = new Set(["number", "integer", "boolean", "null"]);

/** Whether a value there may also be written as an environment reference. */
function wantsEnv(node: Schema): boolean {
  const types = Array.isArray(node.type) ? node.type : [node.type];
  if (types.some((t) => SCALAR_TYPES.has(t as string))) return true;
  if ("const" in node || "enum" in node) return true;
  return types.includes("string") &&
    ("pattern" in node || "format" in node);
}

/**
 * Lets every number, boolean, enum and constrained string of a schema be a
 * `${NAME}` reference too, as the config's environment substitution allows
 * (`count: ${RECORDS:-100}`), so that editors do not flag them. Returns a
 * new schema.
 */
function allowEnv(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(allowEnv);
  if (node === null || typeof node !== "object") return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node as Schema)) {
    if (
      key === "properties" || key === "$defs" || key === "patternProperties"
    ) {
      out[key] = Object.fromEntries(
        Object.entries(value as Schema).map(([k, v]) => [k, allowEnv(v)]),
      );
    } else if (
      [
        "items",
        "additionalProperties",
        "anyOf",
        "oneOf",
        "allOf",
        "prefixItems",
        "then",
        "else",
        "not",
      ].includes(key)
    ) {
      out[key] = allowEnv(value);
    } else {
      out[key] = value;
    }
  }
  if (!wantsEnv(out)) return out;
  const { description, title, default: fallback, ...rest } = out;
  return {
    ...(title === undefined ? {} : { title }),
    ...(description === undefined ? {} : { description }),
    ...(fallback === undefined ? {} : { default: fallback }),
    anyOf: [rest, ENV_REFERENCE],
  };
}

/** Rewrites `#/$defs/x` references to `#/$defs/<prefix>x`. */
function renameRefs(node: unknown, prefix: string): unknown {
  if (Array.isArray(node)) return node.map((n) => renameRefs(n, prefix));
  if (node === null || typeof node !== "object") return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node as Schema)) {
    out[key] = key === "$ref" && typeof value === "string" &&
        value.startsWith("#/$defs/")
      ? `#/$defs/${escapePointer(prefix)}${value.slice("#/$defs/".length)}`
      : renameRefs(value, prefix);
  }
  return out;
}

function escapePointer(token: string): string {
  return token.replaceAll("~", "~0").replaceAll("/", "~1");
}

/** Collects definitions' args schemas into one document. */
class Embedder {
  readonly defs: Schema = {};

  /**
   * An args schema made fit to sit inside the config's schema: its `$defs`
   * moved to the document's (renamed after the definition, references
   * rewritten), no `$schema`, environment references allowed.
   */
  embed(schema: Schema | undefined, owner: string): Schema | undefined {
    if (schema === undefined) return undefined;
    const prefix = `${owner}.`;
    const { $schema: _, $defs, ...rest } = renameRefs(schema, prefix) as Schema;
    for (const [key, value] of Object.entries(($defs ?? {}) as Schema)) {
      this.defs[`${prefix}${key}`] = allowEnv(value);
    }
    return allowEnv(rest) as Schema;
  }
}

/** `if` the object's `key` is `name`: (or, for the default, left out). */
function when(key: string, name: string, isDefault = false): Schema {
  const named = { properties: { [key]: { const: name } }, required: [key] };
  return isDefault ? { anyOf: [named, { not: { required: [key] } }] } : named;
}

/** Whether an args schema requires something (so `args` must be written). */
function requiresArgs(args: Schema | undefined): boolean {
  return Array.isArray(args?.required) && args.required.length > 0;
}

/** The one line of a definition for editors: its kind and description. */
function describe(definition: { kind: string; description?: string }): string {
  return `${definition.kind}: ${definition.description ?? ""}`.trim();
}

/**
 * The JSON Schema (draft 2020-12) of a whole pipeline config file, for
 * editors (the YAML language server's `# yaml-language-server: $schema=`)
 * and tools: the structure, and the args of every registered source,
 * processor and sink (chosen by `use`), checkpoint store (by `type`) and
 * channel transport (by `transport`), plus the processors of Python
 * runners when given. `${NAME}` references are allowed wherever the
 * environment may fill a value. `ca validate` stays the full check: it also
 * checks references between processors, runners and channels.
 *
 * @param registry What configs can name.
 * @param options The processors of a config's Python runners.
 * @returns The schema.
 */
export function configJsonSchema(
  registry: Registry,
  options: { python?: ReadonlyMap<string, PythonProcessor> } = {},
): Schema {
  const embedder = new Embedder();
  const args = (definition: Definition) =>
    embedder.embed(
      registry.jsonSchema(definition),
      `${definition.kind}.${definition.name}`,
    );

  const uses: {
    name: string;
    kind: string;
    description?: string;
    args?: Schema;
  }[] = [
    ...["source", "processor", "sink"].flatMap((kind) =>
      registry.list(kind as "source").map((definition) => ({
        name: definition.name,
        kind: definition.kind,
        description: definition.description,
        args: args(definition),
      }))
    ),
    ...[...(options.python ?? new Map<string, PythonProcessor>())].map((
      [name, processor],
    ) => ({
      name,
      kind: processor.kind,
      description: `${
        processor.description ?? ""
      } (Python runner "${processor.runner}")`,
      args: embedder.embed(processor.args, `python.${name}`),
    })),
  ];
  const processor: Schema = {
    type: "object",
    description:
      "One processor. Without `from` anywhere (and no route) the list is a line: a source first, a sink last, processors between. With `from`, a graph: each names its inputs; one without `from` reads the one listed before it (a source reads nothing).",
    required: ["name", "use"],
    additionalProperties: false,
    properties: {
      name: {
        type: "string",
        pattern: PROCESSOR_NAME_PATTERN.source,
        description: "Its name, unique in the config (a letter or _ first).",
      },
      use: {
        type: "string",
        minLength: 1,
        description:
          "The definition it uses: `ca list` shows them (a module's or a Python runner's too).",
        examples: uses.map((u) => u.name),
      },
      runner: {
        type: "string",
        description:
          "The runner it runs on; needed when there is more than one runner.",
      },
      from: {
        description:
          "The processors it reads from, by name: several merge (before any split), several readers of one fan out, a route's targets name the route here. Default: the processor listed before it (nothing for a source).",
        anyOf: [
          { type: "string", minLength: 1 },
          {
            type: "array",
            minItems: 1,
            items: { type: "string", minLength: 1 },
          },
        ],
      },
      args: {
        description: "Its args, checked by the definition's schema.",
      },
    },
    allOf: uses.map((use) => ({
      if: when("use", use.name),
      then: {
        properties: {
          use: { description: describe(use) },
          args: use.args ?? {},
        },
        ...(requiresArgs(use.args) ? { required: ["args"] } : {}),
      },
    })),
  };

  const stores = registry.list("store");
  const store: Schema = {
    type: "object",
    description:
      "Where checkpoints are stored: type names a store (`ca list` shows them), the other keys are its args.",
    required: ["type"],
    properties: {
      type: {
        type: "string",
        minLength: 1,
        examples: stores.map((s) => s.name),
      },
    },
    allOf: stores.map((definition) => {
      const schema = args(definition);
      const properties = (schema?.properties ?? {}) as Schema;
      return {
        if: when("type", definition.name),
        then: schema === undefined ? {} : {
          ...schema,
          properties: {
            type: { description: describe(definition) },
            ...properties,
          },
        },
      };
    }),
  };

  const transports = registry.list("transport");
  const channel: Schema = {
    type: "object",
    description:
      "A channel on an edge between two processors on different runners: `to` reads from `from`.",
    required: ["from", "to"],
    additionalProperties: false,
    properties: {
      from: { type: "string", minLength: 1, description: "The writer." },
      to: {
        type: "string",
        minLength: 1,
        description:
          "The reader: a processor that reads from `from` (its `from`, or listed right after it).",
      },
      transport: {
        type: "string",
        minLength: 1,
        default: DEFAULT_TRANSPORT,
        examples: transports.map((t) => t.name),
        description: "How the bytes travel: `ca list` shows the transports.",
      },
      host: {
        type: "string",
        minLength: 1,
        default: "127.0.0.1",
        description: "Where the reader listens.",
      },
      port: allowEnv({
        type: "integer",
        minimum: 0,
        maximum: 65535,
        default: 0,
        description: "The reader's port; 0 picks a free one.",
      }),
      token: {
        type: "string",
        description: "A token both ends must present.",
      },
      args: { description: "The transport's args (default {})." },
    },
    allOf: transports.map((definition) => ({
      if: when(
        "transport",
        definition.name,
        definition.name === DEFAULT_TRANSPORT,
      ),
      then: {
        properties: {
          transport: { description: describe(definition) },
          args: args(definition) ?? {},
        },
      },
    })),
  };

  const count = (description: string) =>
    allowEnv({ type: "integer", minimum: 1, description });
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "ca pipeline config",
    description:
      "A pipeline config of @ca/streams: `ca validate FILE` checks it, `ca run FILE` runs it.",
    type: "object",
    required: ["id", "runners", "processors"],
    additionalProperties: false,
    properties: {
      version: allowEnv({ const: 1, description: "Optional; only 1 exists." }),
      id: allowEnv({
        type: "string",
        pattern: ID_PATTERN.source,
        description: "The pipeline's id: 1-100 characters of A-Z a-z 0-9 . _ -",
      }),
      runners: {
        type: "object",
        description:
          "The runners, by name: each a process that runs processors.",
        propertyNames: { pattern: ID_PATTERN.source },
        additionalProperties: {
          type: "object",
          required: ["runtime"],
          additionalProperties: false,
          properties: {
            runtime: allowEnv({ enum: [...RUNTIMES] }),
            executable: {
              type: "string",
              minLength: 1,
              description:
                "Its executable; else $CA_DENO, $CA_NODE or $CA_PYTHON, else deno, node or python3 on PATH.",
            },
            script: {
              type: "string",
              minLength: 1,
              description:
                "A Python runner's script, relative to the config file.",
            },
          },
          if: when("runtime", "python"),
          then: { required: ["script"] },
        },
      },
      modules: {
        type: "array",
        description:
          "Modules of your own definitions (processors, stores, transports), relative to the config file.",
        items: { type: "string", minLength: 1 },
      },
      checkpoint: {
        type: "object",
        description: "At-least-once delivery with resume after a restart.",
        required: ["store"],
        additionalProperties: false,
        properties: {
          store,
          everyRecords: count("Commit once this many more records are done."),
          everyMs: count("Commit at least this often, in ms."),
          maxUncommittedRecords: count(
            "Reading waits while this many records are read but not committed.",
          ),
        },
      },
      placement: {
        type: "object",
        description:
          "Where a connector host of a cluster may run it (ignored by `ca run`).",
        additionalProperties: false,
        properties: {
          labels: {
            type: "array",
            description:
              "Run it only on hosts that have every one of these labels (`ca serve --label`).",
            items: { type: "string", minLength: 1 },
          },
        },
      },
      parallelism: {
        type: "integer",
        minimum: 1,
        maximum: 64,
        description:
          "How many instances a cluster of connector hosts runs, each on another host when it can, over a source that shares its input (a Redis consumer group, a JetStream consumer). Instance i runs as pipeline ID.i; ${CA_INSTANCE} and ${CA_INSTANCES} substitute. `ca run` runs one.",
      },
      processors: {
        type: "array",
        minItems: 2,
        description:
          "The processors: a line (a source, processors, a sink), or a graph whose processors name their inputs with `from` (merge, fan-out, route).",
        items: processor,
      },
      channels: {
        type: "array",
        description:
          "Optional: settings of the channel on an edge between runners (each such edge gets one, with defaults).",
        items: channel,
      },
    },
    $defs: embedder.defs,
  };
}
