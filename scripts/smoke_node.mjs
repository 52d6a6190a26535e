/**
 * Node smoke test of the built package: imports every `package.json` export
 * subpath by the package's own name (self-reference, so it resolves through
 * `exports` to `dist/`) and checks its named exports.
 *
 * Usage (Node 22+, after `npm run build`):
 *   node_modules/node24/bin/node scripts/smoke_node.mjs [expected.json]
 *
 * `expected.json` maps each subpath to the export names its Deno source has
 * (`scripts/test.ts` writes it); every subpath must then export exactly those
 * names. Without it, each subpath must merely export something.
 *
 * @module
 */

import { readFile } from "node:fs/promises";

const pkg = JSON.parse(
  await readFile(new URL("../package.json", import.meta.url), "utf8"),
);
const expectedFile = process.argv[2];
const expected = expectedFile
  ? JSON.parse(await readFile(expectedFile, "utf8"))
  : undefined;

const problems = [];
const subpaths = Object.keys(pkg.exports ?? {});
if (subpaths.length === 0) problems.push("package.json has no exports");

for (const subpath of subpaths) {
  const specifier = subpath === "."
    ? pkg.name
    : `${pkg.name}/${subpath.replace(/^\.\//, "")}`;
  const before = problems.length;
  let mod;
  try {
    mod = await import(specifier);
  } catch (err) {
    problems.push(`import("${specifier}") failed: ${err?.stack ?? err}`);
    continue;
  }
  const names = Object.keys(mod).sort();
  const want = expected?.[subpath];
  if (expected && !want) {
    problems.push(
      `${specifier}: no expected export list for subpath "${subpath}"`,
    );
  } else if (want) {
    const missing = want.filter((name) => !names.includes(name));
    const extra = names.filter((name) => !want.includes(name));
    if (missing.length > 0) {
      problems.push(`${specifier}: missing exports ${missing.join(", ")}`);
    }
    if (extra.length > 0) {
      problems.push(`${specifier}: unexpected exports ${extra.join(", ")}`);
    }
  } else if (names.length === 0) {
    problems.push(`${specifier}: exports nothing`);
  }
  for (const name of names) {
    if (mod[name] === undefined) {
      problems.push(`${specifier}: export ${name} is undefined`);
    }
  }
  if (problems.length === before) {
    console.log(
      `ok ${specifier} (${names.length} exports: ${names.join(", ")})`,
    );
  }
}

if (problems.length > 0) {
  console.error(
    `smoke_node ${process.version}: ${problems.length} problem(s):`,
  );
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log(
  `smoke_node ${process.version}: ${subpaths.length} subpath(s) import`,
);
