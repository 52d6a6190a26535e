/**
 * Builds `dist/` for Node and bundlers.
 *
 * 1. Removes `dist/`.
 * 2. esbuild bundles one entry per `deno.json` export (ESM, platform neutral,
 *    target es2022, code splitting so modules shared by several entries land
 *    in `dist/_chunks/` once; npm packages and `node:`/`cloudflare:` modules
 *    stay external).
 *    Splitting keeps one copy of each module (so `instanceof` works across
 *    entries), and it keeps the root entry lean: esbuild puts each source
 *    file, whole, in the chunk of the set of entries that import it
 *    (directly or not), so the chunks `dist/mod.js` imports hold only files
 *    that `mod.ts` reaches. A file the root shares with other entries
 *    (`pipeline`, which the config builtins use too) goes to a chunk of its
 *    own; files only other entries reach (config parsing, zod, yaml) never
 *    land in a chunk the root loads. Since a file travels whole, a root file
 *    must not also hold code only other entries need (one public symbol per
 *    file). The esbuild metafile is written to `.tmp/build/metafile.json`
 *    (not shipped); `scripts/check_bundle.ts` reads it to check that every
 *    file in the root's static chunk graph is one `mod.ts` reaches.
 * 3. tsc (`tsconfig.build.json`) writes `.d.ts` files beside them. The sources
 *    use Deno-style `.ts` import specifiers, which tsc keeps in declarations,
 *    so relative `.ts` specifiers are rewritten to `.js`: every TypeScript
 *    version then resolves them to the neighbouring `.d.ts`.
 * 4. Checks that every `package.json` export target now exists.
 *
 * Usage: `deno run -A scripts/build.ts`
 *
 * @module
 */

import { distPaths, readManifests, ROOT } from "./_manifest.ts";

const ESBUILD = new URL("node_modules/.bin/esbuild", ROOT);
const NODE = new URL("node_modules/node24/bin/node", ROOT);
const TSC = new URL("node_modules/typescript/bin/tsc", ROOT);
const DIST = new URL("dist/", ROOT);
/** Where the build leaves esbuild's metafile (outside `dist/`, so not shipped). */
export const BUILD_METAFILE: URL = new URL(".tmp/build/metafile.json", ROOT);

/** Runs a command in the repository root; throws with its output on failure. */
async function run(what: string, cmd: URL, args: string[]): Promise<void> {
  const { code, stdout, stderr } = await new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout) +
    new TextDecoder().decode(stderr);
  if (out.trim()) console.log(out.trimEnd());
  if (code !== 0) {
    throw new Error(`Cannot build: ${what} exited with code ${code}`);
  }
}

/** Yields every file below `dir`. */
async function* walk(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* walk(url);
    else if (entry.isFile) yield url;
  }
}

const RELATIVE_TS_SPECIFIER =
  /((?:\bfrom|\bimport)\s*\(?\s*)(["'])(\.{1,2}\/[^"'\n]*?)\.(ts|mts|cts)\2/g;
const JS_EXTENSION: Record<string, string> = {
  ts: "js",
  mts: "mjs",
  cts: "cjs",
};

/**
 * Rewrites relative `.ts` import specifiers in declaration text to `.js`.
 *
 * @param text the contents of a `.d.ts` file
 * @returns the text with `"./x.ts"` turned into `"./x.js"`
 */
export function rewriteDeclarationSpecifiers(text: string): string {
  return text.replace(
    RELATIVE_TS_SPECIFIER,
    (_match, lead: string, quote: string, path: string, ext: string) =>
      `${lead}${quote}${path}.${JS_EXTENSION[ext]}${quote}`,
  );
}

/** Builds `dist/`; returns the number of files written. */
export async function build(): Promise<number> {
  const started = performance.now();
  const { deno, pkg } = await readManifests(ROOT);
  const targets = Object.values(deno.exports);
  // Programs that ship in dist/ but export nothing: the `ca` command (the
  // npm package's bin) and the child runner it starts.
  const programs = [
    "./connectors/cli/ca.ts",
    "./connectors/cli/runner_main.ts",
  ];
  if (targets.length === 0) {
    throw new Error("Cannot build: deno.json has no exports");
  }

  await Deno.remove(DIST, { recursive: true }).catch((err) => {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  });

  await Deno.mkdir(new URL("./", BUILD_METAFILE), { recursive: true });
  await run("esbuild", ESBUILD, [
    ...targets,
    ...programs,
    "--bundle",
    "--splitting",
    "--format=esm",
    "--platform=neutral",
    "--target=es2022",
    "--packages=external",
    "--outbase=.",
    "--outdir=dist",
    "--entry-names=[dir]/[name]",
    "--chunk-names=_chunks/[name]-[hash]",
    "--charset=utf8",
    "--log-level=warning",
    `--metafile=${decodeURIComponent(BUILD_METAFILE.pathname)}`,
  ]);

  await run("tsc", NODE, [
    decodeURIComponent(TSC.pathname),
    "-p",
    "tsconfig.build.json",
  ]);

  let files = 0;
  for await (const file of walk(DIST)) {
    files++;
    if (!file.pathname.endsWith(".d.ts")) continue;
    const text = await Deno.readTextFile(file);
    const rewritten = rewriteDeclarationSpecifiers(text);
    if (rewritten !== text) await Deno.writeTextFile(file, rewritten);
  }

  const missing: string[] = [];
  for (const [key, entry] of Object.entries(pkg.exports)) {
    for (const path of [entry.import, entry.types]) {
      if (typeof path !== "string") continue;
      try {
        await Deno.stat(new URL(path, ROOT));
      } catch {
        missing.push(`${key} -> ${path}`);
      }
    }
  }
  for (const target of targets) {
    const want = distPaths(target);
    for (const path of [want.js, want.types]) {
      try {
        await Deno.stat(new URL(path, ROOT));
      } catch {
        missing.push(`${target} -> ${path}`);
      }
    }
  }
  if (missing.length > 0) {
    throw new Error(
      `Cannot build: missing output files:\n  ${
        [...new Set(missing)].join("\n  ")
      }`,
    );
  }

  const ms = Math.round(performance.now() - started);
  console.log(
    `build: ${targets.length} entr${
      targets.length === 1 ? "y" : "ies"
    }, ${files} files in dist/ (${ms} ms)`,
  );
  return files;
}

if (import.meta.main) {
  try {
    await build();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    Deno.exit(1);
  }
}
