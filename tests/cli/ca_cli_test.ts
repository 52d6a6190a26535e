// Copyright 2026 the @ca/streams authors. MIT license.
// The `ca` command as a user meets it, run as a child process on both
// hosts: `deno run -A connectors/cli/ca.ts` and Node 24 (`dist/` under the
// Node test steps, which run after the build; the source, with type
// stripping, under `deno test`, which runs before it). Broken startups
// give the documented exit code in one line without a stack trace, the
// same on both hosts; `ca init` writes a config that runs; `ca schema`
// checks configs as `ca validate` does; `ca list` shows every kind;
// `ca validate` takes several files and stdin; help and "did you mean".
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parse as parseYaml } from "yaml";

const ROOT = new URL("../../", import.meta.url);
const path = (relative: string) =>
  decodeURIComponent(new URL(relative, ROOT).pathname);
const DENO = path("node_modules/.bin/deno");
const NODE24 = path("node_modules/node24/bin/node");
const UNDER_DENO = "Deno" in globalThis;
const HOSTS = {
  deno: [DENO, "run", "-A", path("connectors/cli/ca.ts")],
  node: [
    NODE24,
    path(UNDER_DENO ? "connectors/cli/ca.ts" : "dist/connectors/cli/ca.js"),
  ],
} as const;
type Host = keyof typeof HOSTS;
const BOTH: Host[] = ["deno", "node"];

interface Result {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

interface CaOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  stdin?: string;
  /** Called with the child once stdout has `text`. */
  onStdout?: (text: string, kill: (signal: NodeJS.Signals) => void) => void;
}

/** Runs `ca` on `host` to its end. */
function ca(
  host: Host,
  args: string[],
  options: CaOptions = {},
): Promise<Result> {
  const [command, ...prefix] = HOSTS[host];
  const env: Record<string, string> = {};
  for (
    const [key, value] of Object.entries({
      ...process.env,
      CA_DENO: DENO,
      CA_NODE: NODE24,
      ...options.env,
    })
  ) {
    if (value !== undefined) env[key] = value;
  }
  const child = spawn(command!, [...prefix, ...args], {
    cwd: options.cwd,
    env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    // process.kill, not child.kill: Deno's node:child_process then reports
    // any exit of the child as that signal, even a handled one (exit 130).
    options.onStdout?.(stdout, (signal) => process.kill(child.pid!, signal));
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.end(options.stdin ?? "");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`ca ${args.join(" ")} on ${host} took over 60 s`));
    }, 60_000);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

/** Exactly one line on stderr, no stack trace; returns it. */
function oneLine(result: Result, what: string): string {
  const all = lines(result.stderr);
  assert.equal(
    all.length,
    1,
    `${what}: one stderr line, got:\n${result.stderr}`,
  );
  assert.doesNotMatch(result.stderr, /^\s+at /m, `${what}: a stack trace`);
  return all[0]!;
}

async function tempDir(prefix: string): Promise<string> {
  return await mkdtemp(join(tmpdir(), prefix));
}

/** A config of a generator and a console-sink on `runners`, plus `extra`. */
function config(
  id: string,
  options: {
    runners?: string;
    checkpoint?: string;
    modules?: string;
    middle?: string;
    sink?: string;
  } = {},
): string {
  return `id: ${id}
runners:
${options.runners ?? "  main: { runtime: deno }"}
${options.modules ? `modules: ${options.modules}\n` : ""}${
    options.checkpoint ? `checkpoint:\n  store: ${options.checkpoint}\n` : ""
  }processors:
  - { name: numbers, use: generate, args: { count: 10 } }
${options.middle ?? ""}  - ${options.sink ?? "{ name: out, use: console-sink }"}
`;
}

/**
 * The startup cases: a config, what `validate` and `run` exit with, and
 * what the one line says.
 */
interface StartupCase {
  name: string;
  files: Record<string, string>;
  env?: Record<string, string | undefined>;
  validate: number;
  connect?: number;
  run: number;
  says: RegExp;
}

