// Copyright 2026 the @ca/streams authors. MIT license.

import * as z from "zod/mini";
import { defineStore } from "../../src/config/define_store.ts";
import type { Definition } from "../../src/config/definition_kinds.ts";
import { toFilePath } from "../runtime/to_file_path.ts";
import { fileStore } from "./file_store.ts";

const store = defineStore({
  name: "file",
  description:
    "Keeps checkpoints in a local folder, one JSON file per pipeline id, fsynced and renamed into place; a lock file fences other processes.",
  args: z.strictObject({ dir: z.string().check(z.minLength(1)) }),
  create: ({ dir }, { baseUrl }) => fileStore(toFilePath(dir, baseUrl)),
});

/**
 * The file store's definitions for pipeline configs: the `file` checkpoint
 * store (`checkpoint.store: { type: file, dir }`, `dir` relative to the
 * config file).
 *
 * @returns A new array of the definitions.
 *
 * @example List them
 * ```ts
 * import { fileStoreDefinitions } from "./file_store_definitions.ts";
 *
 * const names = fileStoreDefinitions().map((d) => `${d.kind}:${d.name}`);
 * if (names.join() !== "store:file") throw new Error(`unexpected ${names}`);
 * ```
 */
export function fileStoreDefinitions(): Definition[] {
  return [store as Definition];
}
