// Copyright 2026 the @ca/streams authors. MIT license.
// Broken pipeline configs: each must fail with one ConfigError whose issue
// names the exact JSON pointer and says what is wrong, and no processor may
// be created while a config is parsed. Imports the source, not the package:
// the connectors' config definitions (fileStoreDefinitions, ...) are internal.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as z from "zod/mini";
import { ConfigError } from "../../src/config/config_error.ts";
import type { ConfigIssue } from "../../src/config/config_issue.ts";
import {
  defineProcessor,
  type ProcessorKind,
} from "../../src/config/define_processor.ts";
import { parsePipelineConfig } from "../../src/config/parse_pipeline_config.ts";
import type { ParsePipelineConfigOptions } from "../../src/config/parse_pipeline_config.ts";
import type { PipelineConfig } from "../../src/config/pipeline_config.ts";
import { Registry } from "../../src/config/registry.ts";
import { defineStore } from "../../src/config/define_store.ts";
import { defineTransport } from "../../src/config/define_transport.ts";
import { builtinDefinitions } from "../../src/config/builtins/builtin_definitions.ts";
import { fileStoreDefinitions } from "../../connectors/file_store/file_store_definitions.ts";
import { postgresDefinitions } from "../../connectors/postgres/postgres_definitions.ts";
import { redisDefinitions } from "../../connectors/redis/redis_definitions.ts";
import { tcpDefinitions } from "../../connectors/channel_tcp/tcp_definitions.ts";
import { wsDefinitions } from "../../connectors/channel_ws/ws_definitions.ts";

/** Every `create` call of a spy definition, by definition name. */
const created: string[] = [];

function spy<Args>(
  name: string,
  kind: ProcessorKind,
  args: z.ZodMiniType<Args>,
) {
  return defineProcessor<Args>({
    name,
    kind,
    description: `spy ${kind}`,
    args,
    create() {
      created.push(name);
      return undefined;
    },
  });
}

const spyStore = defineStore({
  name: "spy-store",
  description: "spy store",
  args: z.strictObject({ size: z.optional(z.int()) }),
  create() {
    created.push("spy-store");
    throw new Error("never created while parsing");
  },
});

const spyTransport = defineTransport({
  name: "spy-transport",
  description: "spy transport",
  args: z.strictObject({ retries: z.optional(z.int()) }),
  listen() {
    created.push("spy-transport");
    throw new Error("never listens while parsing");
  },
  connect() {
    created.push("spy-transport");
    throw new Error("never dials while parsing");
  },
});

const registry = new Registry([
  // The library's stores and transports (the memory store among the builtins).
  ...builtinDefinitions().filter((definition) => definition.kind === "store"),
  ...fileStoreDefinitions(),
  ...redisDefinitions(),
  ...postgresDefinitions(),
  ...tcpDefinitions(),
  ...wsDefinitions(),
  spyStore,
  spyTransport,
  spy("numbers", "source", z.strictObject({ count: z.int() })),
  spy("double", "processor", z.strictObject({})),
  spy(
    "fetch",
    "processor",
    z.strictObject({ url: z.httpUrl(), timeoutMs: z.optional(z.int()) }),
  ),
  spy("out", "sink", z.strictObject({ path: z.optional(z.string()) })),
]);

const pythonProcessors = new Map([["py-upper", {
  kind: "processor" as const,
}]]);

const options = (
  env: Record<string, string | undefined> = {},
): ParsePipelineConfigOptions => ({ env, registry, pythonProcessors });

/** A valid config with one runner, to break one line at a time. */
const BASE = `
id: demo
runners:
  main: { runtime: deno }
processors:
  - { name: src, use: numbers, args: { count: 3 } }
  - { name: mid, use: double }
  - { name: dst, use: out }
`;

/** Two runners, a boundary between mid and dst. */
const TWO = `
id: demo
runners:
  a: { runtime: deno }
  b: { runtime: node }
processors:
  - { name: src, use: numbers, runner: a, args: { count: 3 } }
  - { name: mid, use: double, runner: a }
  - { name: dst, use: out, runner: b }
`;

async function issuesOf(
  text: string,
  env: Record<string, string | undefined> = {},
): Promise<ConfigIssue[]> {
  const before = created.length;
  try {
    await parsePipelineConfig(text, options(env));
  } catch (error) {
    assert.ok(error instanceof ConfigError, `not a ConfigError: ${error}`);
    assert.equal(error.code, "CA_ERR_CONFIG");
    assert.ok(error.issues.length > 0);
    assert.match(error.message, /^Cannot load pipeline config: /);
    assert.equal(created.length, before, "a processor was created");
    return error.issues;
  }
  assert.fail("expected a ConfigError");
}

