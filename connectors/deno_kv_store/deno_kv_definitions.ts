// Copyright 2026 the @ca/streams authors. MIT license.

import * as z from "zod/mini";
import type { CheckpointStore } from "../../src/checkpoint/checkpoint_store.ts";
import { ownedStore } from "../../src/checkpoint/owned_store.ts";
import { defineStore } from "../../src/config/define_store.ts";
import type { Definition } from "../../src/config/definition_kinds.ts";
import { currentRuntime } from "../runtime/current_runtime.ts";
import { toFilePath } from "../runtime/to_file_path.ts";
import { type DenoKv, denoKvStore } from "./deno_kv_store.ts";

/** `Deno.openKv`, as far as the store needs it. */
type OpenKv = (path?: string) => Promise<DenoKv & { close(): void }>;

/** Where `Deno.openKv()` opens: `:memory:` and URLs as they are, paths resolved. */
function location(path: string | undefined, baseUrl: string) {
  if (path === undefined || path === ":memory:" || /^https?:/.test(path)) {
    return path;
  }
  return toFilePath(path, baseUrl);
}

const store = defineStore({
  name: "deno-kv",
  description:
    "Keeps checkpoints in Deno KV (a local SQLite file, or KV Connect), fenced by atomic checks; Deno only, with --unstable-kv.",
  args: z.strictObject({
    path: z.optional(z.string().check(z.minLength(1))),
  }),
  async create({ path }, { baseUrl }): Promise<CheckpointStore> {
    const what = "Cannot open the deno-kv store";
    if (currentRuntime() !== "deno") {
      throw new Error(`${what}: Deno KV needs the Deno runtime`);
    }
    const openKv = (globalThis as { Deno?: { openKv?: OpenKv } }).Deno?.openKv;
    if (typeof openKv !== "function") {
      throw new Error(
        `${what}: Deno.openKv is missing (run deno with --unstable-kv, or "unstable": ["kv"] in deno.json)`,
      );
    }
    const kv = await openKv(location(path, baseUrl));
    return ownedStore(denoKvStore(kv), () => kv.close());
  },
});

/**
 * The Deno KV store's definitions for pipeline configs: the `deno-kv`
 * checkpoint store (`checkpoint.store: { type: deno-kv, path? }`: a local
 * file relative to the config file, `:memory:`, or a KV Connect URL;
 * Deno's default database when omitted). On another runtime it fails to
 * open with `Cannot open the deno-kv store: Deno KV needs the Deno runtime`.
 *
 * @returns A new array of the definitions.
 *
 * @example List them
 * ```ts
 * import { denoKvDefinitions } from "./deno_kv_definitions.ts";
 *
 * const names = denoKvDefinitions().map((d) => `${d.kind}:${d.name}`);
 * if (names.join() !== "store:deno-kv") throw new Error(`unexpected ${names}`);
 * ```
 */
export function denoKvDefinitions(): Definition[] {
  return [store as Definition];
}