const STARTUP_CASES: StartupCase[] = [
  {
    name: "a runner executable that does not exist",
    files: {
      "c.yaml": config("badexe", {
        runners:
          "  main: { runtime: deno }\n  other: { runtime: node, executable: /nonexistent/bin/node }",
        sink: "{ name: out, use: console-sink, runner: other }",
      }).replace(
        "args: { count: 10 } }",
        "runner: main, args: { count: 10 } }",
      ),
    },
    validate: 2,
    run: 2,
    says:
      /^ca: c\.yaml: \/runners\/other\/executable: cannot start runner "other": "\/nonexistent\/bin\/node" is not an executable file$/,
  },
  {
    name: "the Python interpreter missing",
    files: {
      "c.yaml": config("nopython", {
        runners: `  main: { runtime: deno }\n  py: { runtime: python, script: ${
          path("examples/python_runner/runner.py")
        } }`,
        middle:
          "  - { name: upper, use: py-upper, runner: py, args: { field: name } }\n",
        sink: "{ name: out, use: console-sink, runner: main }",
      }).replace(
        "args: { count: 10 } }",
        "runner: main, args: { count: 10 } }",
      ),
    },
    env: { PATH: "/nonexistent-bin", CA_PYTHON: undefined },
    validate: 2,
    run: 2,
    says:
      /^ca: c\.yaml: \/runners\/py: cannot start runner "py": the Python interpreter "python3" is not on PATH; install it, or name it with executable: or \$CA_PYTHON$/,
  },
  {
    name: "a postgres store url that is not a URL",
    files: {
      "c.yaml": config("badurl", {
        checkpoint: '{ type: postgres, url: "not a url" }',
      }),
    },
    validate: 2,
    run: 2,
    says: /^ca: c\.yaml: \/checkpoint\/store\/url: .*"not a url"/,
  },
  {
    name: "a module that does not exist",
    files: { "c.yaml": config("nomodule", { modules: "[./missing.mjs]" }) },
    validate: 2,
    run: 2,
    says:
      /^ca: c\.yaml: \/modules\/0: cannot load module \.\/missing\.mjs: no such file \/.*\/missing\.mjs$/,
  },
  {
    name: "a module that throws while loading",
    files: {
      "c.yaml": config("badmodule", { modules: "[./throws.mjs]" }),
      "throws.mjs": 'throw new Error("this module fails on purpose");\n',
    },
    validate: 2,
    run: 2,
    says:
      /^ca: c\.yaml: \/modules\/0: cannot load module \.\/throws\.mjs: this module fails on purpose$/,
  },
  {
    name: "a store whose server does not answer",
    files: {
      "c.yaml": config("nostore", {
        checkpoint:
          '{ type: postgres, url: "postgres://postgres@127.0.0.1:1/test" }',
      }),
    },
    validate: 0,
    connect: 3,
    run: 3,
    says:
      /Cannot open the postgres store: .*(ECONNREFUSED|refused).*127\.0\.0\.1:1/,
  },
  {
    name: "a store of a child runner whose server does not answer",
    files: {
      "c.yaml": config("nostorechild", {
        runners: "  main: { runtime: node }",
        checkpoint:
          '{ type: postgres, url: "postgres://postgres@127.0.0.1:1/test" }',
      }),
    },
    validate: 0,
    connect: 3,
    run: 3,
    says:
      /^ca: c\.yaml: (\/checkpoint\/store|pipeline nostorechild: runner "main" \(node\) could not start): Cannot open the postgres store: .*127\.0\.0\.1:1/,
  },
  {
    name: "a store whose npm package is not installed",
    files: {
      "c.yaml": config("nopackage", {
        modules: "[./needs_package.mjs]",
        checkpoint: "{ type: needs-package }",
      }),
      "needs_package.mjs": `import { importOptional } from ${
        JSON.stringify(
          new URL("connectors/runtime/import_optional.ts", ROOT).href,
        )
      };
export const store = {
  kind: "store",
  name: "needs-package",
  description: "A store whose client package is missing.",
  args: { "~standard": { version: 1, vendor: "test", validate: (value) => ({ value }) } },
  async create() {
    await importOptional(
      () => import("ca-streams-not-installed"),
      "ca-streams-not-installed",
      "open the needs-package store",
    );
  },
};
`,
    },
    validate: 0,
    connect: 2,
    run: 2,
    says:
      /Cannot open the needs-package store: install the npm package "ca-streams-not-installed" \(npm install ca-streams-not-installed\)$/,
  },
];

for (const item of STARTUP_CASES) {
  test(`ca validate and ca run, ${item.name}: exit ${item.run}, one line without a stack trace, the same on Deno and Node`, async () => {
    const dir = await tempDir("ca_startup_");
    for (const [name, text] of Object.entries(item.files)) {
      await writeFile(join(dir, name), text);
    }
    const commands: [string[], number][] = [
      [["validate", "c.yaml"], item.validate],
      [["run", "c.yaml"], item.run],
    ];
    if (item.connect !== undefined) {
      commands.push([["validate", "--connect", "c.yaml"], item.connect]);
    }
    for (const [args, expected] of commands) {
      const seen: Partial<Record<Host, string>> = {};
      for (const host of BOTH) {
        const result = await ca(host, args, { cwd: dir, env: item.env });
        const what = `ca ${args.join(" ")} on ${host}`;
        assert.equal(result.code, expected, `${what}:\n${result.stderr}`);
        if (expected === 0) {
          assert.equal(result.stderr, "", what);
          assert.match(result.stdout, /^ok: c\.yaml: /, what);
          continue;
        }
        seen[host] = oneLine(result, what);
        assert.match(seen[host]!, item.says, what);
      }
      assert.equal(seen.deno, seen.node, `ca ${args.join(" ")}: the same line`);
    }
    await rm(dir, { recursive: true });
  });
}

