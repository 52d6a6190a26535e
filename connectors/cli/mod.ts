// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * The `ca` command: validate, run and list pipeline configs, with runners
 * on Deno, Node and Python. Run it with `deno run -A jsr:@ca/streams/cli`
 * or `npx ca`; embed it with {@linkcode main}.
 *
 * ```ts ignore
 * import { EXIT_CODES, main } from "@ca/streams/cli";
 *
 * const code = await main(["validate", "examples/deno-to-node.yaml"]);
 * if (code === EXIT_CODES.config) console.error("fix the config");
 * ```
 *
 * @module
 */

export * from "./main.ts";
export * from "./exit_codes.ts";

// `deno run -A jsr:@ca/streams/cli ...` runs the command.
if ((import.meta as { main?: boolean }).main) await import("./ca.ts");