/**
 * Asserts that parsing fails with an issue at `path` whose message has
 * `fragment`.
 */
async function rejects(
  text: string,
  path: string,
  fragment: string | RegExp,
  env: Record<string, string | undefined> = {},
): Promise<ConfigIssue> {
  const issues = await issuesOf(text, env);
  const found = issues.find((issue) => issue.path === path);
  assert.ok(
    found,
    `no issue at ${JSON.stringify(path)}; got ${JSON.stringify(issues)}`,
  );
  if (typeof fragment === "string") {
    assert.ok(
      found.message.includes(fragment),
      `${JSON.stringify(found.message)} lacks ${JSON.stringify(fragment)}`,
    );
  } else assert.match(found.message, fragment);
  return found;
}

describe("broken configs", () => {
  test("a YAML syntax error names its line and column", async () => {
    const issue = await rejects(
      "id: demo\nrunners: [deno\nprocessors: []\n",
      "",
      "invalid YAML",
    );
    assert.equal(issue.line, 3);
    assert.equal(typeof issue.column, "number");
    assert.match(issue.message, /^line 3, column \d+: /);
  });

  test("a JSON syntax error names its line and column", async () => {
    const issue = await rejects('{\n  "id": "demo",\n}\n', "", "invalid JSON");
    assert.equal(issue.line, 3);
    assert.equal(issue.column, 1);
  });

  test("an unknown top-level key is named, with a suggestion", async () => {
    await rejects(
      BASE + "chanels: []\n",
      "/chanels",
      'unknown key "chanels" (did you mean "channels"?)',
    );
  });

  test("a missing id", async () => {
    await rejects(
      BASE.replace("id: demo\n", ""),
      "/id",
      "required: expected a string, got nothing",
    );
  });

  test("an id with bad characters", async () => {
    const issue = await rejects(
      BASE.replace("id: demo", "id: my pipeline!"),
      "/id",
      "expected 1-100 characters of A-Z a-z 0-9 . _ -",
    );
    assert.equal(issue.received, '"my pipeline!"');
  });

  test("no runners", async () => {
    await rejects(
      BASE.replace("  main: { runtime: deno }\n", "").replace(
        "runners:",
        "runners: {}",
      ),
      "/runners",
      "expected at least one runner, got none",
    );
  });

  test("an unknown runtime", async () => {
    await rejects(
      BASE.replace("runtime: deno", "runtime: bun"),
      "/runners/main/runtime",
      'expected one of "deno", "node" or "python", got "bun"',
    );
  });

  test("fewer than two processors", async () => {
    await rejects(
      BASE.replace("  - { name: mid, use: double }\n", "").replace(
        "  - { name: dst, use: out }\n",
        "",
      ),
      "/processors",
      "expected at least 2 items, got an array of 1 item",
    );
  });

  test("duplicate processor names", async () => {
    await rejects(
      BASE.replace("name: dst", "name: src"),
      "/processors/2/name",
      'expected a unique name, got "src" (the name of /processors/0 too)',
    );
  });

  test("a processor name with bad characters", async () => {
    await rejects(
      BASE.replace("name: mid", "name: 2x"),
      "/processors/1/name",
      "expected a letter or _",
    );
  });

  test("an unknown runner reference", async () => {
    await rejects(
      BASE.replace(
        "name: mid, use: double",
        "name: mid, use: double, runner: mian",
      ),
      "/processors/1/runner",
      'expected "main", got "mian" (did you mean "main"?)',
    );
  });

  test("a runner omitted while there are two runners", async () => {
    await rejects(
      TWO.replace(", runner: a }", " }"),
      "/processors/1/runner",
      'required when there is more than one runner: expected one of "a" or "b"',
    );
  });

  test("an unknown use", async () => {
    await rejects(
      BASE.replace("use: double", "use: doubel"),
      "/processors/1/use",
      'expected a registered processor, got "doubel" (did you mean "double"?)',
    );
  });

  test("an unknown use on a python runner", async () => {
    await rejects(
      TWO.replace("b: { runtime: node }", "b: { runtime: python }")
        .replace("use: out", "use: py-lower"),
      "/processors/2/use",
      'expected a processor the python runner provides, got "py-lower"; known: py-upper',
    );
  });

  test("a source that is not first", async () => {
    await rejects(
      BASE.replace("use: double", "use: numbers, args: { count: 1 }"),
      "/processors/1/use",
      'expected a processor (only the first is a source and only the last a sink), got source "numbers"',
    );
  });

  test("a first processor that is not a source", async () => {
    await rejects(
      BASE.replace("use: numbers, args: { count: 3 }", "use: double"),
      "/processors/0/use",
      'expected a source (the first processor reads the records), got processor "double"',
    );
  });

  test("a sink that is not last", async () => {
    await rejects(
      BASE.replace("use: out }", "use: double }"),
      "/processors/2/use",
      'expected a sink (the last processor writes the records), got processor "double"',
    );
  });

  test("args of the wrong type", async () => {
    await rejects(
      BASE.replace("count: 3", "count: three"),
      "/processors/0/args/count",
      'expected a number, got "three"',
    );
  });

  test("a URL arg that is not a URL", async () => {
    const issue = await rejects(
      BASE.replace("use: double", 'use: fetch, args: { url: "htp:/x" }'),
      "/processors/1/args/url",
      'expected a URL, got "htp:/x"',
    );
    assert.equal(issue.expected, "a URL");
    assert.equal(issue.received, '"htp:/x"');
  });

  test("a missing required arg", async () => {
    await rejects(
      BASE.replace("args: { count: 3 }", "args: {}"),
      "/processors/0/args/count",
      "required: expected a number, got nothing",
    );
  });

  test("an unknown arg key", async () => {
    await rejects(
      BASE.replace("count: 3", "count: 3, cuont: 4"),
      "/processors/0/args/cuont",
      'unknown key "cuont" (did you mean "count"?)',
    );
  });

  test("an unset ${ENV} is reported at the string's path", async () => {
    await rejects(
      BASE.replace("use: double", 'use: fetch, args: { url: "${API_URL}/v1" }'),
      "/processors/1/args/url",
      "environment variable API_URL is not set",
    );
  });

  test("a malformed ${ reference", async () => {
    await rejects(
      BASE.replace("use: double", 'use: fetch, args: { url: "${API URL}" }'),
      "/processors/1/args/url",
      "expected ${NAME} or ${NAME:-default}",
    );
  });

  test("a value from the environment is never shown", async () => {
    const issue = await rejects(
      BASE.replace("use: double", 'use: fetch, args: { url: "${API_URL}" }'),
      "/processors/1/args/url",
      'expected a URL, got "${API_URL}" (from the environment)',
      { API_URL: "secret-token-not-a-url" },
    );
    assert.ok(!JSON.stringify(issue).includes("secret-token"));
  });

  test("a channel between non-consecutive processors", async () => {
    await rejects(
      TWO.replace("runner: a }", "runner: b }") +
        "channels:\n  - { from: src, to: dst }\n",
      "/channels/0/to",
      'expected the processor right after "src" ("mid"), got "dst"',
    );
  });

  test("a channel between processors on the same runner", async () => {
    await rejects(
      TWO + "channels:\n  - { from: src, to: mid }\n",
      "/channels/0",
      'expected processors on different runners, got "src" and "mid" both on "a"',
    );
  });

  test("a channel naming an unknown processor", async () => {
    await rejects(
      TWO + "channels:\n  - { from: mdi, to: dst }\n",
      "/channels/0/from",
      'expected the name of a processor, got "mdi" (did you mean "mid"?)',
    );
  });

  test("a bad transport", async () => {
    await rejects(
      TWO + "channels:\n  - { from: mid, to: dst, transport: udp }\n",
      "/channels/0/transport",
      'expected a registered transport, got "udp"; known: tcp, ws, spy-transport',
    );
  });

  test("a transport with a typo gets a suggestion", async () => {
    await rejects(
      TWO + "channels:\n  - { from: mid, to: dst, transport: wss }\n",
      "/channels/0/transport",
      'expected a registered transport, got "wss" (did you mean "ws"?); known: tcp, ws, spy-transport',
    );
  });

  test("a transport's args checked by its definition", async () => {
    await rejects(
      TWO +
        "channels:\n  - { from: mid, to: dst, transport: ws, args: { path: 7 } }\n",
      "/channels/0/args/path",
      "expected a string, got 7",
    );
    await rejects(
      TWO + "channels:\n  - { from: mid, to: dst, args: { path: /x } }\n",
      "/channels/0/args/path",
      'unknown key "path"',
    );
    const config = await parsePipelineConfig(
      TWO +
        'channels:\n  - { from: mid, to: dst, transport: spy-transport, args: { retries: "${N}" } }\n',
      options({ N: "3" }),
    );
    assert.deepEqual(config.channels[0]!.args, { retries: 3 });
    assert.equal(config.channels[0]!.transport, "spy-transport");
  });

  test("a bad port", async () => {
    await rejects(
      TWO + "channels:\n  - { from: mid, to: dst, port: 70000 }\n",
      "/channels/0/port",
      "expected a number <= 65535, got 70000",
    );
  });

  test("a port from the environment that is not a number", async () => {
    await rejects(
      TWO + 'channels:\n  - { from: mid, to: dst, port: "${PORT}" }\n',
      "/channels/0/port",
      'expected a number, got "${PORT}" (from the environment)',
      { PORT: "http" },
    );
  });

  test("an unknown checkpoint store type", async () => {
    await rejects(
      BASE + "checkpoint:\n  store: { type: s3, bucket: b }\n",
      "/checkpoint/store/type",
      'expected a registered store, got "s3"; known: memory, file, redis, postgres, spy-store',
    );
  });

  test("a store type with a typo gets a suggestion", async () => {
    await rejects(
      BASE + "checkpoint:\n  store: { type: rdis, url: redis://h }\n",
      "/checkpoint/store/type",
      'expected a registered store, got "rdis" (did you mean "redis"?)',
    );
  });

  test("a store URL that is not a URL of its scheme", async () => {
    await rejects(
      BASE + "checkpoint:\n  store: { type: postgres, url: not a url }\n",
      "/checkpoint/store/url",
      'expected a postgres:// or postgresql:// URL, got "not a url"',
    );
    await rejects(
      BASE + "checkpoint:\n  store: { type: redis, url: http://h:6379 }\n",
      "/checkpoint/store/url",
      'expected a redis:// or rediss:// URL, got "http://h:6379"',
    );
    // A secret URL from the environment is shown by its reference.
    await rejects(
      BASE + 'checkpoint:\n  store: { type: redis, url: "${URL}" }\n',
      "/checkpoint/store/url",
      'expected a redis:// or rediss:// URL, got "${URL}" (from the environment)',
      { URL: "http://user:secret@h" },
    );
  });

  test("a store arg it does not know", async () => {
    await rejects(
      BASE + "checkpoint:\n  store: { type: file, dir: ., dri: x }\n",
      "/checkpoint/store/dri",
      'unknown key "dri" (did you mean "dir"?); expected "dir"',
    );
  });

  test("a store's args from the environment are coerced for its schema", async () => {
    const config = await parsePipelineConfig(
      BASE + 'checkpoint:\n  store: { type: spy-store, size: "${SIZE}" }\n',
      options({ SIZE: "12" }),
    );
    assert.deepEqual(config.checkpoint!.store, { type: "spy-store", size: 12 });
  });

  test("a file store without dir", async () => {
    await rejects(
      BASE + "checkpoint:\n  store: { type: file }\n",
      "/checkpoint/store/dir",
      "required: expected a string",
    );
  });

  test("version 2", async () => {
    await rejects("version: 2\n" + BASE, "/version", "expected 1, got 2");
  });

  test("a duplicate YAML key", async () => {
    const issue = await rejects(
      BASE + "id: again\n",
      "",
      'duplicate key "id"',
    );
    assert.equal(issue.line, 9);
  });

  test("a duplicate JSON key", async () => {
    await rejects('{"id": "a", "id": "b"}', "", 'duplicate key "id"');
  });

  test("a script on a runner that is not python", async () => {
    await rejects(
      BASE.replace("runtime: deno", "runtime: deno, script: ./r.py"),
      "/runners/main/script",
      "only a python runner has a script",
    );
  });

  test("processors that are not a list: the type alone is reported", async () => {
    const issues = await issuesOf(
      BASE.slice(0, BASE.indexOf("processors:")) + "processors: x\n",
    );
    assert.deepEqual(issues, [{
      path: "/processors",
      message: 'expected an array, got "x"',
      expected: "an array",
      received: '"x"',
    }]);
  });

  test("a runner name with bad characters", async () => {
    await rejects(
      BASE.replace("main: {", "main runner: {"),
      "/runners/main runner",
      'invalid key: expected 1-100 characters of A-Z a-z 0-9 . _ -, got "main runner"',
    );
  });

  test("an empty text", async () => {
    await rejects("  \n", "", "got an empty text");
  });

  test("a config that is not a mapping", async () => {
    await rejects("- a\n- b\n", "", "expected an object, got an array");
  });

  test("every issue is collected, in document order", async () => {
    const issues = await issuesOf(`
version: 3
id: "bad id"
runners:
  main: { runtime: deno, exe: x }
processors:
  - { name: src, use: double }
  - { name: dst, use: numbers, args: { count: -1.5 } }
`);
    assert.deepEqual(issues.map((issue) => issue.path), [
      "/version",
      "/id",
      "/runners/main/exe",
      "/processors/0/use",
      "/processors/1/use",
      "/processors/1/args/count",
    ]);
    const error = new ConfigError(issues);
    assert.equal(error.message.split("\n").length, 6);
    assert.match(error.message, /^Cannot load pipeline config: \/version: /);
  });
});