test("ca run: a processor that fails exits 1 with the pipeline degraded, no stack trace; --debug adds one", async () => {
  const dir = await tempDir("ca_failed_");
  await writeFile(
    join(dir, "c.yaml"),
    config("fails", {
      sink:
        "{ name: out, use: file-sink, args: { path: /nonexistent/dir/out.ndjson } }",
    }),
  );
  for (const host of BOTH) {
    const result = await ca(host, ["run", "c.yaml"], { cwd: dir });
    assert.equal(result.code, 1, result.stderr);
    assert.doesNotMatch(result.stderr, /^\s+at /m);
    assert.match(result.stderr, /pipeline fails degraded after/);
    assert.match(
      result.stderr,
      /^ca: c\.yaml: pipeline fails: runner "main" \(deno\) failed: .*Cannot open file sink \/nonexistent\/dir\/out\.ndjson/m,
    );
  }
  const debug = await ca("deno", ["run", "--debug", "c.yaml"], { cwd: dir });
  assert.equal(debug.code, 1);
  const startup = await ca("deno", ["validate", "--debug", "x.yaml"], {
    cwd: dir,
  });
  assert.equal(startup.code, 2);
  assert.match(startup.stderr, /cannot read x\.yaml/);
  assert.match(startup.stderr, /^\s+at /m, "--debug prints the stack");
  await rm(dir, { recursive: true });
});

test("ca run: a channel port in use is a runner that cannot start: exit 3, one line", async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const dir = await tempDir("ca_port_");
  await writeFile(
    join(dir, "c.yaml"),
    config("busy", {
      runners: "  main: { runtime: deno }\n  other: { runtime: node }",
      sink: "{ name: out, use: console-sink, runner: other }",
    }).replace("args: { count: 10 } }", "runner: main, args: { count: 10 } }") +
      `channels:\n  - { from: numbers, to: out, port: ${port} }\n`,
  );
  for (const host of BOTH) {
    const connect = await ca(host, ["validate", "--connect", "c.yaml"], {
      cwd: dir,
    });
    assert.equal(connect.code, 3, connect.stderr);
    assert.match(
      oneLine(connect, `validate --connect on ${host}`),
      new RegExp(
        `channel "numbers->out" \\(tcp\\) cannot listen on 127\\.0\\.0\\.1:${port}`,
      ),
    );
    const run = await ca(host, ["run", "c.yaml"], { cwd: dir });
    assert.equal(run.code, 3, run.stderr);
    assert.match(
      oneLine(run, `run on ${host}`),
      /^ca: c\.yaml: pipeline busy: runner "other" \(node\) could not start: /,
    );
  }
  server.close();
  await rm(dir, { recursive: true });
});

test("ca run: a broker that cannot be reached at the start exits 3 naming the connector and the address (Deno and Node runners)", async () => {
  const dir = await tempDir("ca_unreachable_");
  const sources = [
    [
      "redis-stream-source",
      '{ url: "redis://127.0.0.1:1", stream: s, group: g }',
    ],
    [
      "jetstream-source",
      '{ url: "nats://127.0.0.1:1", stream: S, consumer: c }',
    ],
    ["mqtt-source", '{ url: "mqtt://127.0.0.1:1", topic: t, clientId: c }'],
    ["amqp-source", '{ url: "amqp://127.0.0.1:1", queue: q }'],
  ];
  for (
    const [runtime, [use, args]] of [
      ["deno", sources[0]!],
      ["node", sources[1]!],
      ["deno", sources[2]!],
      ["node", sources[3]!],
    ] as const
  ) {
    await writeFile(
      join(dir, "c.yaml"),
      `id: gone
runners:
  main: { runtime: ${runtime} }
processors:
  - { name: in, use: ${use}, args: ${args} }
  - { name: out, use: console-sink }
`,
    );
    const run = await ca("deno", ["run", "c.yaml"], { cwd: dir });
    assert.equal(run.code, 3, `${use} on ${runtime}: ${run.stderr}`);
    assert.match(run.stderr, new RegExp(`${use}`), run.stderr);
    assert.match(run.stderr, /127\.0\.0\.1:1/, run.stderr);
    assert.doesNotMatch(run.stderr, /^\s+at /m, "no stack trace");
  }
  await rm(dir, { recursive: true });
});

