/**
 * Checks that `deno.json` and `package.json` publish the same entry points.
 *
 * For every export subpath it requires:
 * - the same key in `deno.json` `exports` and `package.json` `exports`;
 * - the `deno.json` target file to exist;
 * - the `package.json` entry to be `{ types, import }` pointing at the files
 *   `scripts/build.ts` writes for that target (`./x/mod.ts` becomes
 *   `./dist/x/mod.js` and `./dist/x/mod.d.ts`);
 * - a `deno.json` `imports` entry mapping `<name><subpath>` to the same target,
 *   so tests import the package by name on Deno exactly as they do on Node.
 *
 * It also requires both files to agree on `name` and `version`.
 *
 * Usage: `deno run -A scripts/check_exports.ts` (exit code 1 on any mismatch).
 *
 * @module
 */

import {
  distPaths,
  readManifests,
  ROOT,
  subpathSpecifier,
} from "./_manifest.ts";

/** Returns one message per mismatch; an empty array means all is well. */
export async function checkExports(root: URL = ROOT): Promise<string[]> {
  const problems: string[] = [];
  const { deno, pkg } = await readManifests(root);

  if (deno.name !== pkg.name) {
    problems.push(
      `name differs: deno.json has ${
        JSON.stringify(deno.name)
      }, package.json has ${JSON.stringify(pkg.name)}`,
    );
  }
  if (deno.version !== pkg.version) {
    problems.push(
      `version differs: deno.json has ${
        JSON.stringify(deno.version)
      }, package.json has ${JSON.stringify(pkg.version)}`,
    );
  }

  const denoExports = deno.exports;
  const pkgExports = pkg.exports;
  const denoKeys = Object.keys(denoExports).sort();
  const pkgKeys = Object.keys(pkgExports).sort();
  if (denoKeys.length === 0) problems.push("deno.json has no exports");

  for (const key of denoKeys) {
    if (!(key in pkgExports)) {
      problems.push(
        `subpath ${
          JSON.stringify(key)
        } is in deno.json exports but missing from package.json exports`,
      );
    }
  }
  for (const key of pkgKeys) {
    if (!(key in denoExports)) {
      problems.push(
        `subpath ${
          JSON.stringify(key)
        } is in package.json exports but missing from deno.json exports`,
      );
    }
  }

  for (const key of denoKeys) {
    const target = denoExports[key];
    if (!/^\.\/.+\.ts$/.test(target)) {
      problems.push(
        `deno.json export ${JSON.stringify(key)} -> ${
          JSON.stringify(target)
        } is not a "./....ts" path`,
      );
      continue;
    }
    try {
      const info = await Deno.stat(new URL(target, root));
      if (!info.isFile) {
        problems.push(
          `deno.json export ${JSON.stringify(key)} -> ${target} is not a file`,
        );
      }
    } catch {
      problems.push(
        `deno.json export ${JSON.stringify(key)} -> ${target} does not exist`,
      );
    }

    const specifier = subpathSpecifier(deno.name, key);
    const mapped = deno.imports?.[specifier];
    if (mapped !== target) {
      problems.push(
        `deno.json imports[${JSON.stringify(specifier)}] is ${
          mapped === undefined ? "missing" : JSON.stringify(mapped)
        }, expected ${JSON.stringify(target)}`,
      );
    }

    const entry = pkgExports[key];
    if (entry === undefined) continue;
    const want = distPaths(target);
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      problems.push(
        `package.json export ${JSON.stringify(key)} must be { "types": ${
          JSON.stringify(want.types)
        }, "import": ${JSON.stringify(want.js)} }, got ${
          JSON.stringify(entry)
        }`,
      );
      continue;
    }
    const conditions = Object.keys(entry);
    if (conditions[0] !== "types") {
      problems.push(
        `package.json export ${
          JSON.stringify(key)
        }: "types" must be the first condition`,
      );
    }
    if (entry.types !== want.types) {
      problems.push(
        `package.json export ${JSON.stringify(key)}: "types" is ${
          JSON.stringify(entry.types)
        }, expected ${JSON.stringify(want.types)}`,
      );
    }
    if (entry.import !== want.js) {
      problems.push(
        `package.json export ${JSON.stringify(key)}: "import" is ${
          JSON.stringify(entry.import)
        }, expected ${JSON.stringify(want.js)}`,
      );
    }
    for (const extra of conditions) {
      if (extra !== "types" && extra !== "import") {
        problems.push(
          `package.json export ${JSON.stringify(key)}: unexpected condition ${
            JSON.stringify(extra)
          }`,
        );
      }
    }
  }
  return problems;
}

if (import.meta.main) {
  const problems = await checkExports();
  if (problems.length > 0) {
    console.error(
      `check_exports: ${problems.length} problem(s) in deno.json / package.json exports:`,
    );
    for (const p of problems) console.error(`  - ${p}`);
    Deno.exit(1);
  }
  const { deno } = await readManifests(ROOT);
  const keys = Object.keys(deno.exports);
  console.log(
    `check_exports: ${keys.length} subpath(s) agree: ${keys.join(", ")}`,
  );
}
