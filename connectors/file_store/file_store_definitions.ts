// Copyright 2026 the @ca/streams authors. MIT license.

import * as z from "zod/mini";
import { defineDefinitionStore } from "../../src/config/define_definition_store.ts";
import { defineStore } from "../../src/config/define_store.ts";
import type { Definition } from "../../src/config/definition_kinds.ts";
import { toFilePath } from "../runtime/to_file_path.ts";
import { fileDefinitionStore } from "./file_definition_store.ts";
import { fileStore } from "./file_store.ts";

const store = defineStore({
  name: "file",
  description:
    "Keeps checkpoints in a local folder, one JSON file per pipeline id, fsynced and renamed into place; a lock file fences other processes.",
  args: z.strictObject({ dir: z.string().check(z.minLength(1)) }),
  create: ({ dir }, { baseUrl }) => fileStore(toFilePath(dir, baseUrl)),
});

const definitions = defineDefinitionStore({
  name: "file",
  description:
    "Keeps a connector host's definitions in an append-only log file, one JSON line per event, fsynced; a lock file serializes appends across processes.",
  args: z.strictObject({ path: z.string().check(z.minLength(1)) }),
  create: ({ path }, { baseUrl }) =>
    fileDefinitionStore(toFilePath(path, baseUrl)),
});

/**
 * The file store's definitions: the `file` checkpoint store for pipeline
 * configs (`checkpoint.store: { type: file, dir }`, `dir` relative to the
 * config file), and the `file` definition store for a connector host
 * (`{ type: file, path }`, `path` relative to the host's root).
 *
 * @returns A new array of the definitions.
 *
 * @example List them
 * ```ts
 * import { fileStoreDefinitions } from "./file_store_definitions.ts";
 *
 * const names = fileStoreDefinitions().map((d) => `${d.kind}:${d.name}`);
 * if (names.join() !== "store:file,definitionStore:file") throw new Error(`unexpected ${names}`);
 * ```
 */
export function fileStoreDefinitions(): Definition[] {
  return [store as Definition, definitions as Definition];
}