test("ca init writes a commented starter config that ca validate accepts and ca run runs; it never overwrites without --force", async () => {
  for (const host of BOTH) {
    const dir = await tempDir("ca_init_");
    const init = await ca(host, ["init"], { cwd: dir });
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /wrote pipeline\.yaml/);
    const text = await readFile(join(dir, "pipeline.yaml"), "utf8");
    assert.match(
      text,
      /^# yaml-language-server: \$schema=\.\/ca\.schema\.json$/m,
    );
    assert.match(text, /ca schema > ca\.schema\.json/);
    assert.match(text, /ca list/);
    assert.match(text, new RegExp(`runtime: ${host}$`, "m"));
    const again = await ca(host, ["init"], { cwd: dir });
    assert.equal(again.code, 64);
    assert.match(
      oneLine(again, "init again"),
      /pipeline\.yaml exists: not overwritten/,
    );
    assert.equal(await readFile(join(dir, "pipeline.yaml"), "utf8"), text);
    assert.equal((await ca(host, ["init", "--force"], { cwd: dir })).code, 0);

    const valid = await ca(host, ["validate", "pipeline.yaml"], { cwd: dir });
    assert.equal(valid.code, 0, valid.stderr);

    if (host === "deno") {
      // The whole run: 100 readings at 20 a second, progress every second.
      const run = await ca(host, [
        "run",
        "pipeline.yaml",
        "--progress-interval",
        "1s",
      ], { cwd: dir });
      assert.equal(run.code, 0, run.stderr);
      const printed = lines(run.stdout);
      assert.equal(printed.length, 100);
      assert.equal(printed[0], '{ id: 0, sensor: "s-1", celsius: 21.5 }');
      assert.equal(printed[99], '{ id: 99, sensor: "s-1", celsius: 21.5 }');
      const progress = lines(run.stderr).filter((l) =>
        / running after /.test(l)
      );
      assert.ok(progress.length >= 3, run.stderr);
      assert.match(
        run.stderr,
        /pipeline starter stopped after [\d.]+ s: 100 records read, 100 written/,
      );
      const rerun = await ca(host, ["run", "pipeline.yaml"], { cwd: dir });
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.equal(rerun.stdout, "", "the rerun resumes after the end");
    } else {
      // Ctrl-C after ten readings; the rerun prints the rest, none twice.
      let interrupted = false;
      const first = await ca(host, ["run", "pipeline.yaml"], {
        cwd: dir,
        onStdout(text, kill) {
          if (!interrupted && lines(text).length >= 10) {
            interrupted = true;
            kill("SIGINT");
          }
        },
      });
      assert.equal(first.code, 130, first.stderr);
      const rest = await ca(host, ["run", "pipeline.yaml"], { cwd: dir });
      assert.equal(rest.code, 0, rest.stderr);
      const ids = [...lines(first.stdout), ...lines(rest.stdout)].map((l) =>
        Number(/^\{ id: (\d+),/.exec(l)![1])
      );
      assert.deepEqual(ids, Array.from({ length: 100 }, (_, i) => i));
      assert.ok(lines(rest.stdout).length < 100, "the rerun resumed");
    }
    await rm(dir, { recursive: true });
  }
});

// A small JSON Schema (draft 2020-12) checker for what `ca schema` uses;
// a keyword it does not know fails the test, so nothing goes unchecked.
type Schema = Record<string, unknown> | boolean;
const ANNOTATIONS = new Set([
  "$schema",
  "$defs",
  "title",
  "description",
  "default",
  "examples",
  "format",
]);

