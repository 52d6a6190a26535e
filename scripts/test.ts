/**
 * The `npm test` driver: runs every check of the repository in sequence.
 *
 * Each step prints a header and the commands it runs, streams their output,
 * and fails on a non-zero exit. Every step runs even after a failure (steps
 * that need `dist/` fail at once when the build failed), then a summary names
 * the failed steps and repeats the end of their output. The last line is
 * always `steps: N passed, M failed`; the exit code is 1 when M > 0.
 *
 * Usage:
 *   deno run -A scripts/test.ts                  # all steps
 *   deno run -A scripts/test.ts --only lint,test-deno
 *   deno run -A scripts/test.ts --list           # step names
 *
 * `--only` (repeatable, comma separated) runs just the named steps; the
 * `runtimes` step always runs first. Steps that test `dist/` use the existing
 * build when `build` is not selected.
 *
 * @module
 */

import { readManifests, ROOT, subpathSpecifier } from "./_manifest.ts";

const DENO = path("node_modules/.bin/deno");
const NODE22 = path("node_modules/node22/bin/node");
const NODE24 = path("node_modules/node24/bin/node");
const TSC = path("node_modules/typescript/bin/tsc");
const ESBUILD = path("node_modules/.bin/esbuild");
const TMP = new URL(".tmp/", ROOT);

/** Longest a single command may run before it is stopped and fails. */
const COMMAND_TIMEOUT_MS = 10 * 60_000;
/** How long to keep reading a finished command's output pipes. */
const PIPE_GRACE_MS = 5_000;
/** Lines of a failed step's output repeated in the summary. */
const SUMMARY_TAIL_LINES = 60;

/** An absolute file path below the repository root. */
function path(relative: string): string {
  return decodeURIComponent(new URL(relative, ROOT).pathname);
}

/** Thrown by a step to fail with a message (its output is kept as well). */
class StepFailure extends Error {
  override name = "StepFailure";
}

interface Step {
  name: string;
  title: string;
  /** Steps whose failure in this run makes this one fail without running. */
  needs?: string[];
  run(): Promise<void>;
}

interface Outcome {
  step: Step;
  ok: boolean;
  ms: number;
  reason?: string;
  output: string;
}

const encoder = new TextEncoder();
let captured: string[] = [];

async function writeAll(
  target: typeof Deno.stdout,
  bytes: Uint8Array,
): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await target.write(bytes.subarray(written));
  }
}

/** Prints a line and keeps it in the current step's output. */
async function say(line: string): Promise<void> {
  captured.push(line + "\n");
  await writeAll(Deno.stdout, encoder.encode(line + "\n"));
}

const childEnv: Record<string, string> = {};
if (Deno.env.get("CI") && Deno.env.get("NO_COLOR") === undefined) {
  childEnv.NO_COLOR = "1";
}

/**
 * Runs a command in the repository root, streaming and capturing its output.
 *
 * @param cmd the executable
 * @param args its arguments
 * @param options `timeoutMs` (default {@link COMMAND_TIMEOUT_MS}) stops it
 * @returns everything it printed
 * @throws {StepFailure} on a non-zero exit, a signal or a timeout
 */
