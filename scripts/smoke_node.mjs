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
import { resolve } from "node:path";

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

// The package's bin, as `npx ca` runs it: validate and list on this Node.
const manifest = JSON.parse(await readFile("package.json", "utf8"));
for (const [bin, file] of Object.entries(manifest.bin ?? {})) {
  for (const args of [["validate", "examples/deno-to-node.yaml"], ["list"]]) {
    const { spawnSync } = await import("node:child_process");
    // The example's runners are Deno and Node: name them as `npm run ca`
    // finds them (its PATH holds node_modules/.bin), since validate checks
    // that every runner's executable exists.
    const run = spawnSync(process.execPath, [file, ...args], {
      encoding: "utf8",
      env: {
        ...process.env,
        CA_DENO: resolve("node_modules/.bin/deno"),
        CA_NODE: process.execPath,
      },
    });
    const shown = `${bin} ${args.join(" ")}`;
    if (run.status !== 0) {
      problems.push(`${shown}: exit ${run.status}: ${run.stderr.trim()}`);
    } else if (args[0] === "validate" && !run.stdout.startsWith("ok: ")) {
      problems.push(`${shown}: expected "ok: ...", got ${run.stdout}`);
    } else if (
      args[0] === "list" && !run.stdout.includes("file-sink (at-least-once)")
    ) {
      problems.push(`${shown}: file-sink missing from ${run.stdout}`);
    } else {
      console.log(`ok ${shown} (${file}): ${run.stdout.split("\n")[0]}`);
    }
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
