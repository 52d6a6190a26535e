// Copyright 2026 the @ca/streams authors. MIT license.
// A JSON config's syntax error names its line and column as a YAML one
// does, whatever the JavaScript engine's message says (V8 gives a position
// for some errors and none for "Unexpected token"; other engines word it
// differently), and `ca validate` shows them in one line. Runs on Deno
// against the source and on Node 24 against the built package.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  ConfigError,
  type ConfigIssue,
  parsePipelineConfig,
} from "@ca/streams/config";

async function syntaxIssue(text: string): Promise<ConfigIssue> {
  try {
    await parsePipelineConfig(text, { env: {}, format: "json" });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `not a ConfigError: ${error}`);
    assert.equal(error.issues.length, 1, JSON.stringify(error.issues));
    return error.issues[0]!;
  }
  assert.fail("expected a ConfigError");
}

/** Asserts the issue's line, column and its one-line message. */
function assertAt(
  issue: ConfigIssue,
  line: number,
  column: number,
  reason: RegExp,
): void {
  assert.equal(issue.path, "");
  assert.deepEqual([issue.line, issue.column], [line, column], issue.message);
  assert.ok(
    issue.message.startsWith(`line ${line}, column ${column}: invalid JSON: `),
    issue.message,
  );
  assert.match(issue.message, reason);
  assert.ok(!issue.message.includes("\n"), `several lines: ${issue.message}`);
}

describe("JSON config syntax errors", () => {
  test("an unexpected token names its line and column, without echoing the text", async () => {
    const issue = await syntaxIssue(
      '{\n  "id": "demo",\n  "version": }\n',
    );
    assertAt(issue, 3, 14, /Unexpected token/);
    assert.ok(!issue.message.includes('"demo"'), issue.message);
    assert.ok(!issue.message.includes("not valid JSON"), issue.message);
    // A long text: V8 quotes a part of it, between "...".
    const long = await syntaxIssue(
      `{"id": "${"x".repeat(60)}", "version": x${" ".repeat(60)}}`,
    );
    assertAt(long, 1, 83, /^[^"]*Unexpected token 'x'$/);
  });

  test("a misspelt literal names the character where it goes wrong", async () => {
    assertAt(
      await syntaxIssue('{\n  "id": "demo",\n  "enabled": tru\n}\n'),
      3,
      17,
      /Unexpected token/,
    );
  });

  test("a trailing comma, an unterminated text and trailing garbage", async () => {
    assertAt(await syntaxIssue('{\n  "id": "demo",\n}\n'), 3, 1, /./);
    // A line break inside a string, then a string that never ends.
    assertAt(await syntaxIssue('{\n  "id": "demo\n}'), 2, 14, /./);
    assertAt(await syntaxIssue('{\n  "id": "demo'), 2, 14, /./);
    assertAt(await syntaxIssue('{\n  "id": "demo"\n}\nx'), 4, 1, /./);
  });

  test("the position is found whatever the engine's message says", async () => {
    const original = JSON.parse;
    const text = '{\n  "id": "demo",\n  "version": }\n';
    const messages = [
      // V8 without a position, as for "Unexpected token".
      "Unexpected token",
      // SpiderMonkey words it its own way, with a line and column.
      "JSON.parse: unexpected character at line 3 column 14 of the JSON data",
      // JavaScriptCore: neither.
      "JSON Parse error: Unexpected identifier",
    ];
    try {
      for (const message of messages) {
        JSON.parse = () => {
          throw new SyntaxError(message);
        };
        const issue = await syntaxIssue(text);
        JSON.parse = original;
        assertAt(issue, 3, 14, /./);
        assert.ok(!/line 3 column 14/.test(issue.message), issue.message);
      }
    } finally {
      JSON.parse = original;
    }
  });

  test("where the engine gives a position, the position found without it is the same", async () => {
    const original = JSON.parse;
    const base = JSON.stringify(
      {
        id: "demo",
        runners: { main: { runtime: "deno" } },
        processors: [{ name: "a", use: "generate", args: { n: -1.5e3 } }],
        extra: [true, false, null, 'x\u00e9\\"\n'],
      },
      null,
      2,
    );
    const alphabet = '{}[],:"\\a1-.etnu0+ \n\u0001';
    let seed = 1;
    const random = (k: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % k;
    };
    let compared = 0;
    try {
      for (let k = 0; k < 2000; k++) {
        let text = base;
        for (let m = 0; m <= random(3); m++) {
          const at = random(text.length);
          const char = alphabet[random(alphabet.length)]!;
          text = text.slice(0, at) + char + text.slice(at + random(2));
        }
        let message = "";
        try {
          original(text);
          continue;
        } catch (error) {
          message = (error as Error).message;
        }
        const position = /at position (\d+)/.exec(message);
        if (position === null) continue;
        const before = text.slice(0, Number(position[1]));
        const line = before.split("\n").length;
        const column = before.length - before.lastIndexOf("\n");
        JSON.parse = () => {
          throw new SyntaxError("Unexpected token");
        };
        const issue = await syntaxIssue(text);
        JSON.parse = original;
        assert.deepEqual(
          [issue.line, issue.column],
          [line, column],
          `${message} in ${JSON.stringify(text)}`,
        );
        compared++;
      }
    } finally {
      JSON.parse = original;
    }
    assert.ok(compared > 1000, `only ${compared} texts compared`);
  });
});

const ROOT = new URL("../../", import.meta.url);
const path = (relative: string) =>
  decodeURIComponent(new URL(relative, ROOT).pathname);
const UNDER_DENO = "Deno" in globalThis;
const HOSTS: Record<string, string[]> = {
  deno: [
    path("node_modules/.bin/deno"),
    "run",
    "-A",
    path("connectors/cli/ca.ts"),
  ],
  node: [
    path("node_modules/node24/bin/node"),
    path(UNDER_DENO ? "connectors/cli/ca.ts" : "dist/connectors/cli/ca.js"),
  ],
};

function run(argv: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${argv.join(" ")} took over 60 s`));
    }, 60_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

test("ca validate shows a JSON syntax error's line and column as it does a YAML one's", async () => {
  const dir = await mkdtemp(join(tmpdir(), "ca_json_syntax_"));
  try {
    const json = join(dir, "bad.json");
    const yaml = join(dir, "bad.yaml");
    await writeFile(json, '{\n  "id": "demo",\n  "version": }\n');
    await writeFile(yaml, "id: demo\nrunners: [deno\nprocessors: []\n");
    for (const [host, argv] of Object.entries(HOSTS)) {
      const result = await run([...argv, "validate", json, yaml]);
      assert.equal(result.code, 2, `${host}: ${result.stderr}`);
      const lines = result.stderr.split("\n").filter((line) => line !== "");
      assert.equal(lines.length, 2, `${host}: ${result.stderr}`);
      assert.match(
        lines[0]!,
        /^ca: .*bad\.json: line 3, column 14: invalid JSON: Unexpected token '}'$/,
        host,
      );
      assert.match(
        lines[1]!,
        /^ca: .*bad\.yaml: line 3, column \d+: invalid YAML: /,
        host,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
