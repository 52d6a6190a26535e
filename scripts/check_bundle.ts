/**
 * The bundle budget of the root entry (`npm test` step `bundle`, after
 * `build`).
 *
 * esbuild (`--bundle --minify --platform=neutral --format=esm`, with a
 * metafile) bundles four entries, each from the source (`mod.ts`) and from
 * the npm build (`dist/mod.js`):
 *
 * - `export * from` the root entry: the metafile must hold no input from the
 *   `zod` or `yaml` packages; when it does, the chain of imports from the
 *   root to the first such input is printed;
 * - `export { pipeline, map, filter, collect } from` the root entry: from
 *   `dist/` it must stay within {@link BUDGET_BYTES} min+gzip. The size from
 *   the source is printed beside it (the build must not make it worse).
 *
 * Sizes are gzip at level 9 (`node:zlib` `gzipSync`, the same stream as
 * `gzip -9`).
 *
 * Usage: `deno run -A scripts/check_bundle.ts [--json]`
 * (`--json`: one JSON object per bundle on stdout, no check).
 *
 * @module
 */

import { gzipSync } from "node:zlib";
import { commandOutput } from "./_tools.ts";

let ROOT_PATH = decodeURIComponent(new URL("../", import.meta.url).pathname);
const ESBUILD = decodeURIComponent(
  new URL("../node_modules/.bin/esbuild", import.meta.url).pathname,
);

/** `{ pipeline, map, filter, collect }` from `dist/` must stay within this (9 KB). */
export const BUDGET_BYTES = 9 * 1024;
/** The names a minimal pipeline imports from the root. */
export const CORE_NAMES = ["pipeline", "map", "filter", "collect"] as const;
/** Packages the root entry must not reach. */
export const FORBIDDEN_PACKAGES = ["zod", "yaml"] as const;

/** Where the root entry is bundled from. */
export type Origin = "source" | "dist";

/** One measured bundle. */
export interface BundleResult {
  origin: Origin;
  /** `"*"` for the whole root entry, else the imported names. */
  names: readonly string[] | "*";
  /** The module bundled (repository-relative). */
  module: string;
  minBytes: number;
  gzipBytes: number;
  /** Inputs of the metafile: every module esbuild read (repository-relative). */
  inputs: string[];
  /** The inputs that put code into the bundle after tree shaking. */
  included: string[];
  /** For every forbidden package reached: the import chain to its first input. */
  forbidden: { pkg: string; chain: string[] }[];
}

interface Metafile {
  inputs: Record<string, { imports?: { path: string; external?: boolean }[] }>;
  outputs: Record<
    string,
    { inputs: Record<string, { bytesInOutput: number }> }
  >;
}

function rootModule(origin: Origin): string {
  return origin === "source" ? "mod.ts" : "dist/mod.js";
}

/** Runs esbuild; throws with its output when it fails. */
async function esbuild(args: string[]): Promise<void> {
  await commandOutput("bundle", ESBUILD, args, ROOT_PATH);
}

/** The package a metafile input belongs to, or undefined for repository files. */
function packageOf(input: string): string | undefined {
  const at = input.lastIndexOf("node_modules/");
  if (at < 0) return undefined;
  const parts = input.slice(at + "node_modules/".length).split("/");
  return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
}

/**
 * The shortest import chain from `entry` to an input matching `hit`.
 *
 * @returns the inputs on the chain, `entry` first, or undefined
 */
function chainTo(
  meta: Metafile,
  entry: string,
  hit: (input: string) => boolean,
): string[] | undefined {
  const parent = new Map<string, string | null>([[entry, null]]);
  const queue = [entry];
  while (queue.length > 0) {
    const v = queue.shift()!;
    if (hit(v)) {
      const chain = [v];
      for (let p = parent.get(v); p; p = parent.get(p)) chain.unshift(p);
      return chain;
    }
    for (const i of meta.inputs[v]?.imports ?? []) {
      if (i.external || parent.has(i.path)) continue;
      parent.set(i.path, v);
      queue.push(i.path);
    }
  }
  return undefined;
}

/**
 * Bundles `names` (or everything) of the root entry and measures the result.
 *
 * @param origin `source` bundles `mod.ts`, `dist` bundles `dist/mod.js`
 * @param names the names to import, or `"*"` for `export *`
 * @returns sizes, metafile inputs and the chains to forbidden packages
 */