function check(
  schema: Schema,
  value: unknown,
  root: Record<string, unknown>,
  at = "",
): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${at}: not allowed`];
  const errors: string[] = [];
  const fail = (message: string) => errors.push(`${at}: ${message}`);
  const isObject = value !== null && typeof value === "object" &&
    !Array.isArray(value);
  for (const [keyword, rule] of Object.entries(schema)) {
    switch (keyword) {
      case "$ref": {
        const ref = rule as string;
        assert.ok(ref.startsWith("#/$defs/"), `a local $ref: ${ref}`);
        const name = ref.slice("#/$defs/".length).replaceAll("~1", "/")
          .replaceAll("~0", "~");
        const target = (root.$defs as Record<string, Schema>)[name];
        assert.ok(target !== undefined, `$ref ${ref} resolves`);
        errors.push(...check(target, value, root, at));
        break;
      }
      case "type": {
        const types = Array.isArray(rule) ? rule : [rule];
        const ok = types.some((type) =>
          type === "integer"
            ? Number.isInteger(value)
            : type === "number"
            ? typeof value === "number"
            : type === "object"
            ? isObject
            : type === "array"
            ? Array.isArray(value)
            : type === "null"
            ? value === null
            : type === "string"
            ? typeof value === "string"
            : type === "boolean" && typeof value === "boolean"
        );
        if (!ok) fail(`expected ${types.join("|")}`);
        break;
      }
      case "properties":
        if (isObject) {
          for (
            const [key, sub] of Object.entries(rule as Record<string, Schema>)
          ) {
            if (Object.hasOwn(value, key)) {
              errors.push(
                ...check(
                  sub,
                  (value as Record<string, unknown>)[key],
                  root,
                  `${at}/${key}`,
                ),
              );
            }
          }
        }
        break;
      case "required":
        if (isObject) {
          for (const key of rule as string[]) {
            if (!Object.hasOwn(value, key)) fail(`${key} required`);
          }
        }
        break;
      case "additionalProperties":
        if (isObject) {
          const known = Object.keys(
            (schema.properties ?? {}) as Record<string, unknown>,
          );
          for (const [key, item] of Object.entries(value)) {
            if (!known.includes(key)) {
              errors.push(...check(rule as Schema, item, root, `${at}/${key}`));
            }
          }
        }
        break;
      case "propertyNames":
        if (isObject) {
          for (const key of Object.keys(value)) {
            errors.push(...check(rule as Schema, key, root, `${at}/${key}`));
          }
        }
        break;
      case "items":
        if (Array.isArray(value)) {
          value.forEach((item, i) =>
            errors.push(...check(rule as Schema, item, root, `${at}/${i}`))
          );
        }
        break;
      case "minItems":
        if (Array.isArray(value) && value.length < (rule as number)) {
          fail(`at least ${rule} items`);
        }
        break;
      case "minProperties":
        if (isObject && Object.keys(value).length < (rule as number)) {
          fail(`at least ${rule} properties`);
        }
        break;
      case "pattern":
        if (
          typeof value === "string" &&
          !new RegExp(rule as string, "u").test(value)
        ) {
          fail(`does not match ${rule}`);
        }
        break;
      case "minLength":
        if (typeof value === "string" && [...value].length < (rule as number)) {
          fail(`shorter than ${rule}`);
        }
        break;
      case "minimum":
        if (typeof value === "number" && value < (rule as number)) {
          fail(`< ${rule}`);
        }
        break;
      case "maximum":
        if (typeof value === "number" && value > (rule as number)) {
          fail(`> ${rule}`);
        }
        break;
      case "exclusiveMinimum":
        if (typeof value === "number" && value <= (rule as number)) {
          fail(`<= ${rule}`);
        }
        break;
      case "enum":
        if (
          !(rule as unknown[]).some((v) =>
            JSON.stringify(v) === JSON.stringify(value)
          )
        ) {
          fail(`not one of ${JSON.stringify(rule)}`);
        }
        break;
      case "const":
        if (JSON.stringify(rule) !== JSON.stringify(value)) {
          fail(`not ${JSON.stringify(rule)}`);
        }
        break;
      case "anyOf":
      case "oneOf": {
        const passing = (rule as Schema[]).filter((sub) =>
          check(sub, value, root, at).length === 0
        ).length;
        if (keyword === "anyOf" ? passing === 0 : passing !== 1) {
          fail(`${keyword}: ${passing} of ${(rule as Schema[]).length} match`);
        }
        break;
      }
      case "allOf":
        for (const sub of rule as Schema[]) {
          errors.push(...check(sub, value, root, at));
        }
        break;
      case "not":
        if (check(rule as Schema, value, root, at).length === 0) {
          fail("not");
        }
        break;
      case "if": {
        const branch = check(rule as Schema, value, root, at).length === 0
          ? schema.then
          : schema.else;
        if (branch !== undefined) {
          errors.push(...check(branch as Schema, value, root, at));
        }
        break;
      }
      case "then":
      case "else":
        break;
      default:
        assert.ok(
          ANNOTATIONS.has(keyword),
          `a keyword this check knows: ${keyword}`,
        );
    }
  }
  return errors;
}

test("ca schema prints a JSON Schema (draft 2020-12) that accepts the examples and the starter, and rejects what ca validate rejects", async () => {
  const result = await ca("node", ["schema"]);
  assert.equal(result.code, 0, result.stderr);
  const schema = JSON.parse(result.stdout) as Record<string, unknown>;
  assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  const fromDeno = await ca("deno", ["schema"]);
  assert.deepEqual(
    JSON.parse(fromDeno.stdout),
    schema,
    "the same on both hosts",
  );

  const dir = await tempDir("ca_schema_");
  await ca("deno", ["init", "starter.yaml"], { cwd: dir });
  const good: Record<string, string> = {
    "examples/deno-to-node.yaml": await readFile(
      path("examples/deno-to-node.yaml"),
      "utf8",
    ),
    "examples/deno-python-node.yaml": await readFile(
      path("examples/deno-python-node.yaml"),
      "utf8",
    ),
    "examples/fan-out.yaml": await readFile(
      path("examples/fan-out.yaml"),
      "utf8",
    ),
    "starter.yaml": await readFile(join(dir, "starter.yaml"), "utf8"),
    "stores and transports": `id: full
runners: { a: { runtime: deno }, b: { runtime: node } }
checkpoint:
  store: { type: redis, url: "redis://127.0.0.1:6379", prefix: "ca:" }
  everyRecords: \${EVERY:-100}
processors:
  - { name: src, use: generate, runner: a, args: { count: 5, template: { x: [1, { y: null }] } } }
  - { name: keep, use: where, runner: a, args: { field: x, equals: { deep: [true] } } }
  - { name: out, use: console-sink, runner: b, args: { format: json } }
channels:
  - { from: keep, to: out, transport: ws, port: 0, args: { path: /ca } }