describe("configs that work", () => {
  test("${ENV:-default} takes the default when unset or empty", async () => {
    const text = BASE.replace("count: 3", 'count: "${N:-3}"').replace(
      "use: double",
      'use: fetch, args: { url: "${URL:-https://example.com}/x" }',
    );
    for (const env of [{}, { URL: "" }]) {
      const config = await parsePipelineConfig(text, options(env));
      assert.deepEqual(config.processors[1]!.args, {
        url: "https://example.com/x",
      });
      assert.deepEqual(config.processors[0]!.args, { count: 3 });
    }
    const config = await parsePipelineConfig(
      text,
      options({ URL: "http://a.test", N: "7" }),
    );
    assert.deepEqual(config.processors[1]!.args, { url: "http://a.test/x" });
    assert.deepEqual(config.processors[0]!.args, { count: 7 });
  });

  test("a JSON config works as YAML does", async () => {
    const json = JSON.stringify({
      id: "demo",
      runners: { main: { runtime: "deno" } },
      processors: [
        { name: "src", use: "numbers", args: { count: 3 } },
        { name: "mid", use: "double" },
        { name: "dst", use: "out" },
      ],
    });
    const fromJson = await parsePipelineConfig(json, options());
    const fromYaml = await parsePipelineConfig(BASE, options());
    assert.deepEqual(fromJson, fromYaml);
    const forced = await parsePipelineConfig(json, {
      ...options(),
      format: "json",
    });
    assert.deepEqual(forced, fromYaml);
  });

  test("a full config is normalized", async () => {
    const before = created.length;
    const config: PipelineConfig = await parsePipelineConfig(
      `
version: 1
id: deno-to-node
runners:
  runner-1: { runtime: deno, executable: /opt/deno }
  runner-2: { runtime: node }
  runner-3: { runtime: python, script: ./python_runner/runner.py }
modules: [./my_processors.ts]
checkpoint:
  store: { type: file, dir: ./.checkpoints }
  everyRecords: 1000
processors:
  - { name: source_processor, use: numbers, runner: runner-1, args: { count: 10 } }
  - { name: twice, use: double, runner: runner-1 }
  - { name: upper, use: py-upper, runner: runner-3, args: { field: x } }
  - { name: sink_processor, use: out, runner: runner-2 }
channels:
  - { from: twice, to: upper, transport: ws, port: "\${PORT}", token: "\${TOKEN:-}" }
`,
      options({ PORT: "4100" }),
    );
    assert.equal(created.length, before);
    assert.deepEqual(config, {
      version: 1,
      id: "deno-to-node",
      runners: {
        "runner-1": { runtime: "deno", executable: "/opt/deno" },
        "runner-2": { runtime: "node" },
        "runner-3": {
          runtime: "python",
          script: "./python_runner/runner.py",
        },
      },
      modules: ["./my_processors.ts"],
      checkpoint: {
        store: { type: "file", dir: "./.checkpoints" },
        everyRecords: 1000,
      },
      processors: [
        {
          name: "source_processor",
          use: "numbers",
          runner: "runner-1",
          args: { count: 10 },
        },
        { name: "twice", use: "double", runner: "runner-1", args: {} },
        {
          name: "upper",
          use: "py-upper",
          runner: "runner-3",
          args: { field: "x" },
        },
        { name: "sink_processor", use: "out", runner: "runner-2", args: {} },
      ],
      channels: [
        {
          from: "twice",
          to: "upper",
          transport: "ws",
          host: "127.0.0.1",
          port: 4100,
          token: "",
          args: {},
        },
        {
          from: "upper",
          to: "sink_processor",
          transport: "tcp",
          host: "127.0.0.1",
          port: 0,
          token: "",
          args: {},
        },
      ],
    });
  });
});