export async function measureBundle(
  origin: Origin,
  names: readonly string[] | "*",
): Promise<BundleResult> {
  const module = rootModule(origin);
  const target = `${ROOT_PATH}${module}`;
  try {
    await Deno.stat(target);
  } catch {
    throw new Error(
      `Cannot bundle: ${module} is missing${
        origin === "dist" ? " (run `npm run build` first)" : ""
      }`,
    );
  }
  await Deno.mkdir(`${ROOT_PATH}.tmp`, { recursive: true });
  const dir = await Deno.makeTempDir({
    dir: `${ROOT_PATH}.tmp`,
    prefix: "check_bundle_",
  });
  try {
    const what = names === "*" ? "*" : `{ ${names.join(", ")} }`;
    const entry = `${dir}/entry.js`;
    await Deno.writeTextFile(
      entry,
      `export ${what} from ${JSON.stringify(target)};\n`,
    );
    await esbuild([
      entry,
      "--bundle",
      "--minify",
      "--platform=neutral",
      "--format=esm",
      "--log-level=error",
      `--outfile=${dir}/out.js`,
      `--metafile=${dir}/meta.json`,
    ]);
    const code = await Deno.readFile(`${dir}/out.js`);
    const meta = JSON.parse(
      await Deno.readTextFile(`${dir}/meta.json`),
    ) as Metafile;
    // Metafile paths are relative to the working directory (the root).
    const entryKey = Object.keys(meta.inputs).find((k) =>
      k.endsWith("entry.js") && k.includes("check_bundle_")
    )!;
    const forbidden: BundleResult["forbidden"] = [];
    for (const pkg of FORBIDDEN_PACKAGES) {
      const chain = chainTo(
        meta,
        entryKey,
        (input) => packageOf(input) === pkg,
      );
      if (chain) {
        forbidden.push({
          pkg,
          chain: chain.slice(1).map((p) =>
            p.includes("node_modules/")
              ? p.slice(p.lastIndexOf("node_modules/"))
              : p
          ),
        });
      }
    }
    return {
      origin,
      names,
      module,
      minBytes: code.byteLength,
      gzipBytes: gzipSync(code, { level: 9 }).byteLength,
      inputs: Object.keys(meta.inputs).filter((k) => k !== entryKey),
      included: Object.values(meta.outputs).flatMap((o) =>
        Object.entries(o.inputs).filter(([k, v]) =>
          k !== entryKey && v.bytesInOutput > 0
        ).map(([k]) => k)
      ),
      forbidden,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

interface BuildMetafile {
  outputs: Record<string, {
    bytes: number;
    imports?: { path: string; kind: string }[];
    inputs: Record<string, { bytesInOutput: number }>;
  }>;
}

/** What `dist/mod.js` loads before it runs: its static chunk graph. */
export interface RootChunks {
  /** `dist/mod.js` and every chunk it imports statically, transitively. */
  files: string[];
  /** Their total size on disk (unminified). */
  bytes: number;
  /** The source modules with code in those files. */
  modules: string[];
}

/**
 * Reads the static chunk graph of `dist/mod.js` from the build's metafile
 * (`.tmp/build/metafile.json`, written by `scripts/build.ts`).
 *
 * @returns the files, their size and the source modules they hold
 * @throws {Error} when the metafile is missing or does not match `dist/`
 */
export async function rootChunks(): Promise<RootChunks> {
  const file = `${ROOT_PATH}.tmp/build/metafile.json`;
  let meta: BuildMetafile;
  try {
    meta = JSON.parse(await Deno.readTextFile(file));
  } catch {
    throw new Error(
      `Cannot read the chunk graph: ${file} is missing; run \`npm run build\` (scripts/build.ts writes it)`,
    );
  }
  const files: string[] = [];
  const modules = new Set<string>();
  let bytes = 0;
  const queue = ["dist/mod.js"];
  while (queue.length > 0) {
    const out = queue.shift()!;
    if (files.includes(out)) continue;
    const entry = meta.outputs[out];
    if (!entry) {
      throw new Error(
        `Cannot read the chunk graph: the build metafile has no ${out}; run \`npm run build\``,
      );
    }
    const size = (await Deno.stat(`${ROOT_PATH}${out}`).catch(() => undefined))
      ?.size;
    if (size !== entry.bytes) {
      throw new Error(
        `Cannot read the chunk graph: ${out} is ${
          size ?? "missing"
        } bytes but the build metafile says ${entry.bytes} (dist/ was rebuilt by another build); run \`npm run build\``,
      );
    }
    files.push(out);
    bytes += entry.bytes;
    for (const [input, { bytesInOutput }] of Object.entries(entry.inputs)) {
      if (bytesInOutput > 0) modules.add(input);
    }
    for (const i of entry.imports ?? []) {
      if (i.kind === "import-statement" && i.path.startsWith("dist/")) {
        queue.push(i.path);
      }
    }
  }
  return { files, bytes, modules: [...modules].sort() };
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

function describe(r: BundleResult): string {
  const what = r.names === "*" ? "export *" : `{ ${r.names.join(", ")} }`;
  return `${what} from ${r.module}`;
}

/** Runs the check; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  let json = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--json") json = true;
    else if (args[i] === "--root" && args[i + 1]) {
      // Check another checkout (its dist/ built), with this checkout's esbuild.
      const dir = args[++i];
      ROOT_PATH = (dir.startsWith("/") ? dir : `${Deno.cwd()}/${dir}`)
        .replace(/\/?$/, "/");
    } else {
      throw new TypeError(
        `Cannot parse arguments: unknown argument ${JSON.stringify(args[i])}`,
      );
    }
  }
  const results: BundleResult[] = [];
  for (const origin of ["source", "dist"] as const) {
    results.push(await measureBundle(origin, "*"));
    results.push(await measureBundle(origin, CORE_NAMES));
  }
  if (json) {
    for (const r of results) {
      console.log(JSON.stringify({
        origin: r.origin,
        module: r.module,
        names: r.names,
        minBytes: r.minBytes,
        gzipBytes: r.gzipBytes,
        inputs: r.inputs.length,
        included: r.included.length,
        forbidden: r.forbidden.map((f) => f.pkg),
      }));
    }
    return 0;
  }

  const problems: string[] = [];
  console.log(
    "bundle: esbuild --bundle --minify --platform=neutral --format=esm; gzip level 9 (node:zlib)",
  );
  for (const r of results) {
    console.log(
      `bundle: ${describe(r).padEnd(52)} ${
        String(r.minBytes).padStart(7)
      } B min, ${String(r.gzipBytes).padStart(6)} B gzip (${
        kb(r.gzipBytes)
      }), ${r.included.length} of ${r.inputs.length} inputs kept${
        r.forbidden.length > 0
          ? `, reaches ${r.forbidden.map((f) => f.pkg).join(" and ")}`
          : ""
      }`,
    );
    for (const f of r.names === "*" ? r.forbidden : []) {
      problems.push(
        `${describe(r)} reaches the ${f.pkg} package; import chain:\n    ${
          f.chain.join("\n    -> ")
        }\n  (the root entry must not load ${f.pkg}: move what imports it to @ca/streams/config or another subpath)`,
      );
    }
  }
  const chunks = await rootChunks();
  const reached = new Set(
    results.find((r) => r.origin === "source" && r.names === "*")!.inputs,
  );
  const strays = chunks.modules.filter((m) => !reached.has(m));
  console.log(
    `bundle: dist/mod.js loads ${chunks.files.length} files statically (${
      kb(chunks.bytes)
    } unminified) holding ${chunks.modules.length} source modules`,
  );
  if (strays.length > 0) {
    problems.push(
      `the chunks dist/mod.js imports hold ${strays.length} modules that mod.ts does not reach: ${
        strays.join(", ")
      } (fix the chunking in scripts/build.ts)`,
    );
  }
  const core = results.find((r) => r.origin === "dist" && r.names !== "*")!;
  const fromSource = results.find((r) =>
    r.origin === "source" && r.names !== "*"
  )!;
  const budgetLine = `{ ${
    CORE_NAMES.join(", ")
  } } from dist/: ${core.gzipBytes} B gzip (${
    kb(core.gzipBytes)
  }), budget ${BUDGET_BYTES} B (${
    kb(BUDGET_BYTES)
  }); from the source ${fromSource.gzipBytes} B (${kb(fromSource.gzipBytes)})`;
  if (core.gzipBytes > BUDGET_BYTES) {
    problems.push(
      `${budgetLine}: over budget by ${core.gzipBytes - BUDGET_BYTES} B ` +
        `(make the root lighter, or check that dist/mod.js imports no chunk that only other entries need: scripts/build.ts)`,
    );
  }
  if (problems.length === 0) {
    console.log(
      `bundle: ok: ${budgetLine}; no zod or yaml from the root entry`,
    );
    return 0;
  }
  for (const p of problems) console.log(`bundle: FAILED: ${p}`);
  return 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err) {
    console.error(`bundle: ${err instanceof Error ? err.message : err}`);
    Deno.exit(2);
  }
}