export async function exec(
  cmd: string,
  args: string[],
  options: { timeoutMs?: number } = {},
): Promise<string> {
  const shown = [cmd, ...args].map((a) =>
    a.startsWith(path("")) ? a.slice(path("").length) : a
  )
    .map((a) =>
      /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`
    )
    .join(" ");
  await say(`$ ${shown}`);
  const timeoutMs = options.timeoutMs ?? COMMAND_TIMEOUT_MS;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let text = "";
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(cmd, {
      args,
      cwd: ROOT,
      env: childEnv,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: controller.signal,
    }).spawn();
  } catch (err) {
    clearTimeout(timer);
    throw new StepFailure(
      `cannot start ${shown}: ${err instanceof Error ? err.message : err}`,
    );
  }
  const readers = [child.stdout.getReader(), child.stderr.getReader()];
  const pump = async (
    reader: ReadableStreamDefaultReader<Uint8Array>,
    target: typeof Deno.stdout,
  ) => {
    const decoder = new TextDecoder();
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      const piece = decoder.decode(value, { stream: true });
      text += piece;
      captured.push(piece);
      await writeAll(target, value);
    }
  };
  const pumps = Promise.all([
    pump(readers[0], Deno.stdout),
    pump(readers[1], Deno.stderr),
  ]);
  const status = await child.status;
  // A background process the command left behind may still hold its output
  // pipes open; read on for a moment, then stop waiting for them.
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const drained = await Promise.race([
    pumps.then(() => true),
    new Promise<boolean>((resolve) => {
      graceTimer = setTimeout(() => resolve(false), PIPE_GRACE_MS);
    }),
  ]);
  clearTimeout(graceTimer);
  if (!drained) {
    await Promise.all(readers.map((r) => r.cancel().catch(() => {})));
    await say(
      `note: output still open ${
        PIPE_GRACE_MS / 1000
      } s after the command ended (a process it started holds it); no longer reading it`,
    );
  }
  clearTimeout(timer);
  if (controller.signal.aborted) {
    throw new StepFailure(
      `${shown} timed out after ${
        Math.round(timeoutMs / 1000)
      } s and was stopped`,
    );
  }
  if (!status.success) {
    throw new StepFailure(
      `${shown} exited with ${
        status.signal ? `signal ${status.signal}` : `code ${status.code}`
      }`,
    );
  }
  return text;
}

async function exists(url: URL | string): Promise<boolean> {
  try {
    await Deno.stat(url);
    return true;
  } catch {
    return false;
  }
}

/**
 * Which test files the test steps run. They are found by pattern, never by a
 * list of folders, so a new folder cannot be skipped by accident. The rules,
 * all of them here:
 *
 * - Every `*_test.ts` below `src/`, `connectors/` and `tests/` (at any depth)
 *   runs on Deno (step test-deno) and on Node 22 and 24 (test-node22,
 *   test-node24). The tests beside the code import it by relative path, so
 *   they run the TypeScript source on every runtime (Node strips the types);
 *   those in `tests/` that test exported behaviour import the package by
 *   name (`@ca/streams`, `@ca/streams/channel`, ...): deno.json's import map
 *   resolves that to the source, Node's package self-reference to `dist/`.
 * - `tests/workerd/` runs in step test-workerd only: Node 24 bundles a
 *   worker and hosts it in workerd (Miniflare); they are neither Deno nor
 *   plain Node tests.
 * - Deno only: a file or folder whose name starts with `deno_` (it needs a
 *   Deno API, such as Deno KV, or drives Deno and Node itself). The Node
 *   runs leave it out; the file says why at its top.
 * - There is no Node-only rule: every other test runs on Deno as well.
 * - `scripts/*_test.ts` ({@link SCRIPT_TESTS}) are programs, not test
 *   modules: their own steps run them.
 *
 * Any other `*_test.ts` in the repository fails every test step, since no
 * step would run it, and so does a file below the roots that Deno would take
 * for a test (`*.test.ts`, `test.ts`, `*_test.js`, ...) but Node would not
 * run: name it `*_test.ts`.
 */
const TEST_ROOTS = ["src/", "connectors/", "tests/"];
/** Tests run by step test-workerd instead of test-deno and the Node runs. */
const WORKERD_TESTS = "tests/workerd/";
/** Files named `*_test.ts` that are programs, with the step that runs each. */
const SCRIPT_TESTS: Record<string, string> = {
  "scripts/crash_test.ts": "crash",
  "scripts/channel_cross_test.ts": "channel-cross",
};
/** Folders of the root that hold no tests of this repository. */
const NOT_SEARCHED = new Set(["node_modules", "dist", "coverage"]);
/** What Deno's `deno test` takes for a test file when given a folder. */
const DENO_TEST_NAME = /(^|[._])test\.(ts|tsx|mts|js|mjs|jsx)$/;

/** The test files of each test step, relative to the root, sorted. */
interface TestPlan {
  deno: string[];
  node: string[];
  workerd: string[];
  /** Deno-only files (`deno_*`), which the Node runs leave out. */
  denoOnly: string[];
}

/** A Deno-only test: a file or folder on its path starts with `deno_`. */
function isDenoOnly(file: string): boolean {
  return file.split("/").some((part) => part.startsWith("deno_"));
}

/** Every file below `dir` (relative to the root), but hidden folders and {@link NOT_SEARCHED}. */
async function filesBelow(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(new URL(dir || "./", ROOT))) {
    const name = `${dir}${entry.name}`;
    if (entry.isDirectory) {
      if (
        entry.name.startsWith(".") || (!dir && NOT_SEARCHED.has(entry.name))
      ) {
        continue;
      }
      files.push(...await filesBelow(`${name}/`));
    } else if (entry.isFile) files.push(name);
  }
  return files;
}

/**
 * Finds the test files by the rules above.
 *
 * @returns the files of each test step
 * @throws {StepFailure} when a test file is one no step runs
 */
async function testPlan(): Promise<TestPlan> {
  const plan: TestPlan = { deno: [], node: [], workerd: [], denoOnly: [] };
  const unrun: string[] = [];
  for (const file of (await filesBelow("")).sort()) {
    const name = file.slice(file.lastIndexOf("/") + 1);
    const inRoots = TEST_ROOTS.some((root) => file.startsWith(root));
    if (!name.endsWith("_test.ts")) {
      if (inRoots && DENO_TEST_NAME.test(name)) {
        unrun.push(`${file} (Deno would run it, Node not: name it *_test.ts)`);
      }
    } else if (file.startsWith(WORKERD_TESTS)) plan.workerd.push(file);
    else if (inRoots) {
      plan.deno.push(file);
      if (isDenoOnly(file)) plan.denoOnly.push(file);
      else plan.node.push(file);
    } else if (!(file in SCRIPT_TESTS)) unrun.push(file);
  }
  if (unrun.length > 0) {
    throw new StepFailure(
      `no step runs ${unrun.join(", ")}: test files belong below ${
        TEST_ROOTS.join(", ")
      } (see the rules above testPlan() in scripts/test.ts)`,
    );
  }
  return plan;
}

/** Prints how many test files of each folder a step runs, and what it leaves out. */
async function sayTestFiles(
  files: string[],
  leftOut: [what: string, files: string[]][],
): Promise<void> {
  const perFolder = new Map<string, number>();
  for (const file of files) {
    const folder = file.slice(0, file.lastIndexOf("/") + 1);
    perFolder.set(folder, (perFolder.get(folder) ?? 0) + 1);
  }
  await say(
    `test files (*_test.ts, found by pattern): ${files.length} in ${perFolder.size} folders`,
  );
  for (const [folder, count] of [...perFolder].sort()) {
    await say(`  ${String(count).padStart(3)}  ${folder}`);
  }
  for (const [what, left] of leftOut) {
    if (left.length > 0) {
      await say(`  left out, ${what}: ${left.join(", ")}`);
    }
  }
}

async function exportTargets(): Promise<Record<string, string>> {
  const { deno } = await readManifests(ROOT);
  return deno.exports;
}

async function requireDist(): Promise<void> {
  const { pkg } = await readManifests(ROOT);
  for (const entry of Object.values(pkg.exports)) {
    for (const file of [entry.import, entry.types]) {
      if (typeof file === "string" && !(await exists(new URL(file, ROOT)))) {
        throw new StepFailure(
          `${file} is missing: run the build step first (npm run build)`,
        );
      }
    }
  }
}

async function versionOf(
  cmd: string,
  label: string,
  prefix?: string,
): Promise<void> {
  const out = (await exec(cmd, ["--version"])).trim();
  if (prefix !== undefined && !out.startsWith(prefix)) {
    throw new StepFailure(
      `${label} reports ${
        JSON.stringify(out.split("\n")[0])
      }, expected a version starting with ${prefix}`,
    );
  }
}

async function nodeRun(
  node: string,
  label: string,
  major: string,
  args: string[],
): Promise<void> {
  await versionOf(node, label, `v${major}.`);
  await exec(node, args);
}

const steps: Step[] = [
  {
    name: "runtimes",
    title: "runtime and tool versions (deno, node22, node24, tsc, esbuild)",
    async run() {
      const { pkg } = await readManifests(ROOT);
      const pinned = pkg.devDependencies?.deno;
      await versionOf(
        DENO,
        "node_modules/.bin/deno",
        pinned ? `deno ${pinned} ` : "deno ",
      );
      if (pinned && Deno.version.deno !== pinned) {
        await say(
          `note: this driver runs on deno ${Deno.version.deno}; steps use node_modules/.bin/deno (${pinned})`,
        );
      }
      await versionOf(NODE22, "node_modules/node22/bin/node", "v22.");
      await versionOf(NODE24, "node_modules/node24/bin/node", "v24.");
      await exec(NODE24, [TSC, "--version"]);
      await exec(ESBUILD, ["--version"]);
    },
  },
  {
    name: "exports",
    title:
      "deno.json and package.json export the same subpaths (scripts/check_exports.ts)",
    async run() {
      await exec(DENO, ["run", "-A", "scripts/check_exports.ts"]);
    },
  },
  {
    name: "catalog",
    title:
      "the README's catalog lists every registered definition (scripts/catalog.ts --check)",
    async run() {
      await exec(DENO, ["run", "-A", "scripts/catalog.ts", "--check"]);
    },
  },
  {
    name: "fmt",
    title: "deno fmt --check",
    async run() {
      await exec(DENO, ["fmt", "--check"]);
    },
  },
  {
    name: "lint",
    title: "deno lint",
    async run() {
      await exec(DENO, ["lint"]);
    },
  },
  {
    name: "tsc-web",
    title:
      "web-only type check of mod.ts and src/ (tsc -p tsconfig.web.json: ES + DOM libs, no Deno or Node types)",
    async run() {
      await exec(NODE24, [TSC, "--version"]);
      await exec(NODE24, [TSC, "-p", "tsconfig.web.json"]);
    },
  },
  {
    name: "check",
    title: "deno check (the whole repository but dist/ and node_modules/)",
    async run() {
      await exec(DENO, ["check"]);
    },
  },
  {
    name: "test-deno",
    title:
      "deno test -A --doc (every *_test.ts in src/, connectors/ and tests/ but tests/workerd/, and the doc examples of mod.ts, src/ and connectors/)",
    async run() {
      const plan = await testPlan();
      await sayTestFiles(plan.deno, [[
        "step test-workerd",
        plan.workerd,
      ]]);
      // Deno finds the tests in src/ and connectors/ itself (their doc
      // examples need the folders); tests/ goes by file.
      const paths = ["mod.ts", "src/", "connectors/"];
      paths.push(...plan.deno.filter((file) => file.startsWith("tests/")));
      await exec(DENO, ["test", "-A", "--doc", ...paths]);
    },
  },
  {
    name: "doc-lint",
    title: "deno doc --lint on every deno.json export",
    async run() {
      await exec(DENO, [
        "doc",
        "--lint",
        ...Object.values(await exportTargets()),
      ]);
    },
  },
  {
    name: "layers",
    title:
      "folders of src/ and connectors/ import without cycles; src/ imports no connector and no runtime module (scripts/check_layers.ts)",
    async run() {
      await exec(DENO, ["run", "-A", "scripts/check_layers.ts"]);
    },
  },
  {
    name: "examples",
    title:
      "every export of every deno.json entry has an @example with code (scripts/check_examples.ts)",
    async run() {
      await exec(DENO, ["run", "-A", "scripts/check_examples.ts"]);
    },
  },
  {
    name: "docs",
    title:
      "every ```ts block of README.md, CHANGELOG.md, docs/, examples/ and connectors/README.md type-checks, `ts ignore` ones too (scripts/check_docs.ts)",
    async run() {
      await exec(DENO, ["run", "-A", "scripts/check_docs.ts"]);
    },
  },
  {
    name: "package",
    title:
      "package.json has repository, homepage and bugs; every relative link of README.md and CHANGELOG.md points at a file both the npm and the JSR package ship (scripts/check_package.ts)",
    async run() {
      await exec(DENO, ["run", "-A", "scripts/check_package.ts"]);
    },
  },
  {
    name: "publish",
    title:
      "deno publish --dry-run --allow-dirty (offline: the dry run contacts no registry)",
    async run() {
      await exec(DENO, ["publish", "--dry-run", "--allow-dirty"]);
    },
  },
  {
    name: "build",
    title: "build dist/ (esbuild bundles + tsc declarations, scripts/build.ts)",
    async run() {
      await exec(DENO, ["run", "-A", "scripts/build.ts"]);
    },
  },
  {
    name: "types",
    title:
      "dist/*.d.ts resolve by package name for a Node consumer (all entries, @types/node), a Node consumer without the DOM lib (all entries, lib ES2024 + @types/node) and a web consumer (root entry, no Node types)",
    needs: ["build"],
    async run() {
      await requireDist();
      const { deno } = await readManifests(ROOT);
      const subpaths = Object.keys(deno.exports);
      await consumerCheck("consumer_node", deno.name, subpaths, {
        module: "NodeNext",
        moduleResolution: "NodeNext",
        types: ["node"],
      });
      // A Node project's usual tsconfig: no DOM lib, the web globals come
      // from @types/node, so the typings may name no DOM-only type.
      await consumerCheck("consumer_node_nodom", deno.name, subpaths, {
        module: "NodeNext",
        moduleResolution: "NodeNext",
        types: ["node"],
        lib: ["ES2024"],
      });
      await consumerCheck("consumer_web", deno.name, ["."], {
        module: "ESNext",
        moduleResolution: "Bundler",
        types: [],
      });
    },
  },
  {
    name: "bundle",
    title:
      "root entry bundled by esbuild from mod.ts and dist/: no zod or yaml, { pipeline, map, filter, collect } from dist/ <= 9 KB min+gzip (scripts/check_bundle.ts)",
    needs: ["build"],
    async run() {
      await requireDist();
      await exec(DENO, ["run", "-A", "scripts/check_bundle.ts"]);
    },
  },
  {
    name: "smoke-node",
    title:
      "Node 22 and Node 24 import every package.json export by name (scripts/smoke_node.mjs)",
    needs: ["build"],
    async run() {
      await requireDist();
      await Deno.mkdir(TMP, { recursive: true });
      const expected = path(".tmp/expected_exports.json");
      await exec(DENO, [
        "run",
        "-A",
        "scripts/test.ts",
        "--write-exports",
        expected,
      ]);
      await say(
        `expected export names (from the Deno sources): ${
          expected.slice(path("").length)
        }`,
      );
      let failed: string | undefined;
      for (
        const [node, label, major] of [[NODE22, "node22", "22"], [
          NODE24,
          "node24",
          "24",
        ]]
      ) {
        try {
          await nodeRun(node, label, major, [
            "scripts/smoke_node.mjs",
            expected,
          ]);
        } catch (err) {
          failed = failed ?? (err instanceof Error ? err.message : String(err));
        }
      }
      if (failed) throw new StepFailure(failed);
    },
  },
  {
    name: "test-node22",
    title:
      "tests on Node 22 (node --test: every *_test.ts in src/, connectors/ and tests/ but deno_* and tests/workerd/; those in tests/ import the package by name, so dist/)",
    needs: ["build"],
    async run() {
      await nodeTests(NODE22, "node22", "22");
    },
  },
  {
    name: "test-node24",
    title:
      "tests on Node 24 (node --test: every *_test.ts in src/, connectors/ and tests/ but deno_* and tests/workerd/; those in tests/ import the package by name, so dist/)",
    needs: ["build"],
    async run() {
      await nodeTests(NODE24, "node24", "24");
    },
  },
  {
    name: "crash",
    title:
      "crash scenarios, short form: SIGKILL a pipeline 3 times over 10,000 records (file store), a graph (two sources merged, fanned out to two sinks, one behind a route) 3 times over 10,000 records per source, `ca serve` with 20 connectors on the PostgreSQL definition and checkpoint stores 3 times over 20,000 records per connector, and a pipeline twice over 4,000,000 unthrottled records without and with checkpoint.maxUncommittedRecords (scripts/crash_test.ts; all of them in full: npm run test:crash:all)",
    async run() {
      const crash = (scenario: string, records: string, kills: string) =>
        exec(DENO, [
          "run",
          "-A",
          "scripts/crash_test.ts",
          "--scenario",
          scenario,
          "--records",
          records,
          "--kills",
          kills,
        ]);
      await crash("file", "10000", "3");
      await crash("graph", "10000", "3");
      await crash("host", "20000", "3");
      await crash("unthrottled", "4000000", "2");
    },
  },
  {
    name: "channel-cross",
    title:
      "cross-runtime channel: Deno writes 1,000,000 records over TCP, then over WebSocket, to a Node 24 reader (the package from dist/), killed and restarted once (scripts/channel_cross_test.ts)",
    needs: ["build"],
    async run() {
      await requireDist();
      for (const transport of ["tcp", "ws"]) {
        await exec(DENO, [
          "run",
          "-A",
          "scripts/channel_cross_test.ts",
          "--transport",
          transport,
        ]);
      }
    },
  },
  {
    name: "test-workerd",
    title:
      "workerd tests in Miniflare on Node 24 (node --test tests/workerd/*_test.ts; the workers and the tests import the package by name, so dist/)",
    needs: ["build"],
    async run() {
      await requireDist();
      const plan = await testPlan();
      const files = plan.workerd;
      await sayTestFiles(files, []);
      if (files.length === 0) {
        throw new StepFailure(
          "tests/workerd/ has no *_test.ts files: nothing tests workerd",
        );
      }
      await nodeRun(NODE24, "node24", "24", [
        "--test",
        "--test-reporter=spec",
        ...files,
      ]);
    },
  },
];

/**
 * Type-checks a generated consumer in `.tmp/<name>/` that imports `subpaths`
 * of the package by name (self-reference, so `exports` "types" resolve to
 * `dist/`), with `skipLibCheck` off so the `.d.ts` files themselves are checked.
 */
async function consumerCheck(
  name: string,
  pkgName: string,
  subpaths: string[],
  options: {
    module: string;
    moduleResolution: string;
    types: string[];
    lib?: string[];
  },
): Promise<void> {
  const dir = new URL(`${name}/`, TMP);
  await Deno.mkdir(dir, { recursive: true });
  const lines = subpaths.map((key, i) =>
    `import * as entry${i} from ${
      JSON.stringify(subpathSpecifier(pkgName, key))
    };`
  );
  const names = subpaths.map((_, i) => `entry${i}`);
  lines.push(
    "",
    `export const entries: unknown[] = [${names.join(", ")}];`,
    "",
  );
  await Deno.writeTextFile(new URL("index.ts", dir), lines.join("\n"));
  const compilerOptions = {
    target: "ES2022",
    lib: ["ES2024", "DOM", "DOM.Iterable", "DOM.AsyncIterable"],
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    ...options,
  };
  await Deno.writeTextFile(
    new URL("tsconfig.json", dir),
    JSON.stringify({ compilerOptions, files: ["index.ts"] }, null, 2) + "\n",
  );
  await exec(NODE24, [TSC, "-p", path(`.tmp/${name}/tsconfig.json`)]);
  await say(
    `ok: ${name} (${options.moduleResolution}, types ${
      JSON.stringify(options.types)
    }, lib ${JSON.stringify(compilerOptions.lib)}) type-checks ${
      subpaths.map((key) => subpathSpecifier(pkgName, key)).join(", ")
    }`,
  );
}

async function nodeTests(
  node: string,
  label: string,
  major: string,
): Promise<void> {
  await requireDist();
  const plan = await testPlan();
  await sayTestFiles(plan.node, [
    ["Deno only (deno_*)", plan.denoOnly],
    ["step test-workerd", plan.workerd],
  ]);
  if (!plan.node.some((file) => file.startsWith("tests/"))) {
    throw new StepFailure(
      "tests/ has no *_test.ts files for Node: nothing tests the built package",
    );
  }
  await nodeRun(node, label, major, [
    "--test",
    "--test-reporter=spec",
    ...plan.node,
  ]);
}

/** `--write-exports FILE`: records the export names of each Deno entry point. */
async function writeExports(file: string): Promise<void> {
  const result: Record<string, string[]> = {};
  for (const [key, target] of Object.entries(await exportTargets())) {
    const mod = await import(new URL(target, ROOT).href);
    result[key] = Object.keys(mod).sort();
  }
  await Deno.writeTextFile(file, JSON.stringify(result, null, 2) + "\n");
}

function parseArgs(
  args: string[],
): { only?: Set<string>; list: boolean; writeExports?: string } {
  let only: Set<string> | undefined;
  let list = false;
  let writeExports: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--list") list = true;
    else if (arg === "--only" || arg.startsWith("--only=")) {
      const value = arg === "--only" ? args[++i] : arg.slice("--only=".length);
      if (!value) {
        throw new TypeError("Cannot parse arguments: --only needs a step name");
      }
      only ??= new Set();
      for (const name of value.split(",")) if (name) only.add(name.trim());
    } else if (arg === "--write-exports") {
      writeExports = args[++i];
      if (!writeExports) {
        throw new TypeError(
          "Cannot parse arguments: --write-exports needs a file",
        );
      }
    } else {
      throw new TypeError(
        `Cannot parse arguments: unknown argument ${JSON.stringify(arg)}`,
      );
    }
  }
  if (only) {
    const known = new Set(steps.map((s) => s.name));
    const unknown = [...only].filter((n) => !known.has(n));
    if (unknown.length > 0) {
      throw new TypeError(
        `Cannot parse arguments: unknown step ${
          unknown.join(", ")
        }; steps are ${[...known].join(", ")}`,
      );
    }
  }
  return { only, list, writeExports };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(Deno.args);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    return 2;
  }
  if (parsed.writeExports) {
    await writeExports(parsed.writeExports);
    return 0;
  }
  if (parsed.list) {
    for (const s of steps) console.log(`${s.name.padEnd(13)} ${s.title}`);
    return 0;
  }

  const selected = steps.filter((s) =>
    !parsed.only || s.name === "runtimes" || parsed.only.has(s.name)
  );
  const notSelected = steps.filter((s) => !selected.includes(s));
  if (notSelected.length > 0) {
    await say(`--only: running ${selected.map((s) => s.name).join(", ")}`);
    await say(
      `--only: not running ${notSelected.map((s) => s.name).join(", ")}`,
    );
  }

  const outcomes: Outcome[] = [];
  const started = performance.now();
  for (const [index, step] of selected.entries()) {
    captured = [];
    await say("");
    await say(
      `==> [${index + 1}/${selected.length}] ${step.name}: ${step.title}`,
    );
    const t0 = performance.now();
    let ok = true;
    let reason: string | undefined;
    const blocker = step.needs?.find((need) =>
      outcomes.some((o) => o.step.name === need && !o.ok)
    );
    if (blocker) {
      ok = false;
      reason = `not run: step ${blocker} failed`;
    } else {
      try {
        await step.run();
      } catch (err) {
        ok = false;
        reason = err instanceof StepFailure
          ? err.message
          : `unexpected error: ${
            err instanceof Error ? err.stack ?? err.message : String(err)
          }`;
      }
    }
    const ms = performance.now() - t0;
    await say(
      `<== ${step.name}: ${ok ? "passed" : `FAILED (${reason})`} in ${
        seconds(ms)
      }`,
    );
    outcomes.push({ step, ok, ms, reason, output: captured.join("") });
  }

  const failed = outcomes.filter((o) => !o.ok);
  const passed = outcomes.length - failed.length;
  console.log("");
  console.log(`==> summary (${seconds(performance.now() - started)})`);
  for (const o of outcomes) {
    console.log(
      `  ${o.ok ? "pass" : "FAIL"}  ${o.step.name.padEnd(13)} ${
        seconds(o.ms).padStart(8)
      }${o.ok ? "" : `  ${o.reason}`}`,
    );
  }
  for (const s of notSelected) {
    console.log(`  ----  ${s.name.padEnd(13)}   not selected (--only)`);
  }
  for (const o of failed) {
    const lines = o.output.trimEnd().split("\n");
    const tail = lines.slice(-SUMMARY_TAIL_LINES);
    console.log("");
    console.log(`==> failed step ${o.step.name}: ${o.reason}`);
    if (lines.length > tail.length) {
      console.log(
        `  (last ${tail.length} of ${lines.length} lines of its output)`,
      );
    }
    for (const line of tail) console.log(`  | ${line}`);
  }
  if (failed.length > 0) {
    console.log("");
    console.log(`failed steps: ${failed.map((o) => o.step.name).join(", ")}`);
  }
  console.log(`steps: ${passed} passed, ${failed.length} failed`);
  return failed.length > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