`,
  };
  for (const [name, text] of Object.entries(good)) {
    const errors = check(schema, parseYaml(text), schema);
    assert.deepEqual(errors, [], `${name} is accepted`);
  }
  const base = parseYaml(good["examples/deno-to-node.yaml"]!) as Record<
    string,
    unknown
  >;
  /** The example's shape, as far as the breaking below needs it. */
  type Example = {
    processors: Record<string, unknown>[] & { args: Record<string, unknown> }[];
    checkpoint: { store: Record<string, unknown> };
    channels: Record<string, unknown>[];
    runners: Record<string, Record<string, unknown>>;
    [key: string]: unknown;
  };
  const broken: [string, (c: Example) => void][] = [
    ["a negative count", (c) => c.processors[0].args.count = -1],
    ["an unknown arg", (c) => c.processors[0].args.cout = 5],
    ["a file store without dir", (c) => delete c.checkpoint.store.dir],
    [
      "a store arg of another store",
      (c) => c.checkpoint.store.url = "redis://x",
    ],
    [
      "a console-sink format",
      (c) =>
        c.processors[1] = {
          name: "out",
          use: "console-sink",
          args: { format: "fancy" },
        },
    ],
    ["a tcp channel with args", (c) => c.channels[0].args = { path: "/x" }],
    ["a port out of range", (c) => c.channels[0].port = 70000],
    ["an unknown top-level key", (c) => c.procesors = []],
    ["a runtime", (c) => c.runners["runner-1"].runtime = "bun"],
    [
      "a python runner without script",
      (c) => c.runners["runner-1"] = { runtime: "python" },
    ],
    ["one processor", (c) => c.processors.pop()],
    ["from that is a number", (c) => c.processors[1].from = 3],
    ["from that is an empty list", (c) => c.processors[1].from = []],
  ];
  for (const [name, breakIt] of broken) {
    const config = structuredClone(base);
    breakIt(config as Example);
    assert.notDeepEqual(
      check(schema, config, schema),
      [],
      `${name} is rejected`,
    );
    // ca validate rejects it too.
    await writeFile(join(dir, "broken.yaml"), JSON.stringify(config));
    const validate = await ca("deno", ["validate", "broken.yaml"], {
      cwd: dir,
      env: { CA_OUT_DIR: dir },
    });
    assert.equal(validate.code, 2, `${name}: ${validate.stdout}`);
  }
  await rm(dir, { recursive: true });
});

test("ca list shows every kind with its args; ca list FILE adds the config's modules and its Python runner's processors; --json", async () => {
  const text = await ca("node", ["list"]);
  assert.equal(text.code, 0, text.stderr);
  for (
    const title of [
      "Sources (use):",
      "Processors (use):",
      "Sinks (use):",
      "Checkpoint stores (checkpoint.store.type):",
      "Channel transports (channels[].transport):",
    ]
  ) {
    assert.ok(text.stdout.includes(title), `${title}\n${text.stdout}`);
  }
  assert.match(text.stdout, /^ {2}console-sink \(at-least-once\)$/m);
  assert.match(text.stdout, /^ {6}ratePerSecond: number > 0 \(optional\)$/m);
  assert.match(text.stdout, /^ {6}format: "json" \| "pretty" \(optional\)$/m);
  const fromDeno = await ca("deno", ["list"]);
  assert.equal(fromDeno.stdout, text.stdout, "the same on both hosts");

  const json = JSON.parse((await ca("deno", ["list", "--json"])).stdout) as {
    name: string;
    kind: string;
    origin: string;
    args: Record<string, unknown> | null;
  }[];
  const kinds = new Set(json.map((d) => d.kind));
  assert.deepEqual([...kinds].sort(), [
    "definitionStore",
    "leaseEngine",
    "processor",
    "sink",
    "source",
    "store",
    "transport",
  ]);
  for (const name of ["memory", "file", "redis", "postgres", "deno-kv"]) {
    assert.ok(json.some((d) => d.kind === "store" && d.name === name), name);
  }
  assert.ok(json.some((d) => d.kind === "transport" && d.name === "ws"));

  const dir = await tempDir("ca_list_");
  await writeFile(
    join(dir, "mine.mjs"),
    `export const shout = {
  kind: "processor",
  name: "acme/shout",
  description: "Shouts.",
  args: { "~standard": { version: 1, vendor: "test", validate: (value) => ({ value }) } },
  create: () => new TransformStream(),
};
`,
  );
  const file = join(dir, "c.yaml");
  await writeFile(
    file,
    (await readFile(path("examples/deno-python-node.yaml"), "utf8"))
      .replace(/^id: .*$/m, "$&\nmodules: [./mine.mjs]")
      .replace(
        "script: ./python_runner/runner.py",
        `script: ${path("examples/python_runner/runner.py")}`,
      ),
  );
  for (const host of BOTH) {
    const listed = await ca(host, ["list", file, "--json"]);
    assert.equal(listed.code, 0, listed.stderr);
    const entries = JSON.parse(listed.stdout) as typeof json;
    const upper = entries.find((d) => d.name === "py-upper");
    assert.equal(upper?.kind, "processor");
    assert.equal(upper?.origin, "python:python-runner");
    assert.ok((upper?.args?.properties as Record<string, unknown>).field);
    const shout = entries.find((d) => d.name === "acme/shout");
    assert.match(shout?.origin ?? "", /mine\.mjs$/);
    const plain = await ca(host, ["list", file]);
    assert.match(plain.stdout, /^ {2}py-upper \(from python:python-runner\)$/m);
    assert.match(
      plain.stdout,
      /^ {2}acme\/shout \(from file:\/\/.*mine\.mjs\)$/m,
    );
  }
  await rm(dir, { recursive: true });
});

test("ca validate takes several files and - for stdin: a line per file, exit code the worst", async () => {
  const dir = await tempDir("ca_validate_");
  await writeFile(join(dir, "good.yaml"), config("good"));
  await writeFile(
    join(dir, "bad.yaml"),
    config("bad").replace("count: 10", "count: -1"),
  );
  await writeFile(
    join(dir, "down.yaml"),
    config("down", {
      checkpoint:
        '{ type: postgres, url: "postgres://postgres@127.0.0.1:1/test" }',
    }),
  );
  for (const host of BOTH) {
    const all = await ca(host, ["validate", "good.yaml", "bad.yaml", "-"], {
      cwd: dir,
      stdin: config("piped"),
    });
    assert.equal(all.code, 2, all.stderr);
    assert.deepEqual(lines(all.stdout), [
      "ok: good.yaml: pipeline good, 2 processors on 1 runner(s): main (deno): numbers, out",
      "ok: <stdin>: pipeline piped, 2 processors on 1 runner(s): main (deno): numbers, out",
    ]);
    assert.match(
      oneLine(all, host),
      /^ca: bad\.yaml: \/processors\/0\/args\/count: /,
    );

    const worst = await ca(host, [
      "validate",
      "--connect",
      "good.yaml",
      "down.yaml",
      "bad.yaml",
    ], { cwd: dir });
    assert.equal(worst.code, 3, worst.stderr);
    assert.equal(lines(worst.stderr).length, 2);
    assert.match(
      worst.stderr,
      /^ca: down\.yaml: \/checkpoint\/store: Cannot open the postgres store/m,
    );

    const json = await ca(host, [
      "validate",
      "--log-format",
      "json",
      "bad.yaml",
      "-",
    ], {
      cwd: dir,
      stdin: "id: [",
    });
    assert.equal(json.code, 2);
    const issues = lines(json.stderr).map((l) => JSON.parse(l));
    assert.deepEqual(issues.map((i) => [i.file, i.event, i.level]), [
      ["bad.yaml", "issue", "error"],
      ["<stdin>", "issue", "error"],
    ]);
    assert.equal(issues[0].path, "/processors/0/args/count");
  }
  await rm(dir, { recursive: true });
});

test("ca validate --graph prints the graph as Mermaid, the same on Deno and Node; an invalid graph is exit 2 at its path", async () => {
  const dir = await tempDir("ca_graph_");
  await writeFile(
    join(dir, "broken.yaml"),
    `id: broken
