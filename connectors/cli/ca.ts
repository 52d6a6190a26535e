#!/usr/bin/env node
// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * The `ca` command's entry: `npx ca ...` (Node, from the npm package),
 * `deno run -A connectors/cli/ca.ts ...`, or `npm run ca -- ...` in this
 * repository. See {@linkcode main}.
 *
 * @module
 */

import { loadCliRuntime } from "./cli_runtime.ts";
import { main } from "./main.ts";

const runtime = await loadCliRuntime();
// The child runner is the file beside this one, .ts or .js as this is.
const extension = import.meta.url.endsWith(".js") ? ".js" : ".ts";
const code = await main(runtime.args(), {
  runnerEntry: new URL(`./runner_main${extension}`, import.meta.url).href,
});
runtime.exit(code);
