/**
 * Reads `deno.json` and `package.json` and maps Deno export targets to the
 * files the build writes. Shared by the build, export check and test scripts.
 *
 * @module
 */

/** The repository root (the folder holding `deno.json`). */
export const ROOT: URL = new URL("../", import.meta.url);

/** The parts of `deno.json` the scripts read. */
export interface DenoManifest {
  name: string;
  version: string;
  /** Subpath (".", "./connectors/x") to source file ("./mod.ts"). */
  exports: Record<string, string>;
  imports?: Record<string, string>;
  compilerOptions?: Record<string, unknown>;
  unstable?: string[];
}

/** One `package.json` export entry, as the build expects it. */
export interface PackageExport {
  types?: string;
  import?: string;
  [condition: string]: unknown;
}

/** The parts of `package.json` the scripts read. */
export interface PackageManifest {
  name: string;
  version: string;
  exports: Record<string, PackageExport>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** Both manifests, parsed. */
export interface Manifests {
  deno: DenoManifest;
  pkg: PackageManifest;
}

/**
 * Reads both manifests from `root`.
 *
 * @param root the repository root
 * @returns the parsed manifests, with a string `exports` normalised to `{ ".": target }`
 */
export async function readManifests(root: URL = ROOT): Promise<Manifests> {
  const deno = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  const pkg = JSON.parse(
    await Deno.readTextFile(new URL("package.json", root)),
  );
  if (typeof deno.exports === "string") deno.exports = { ".": deno.exports };
  deno.exports ??= {};
  if (typeof pkg.exports === "string") pkg.exports = { ".": pkg.exports };
  pkg.exports ??= {};
  return { deno, pkg };
}

/**
 * The files `scripts/build.ts` writes for a Deno export target.
 *
 * @param target a `deno.json` export target such as `./connectors/x/mod.ts`
 * @returns `{ js, types }` such as `./dist/connectors/x/mod.js` and `.d.ts`
 */
export function distPaths(target: string): { js: string; types: string } {
  const stem = target.replace(/^\.\//, "").replace(/\.ts$/, "");
  return { js: `./dist/${stem}.js`, types: `./dist/${stem}.d.ts` };
}

/**
 * The bare specifier that imports an export subpath by package name.
 *
 * @param name the package name, such as `@ca/streams`
 * @param subpath an export key, such as `.` or `./connectors/x`
 * @returns `@ca/streams` or `@ca/streams/connectors/x`
 */
export function subpathSpecifier(name: string, subpath: string): string {
  return subpath === "." ? name : `${name}/${subpath.replace(/^\.\//, "")}`;
}