runners: { main: { runtime: deno } }
processors:
  - { name: src, use: generate, args: { count: 1 } }
  - { name: one, use: set, args: { field: a, value: 1 } }
  - { name: two, use: set, from: src, args: { field: b, value: 2 } }
  - { name: out, use: console-sink, from: [one, two] }
`,
  );
  const expected = `flowchart LR
  subgraph r0["runner-1 (deno)"]
    p0(["orders<br/>generate"])
    p1(["refunds<br/>generate"])
    p2["shop<br/>set"]
    p3{"by-status<br/>route"}
    p4[("paid<br/>file-sink")]
  end
  subgraph r1["runner-2 (node)"]
    p5[("archive<br/>file-sink")]
  end
  p0 --> p2
  p1 --> p2
  p2 --> p3
  p3 -- "paid" --> p4
  p2 -. "channel tcp" .-> p5
`;
  for (const host of BOTH) {
    const graph = await ca(host, [
      "validate",
      "--graph",
      path("examples/fan-out.yaml"),
    ], { env: { CA_OUT_DIR: dir } });
    assert.equal(graph.code, 0, graph.stderr);
    assert.equal(graph.stdout, expected, host);
    assert.equal(graph.stderr, "");

    const json = await ca(host, [
      "validate",
      "--graph",
      "--log-format",
      "json",
      path("examples/fan-out.yaml"),
    ], { env: { CA_OUT_DIR: dir } });
    assert.equal(json.code, 0, json.stderr);
    const valid = JSON.parse(json.stdout);
    assert.equal(valid.event, "valid");
    assert.equal(valid.graph, expected);

    const broken = await ca(host, ["validate", "--graph", "broken.yaml"], {
      cwd: dir,
    });
    assert.equal(broken.code, 2);
    assert.equal(broken.stdout, "");
    assert.equal(
      oneLine(broken, host),
      'ca: broken.yaml: /processors/3/from: expected inputs that have not split, got a join after a split: "out" joins branches after "src" fans out to "one" and "two"; a pipeline runs a merge of its sources, then a line, then a tree of sinks that splits with fan-out or route and never joins again',
    );
  }
  const help = await ca("deno", ["validate", "--help"]);
  assert.match(
    help.stdout,
    /--graph +print each valid config's graph as Mermaid/,
  );
  assert.match(help.stdout, /With --graph a valid config's graph is printed/);
  await rm(dir, { recursive: true });
});

/**
 * A graph over a Deno and a Node runner: two sources on different runners
 * merged on the Node runner (with its own source: a segment that merges a
 * source and a channel), fanned out to a file sink on the Deno runner and
 * to a route whose targets are on both runners.
 */
const GRAPH_RUN = `id: graph-run
runners: { a: { runtime: deno }, b: { runtime: node } }
checkpoint: { store: { type: file, dir: ./checkpoints } }
processors:
  - { name: orders, use: generate, runner: a, args: { count: 3000, template: { kind: order } } }
  - { name: refunds, use: generate, runner: b, args: { count: 500, template: { kind: refund } } }
  - { name: all, use: set, runner: b, from: [orders, refunds], args: { field: seen, value: true } }
  - name: split
    use: route
    runner: b
    args: { field: /kind, routes: { refund: refunds-file }, default: [others-file] }
  - { name: refunds-file, use: file-sink, runner: a, args: { path: refunds.ndjson } }
  - { name: others-file, use: file-sink, runner: b, from: split, args: { path: others.ndjson } }
  - { name: everything, use: file-sink, runner: a, from: all, args: { path: all.ndjson } }
`;

for (const host of BOTH) {
  test(`ca run of a graph config with ca on ${host}: merge across runners, fan-out, route; every record once in each sink; a second run resumes`, async () => {
    const dir = await tempDir("ca_graph_run_");
    await writeFile(join(dir, "graph.yaml"), GRAPH_RUN);
    const read = async (file: string) =>
      lines(await readFile(join(dir, file), "utf8")).map((line) =>
        JSON.parse(line) as { id: number; kind: string; seen: boolean }
      );
    const ids = (records: { id: number; kind: string }[], kind: string) =>
      records.filter((r) => r.kind === kind).map((r) => r.id);
    const range = (n: number) => Array.from({ length: n }, (_, i) => i);

    const first = await ca(host, ["run", "graph.yaml"], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stderr,
      /pipeline graph-run stopped after [\d.]+ s: 3,500 records read, 7,000 written \(refunds-file 500, others-file 3,000, everything 3,500; /,
    );
    const all = await read("all.ndjson");
    assert.deepEqual(ids(all, "order"), range(3000), "orders, in order");
    assert.deepEqual(ids(all, "refund"), range(500), "refunds, in order");
    assert.ok(all.every((r) => r.seen === true));
    assert.deepEqual(ids(await read("others.ndjson"), "order"), range(3000));
    assert.equal((await read("others.ndjson")).length, 3000, "no refund");
    assert.deepEqual(ids(await read("refunds.ndjson"), "refund"), range(500));
    assert.equal((await read("refunds.ndjson")).length, 500, "no order");
    const merged = JSON.parse(
      await readFile(join(dir, "checkpoints/graph-run%2frefunds.json"), "utf8"),
    );
    assert.equal(merged.position.refunds, 499, "one position per origin");
    assert.ok("orders->all" in merged.position, JSON.stringify(merged));

    const second = await ca(host, ["run", "graph.yaml"], { cwd: dir });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /: 0 records read, 0 written/);
    assert.equal((await read("all.ndjson")).length, 3500);
    await rm(dir, { recursive: true });
  });
}

test("ca run --log-format json: progress lines and the summary are JSON objects; --progress-interval 0 prints none", async () => {
  const dir = await tempDir("ca_json_");
  await writeFile(
    join(dir, "c.yaml"),
    config("paced").replace("count: 10", "count: 30, ratePerSecond: 60"),
  );
  for (const host of BOTH) {
    const run = await ca(host, [
      "run",
      "c.yaml",
      "--log-format=json",
      "--progress-interval",
      "100ms",
    ], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    const events = lines(run.stderr).map((l) => JSON.parse(l));
    const progress = events.filter((e) => e.event === "progress");
    assert.ok(progress.length >= 2, run.stderr);
    assert.equal(progress[0].pipeline, "paced");
    assert.equal(typeof progress[0].recordsWritten, "number");
    const summary = events.at(-1);
    assert.equal(summary.event, "summary");
    assert.equal(summary.state, "stopped");
    assert.equal(summary.recordsWritten, 30);
    assert.equal(
      lines(run.stdout).length,
      30,
      "records on stdout, as JSON lines",
    );
    assert.deepEqual(JSON.parse(lines(run.stdout)[29]!), { id: 29, value: 29 });

    const quiet = await ca(
      host,
      ["run", "c.yaml", "--progress-interval", "0"],
      {
        cwd: dir,
      },
    );
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.deepEqual(
      lines(quiet.stderr)
        .filter((l) =>
          !/^ca: runner "main" \(deno [\d.]+, pid \d+\) running: /.test(l)
        )
        .map((l) => l.replace(/after [\d.]+ s.*/, "")),
      ["ca: pipeline paced stopped "],
    );
  }
  await rm(dir, { recursive: true });
});

test("ca help: per-command help, and did you mean for commands and options", async () => {
  for (const host of BOTH) {
    const help = await ca(host, ["--help"]);
    assert.equal(help.code, 0);
    for (const command of ["init", "validate", "run", "list", "schema"]) {
      assert.match(help.stdout, new RegExp(`^ {2}${command} `, "m"));
    }
    const run = await ca(host, ["run", "--help"]);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^Usage: ca run FILE \[options\]/);
    assert.match(run.stdout, /--progress-interval T/);
    assert.match(run.stdout, /--log-format FORMAT/);
    assert.equal(
      (await ca(host, ["help", "validate"])).stdout,
      (await ca(host, ["validate", "-h"])).stdout,
    );

    const typo = await ca(host, ["valdate", "x.yaml"]);
    assert.equal(typo.code, 64);
    assert.equal(
      oneLine(typo, "typo"),
      'ca: unknown command "valdate" (did you mean "validate"?); see ca --help',
    );
    const option = await ca(host, ["run", "x.yaml", "--sumary"]);
    assert.equal(option.code, 64);
    assert.equal(
      oneLine(option, "option"),
      'ca run: unknown option --sumary (did you mean "--summary"?); see ca run --help',
    );
    const interval = await ca(host, [
      "run",
      "x.yaml",
      "--progress-interval",
      "soon",
    ]);
    assert.equal(interval.code, 64);
  }
});
