// Copyright 2026 the @ca/streams authors. MIT license.
// configRunner(): connector configs checked, started, stopped, resumed and
// reset as a connector host does, on the runtime the tests run on (and one
// config with a runner child process of the other runtime); refused
// modules, executables and scripts; failures told transient or not.
import assert from "node:assert/strict";
import {
  mkdir,
  mkdtemp,
  readFile,
  realpath,
  rm,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { test } from "node:test";
import postgres from "postgres";
import * as z from "zod/mini";
import { defineProcessor } from "../../src/config/define_processor.ts";
import type { Registry } from "../../src/config/registry.ts";
import type {
  ConnectorFailure,
  RunningConnector,
} from "../../src/host/connector_runner.ts";
import { defaultRegistry } from "./default_registry.ts";
import { fileStore } from "../file_store/file_store.ts";
import { MissingPackageError } from "../runtime/missing_package_error.ts";
import { configRunner } from "./config_runner.ts";

const RUNTIME = "Deno" in globalThis ? "deno" : "node";
const OTHER = RUNTIME === "deno" ? "node" : "deno";
const ROOT = new URL("../../", import.meta.url);
const path = (relative: string) =>
  decodeURIComponent(new URL(relative, ROOT).pathname);
const EXECUTABLES = {
  CA_DENO: path("node_modules/.bin/deno"),
  CA_NODE: path("node_modules/node24/bin/node"),
};
const STORE = { type: "file", dir: "checkpoints" };
const POSTGRES_URL = process.env.CA_TEST_POSTGRES_URL ??
  "postgres://postgres@127.0.0.1:5432/test";

async function withRoot(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await realpath(await mkdtemp(join(tmpdir(), "ca-host-")));
  try {
    await fn(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Waits until `ready()`; fails after a minute, saying what it waited for. */
async function until(ready: () => boolean, what: string): Promise<void> {
  const giveUp = Date.now() + 60_000;
  while (!ready()) {
    if (Date.now() > giveUp) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The records of an NDJSON file. */
async function records(file: string): Promise<{ n: number }[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.split("\n").filter((line) => line !== "").map((line) =>
    JSON.parse(line)
  );
}

/** `{ n }` for n from `from` below `to`. */
function numbers(from: number, to: number): { n: number }[] {
  return Array.from({ length: to - from }, (_, i) => ({ n: from + i }));
}

/** The library's definitions and the given ones. */
function registryWith(
  ...definitions: Parameters<Registry["add"]>[0][]
): Registry {
  const registry = defaultRegistry();
  for (const definition of definitions) registry.add(definition);
  return registry;
}

/**
 * A processor that passes records on, but holds the one after `after`
 * until `open()` is called: a run is stopped while it is held.
 */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => open = resolve);
  const definition = defineProcessor({
    name: "gate",
    kind: "processor",
    description: "Holds records after a count until opened.",
    args: z.strictObject({ after: z.int() }),
    create: ({ after }) => {
      let seen = 0;
      return new TransformStream({
        async transform(record, controller) {
          if (++seen > after) await opened;
          controller.enqueue(record);
        },
      });
    },
  });
  return { definition, open };
}

/** A line config: file-source, the processors in `between`, file-sink. */
function copyConfig(between: Record<string, unknown>[] = []) {
  return {
    id: "copy",
    runners: { main: { runtime: RUNTIME } },
    processors: [
      { name: "read", use: "file-source", args: { path: "in.ndjson" } },
      ...between,
      { name: "write", use: "file-sink", args: { path: "out.ndjson" } },
    ],
  };
}

async function writeInput(root: string, count: number): Promise<string[]> {
  const lines = numbers(0, count).map((record) => JSON.stringify(record));
  await writeFile(join(root, "in.ndjson"), lines.join("\n") + "\n");
  return lines;
}

/** The connector's failure, once it ended with one. */
async function failureOf(running: RunningConnector): Promise<ConnectorFailure> {
  const failure = await running.ended;
  assert.ok(failure, "expected the connector to fail");
  return failure;
}

test("configRunner() stops a connector gracefully, resumes it where it stopped, and reruns it after a reset", async () => {
  await withRoot(async (root) => {
    const count = 20_000;
    const lines = await writeInput(root, count);
    const held = gate();
    const runner = configRunner({
      root,
      checkpointStore: STORE,
      registry: registryWith(held.definition),
    });
    const config = copyConfig([
      { name: "hold", use: "gate", args: { after: 1500 } },
    ]);
    const out = join(root, "out.ndjson");

    // First run: stopped while the gate holds records.
    const first = runner.start("copy", config);
    await first.started;
    await until(
      () => first.progress().recordsWritten >= 1000,
      "records written",
    );
    const stopping = first.stop();
    held.open();
    await stopping;
    assert.equal(await first.ended, undefined);
    const stopped = first.progress();
    assert.ok(
      stopped.recordsRead < count,
      `the stop cut the run short (${stopped.recordsRead} read)`,
    );
    assert.equal(stopped.recordsWritten, stopped.recordsRead);
    assert.deepEqual(await records(out), numbers(0, stopped.recordsRead));
    // The checkpoint is the byte offset after the last line written.
    const offset = (n: number) =>
      new TextEncoder().encode(lines.slice(0, n).join("\n") + "\n").length;
    assert.equal(stopped.position, offset(stopped.recordsRead));

    // Second run: resumes after the checkpoint, to the end of the input.
    const second = runner.start("copy", config);
    assert.equal(await second.ended, undefined);
    assert.equal(second.progress().recordsRead, count - stopped.recordsRead);
    assert.equal(second.progress().position, offset(count));
    assert.deepEqual(await records(out), numbers(0, count));

    // Reset to the start: a rerun reads everything again.
    await runner.reset("copy", config, undefined);
    await rm(out);
    const third = runner.start("copy", config);
    assert.equal(await third.ended, undefined);
    assert.equal(third.progress().recordsRead, count);
    assert.deepEqual(await records(out), numbers(0, count));

    // Reset to a position: a rerun reads after it.
    await runner.reset("copy", config, offset(100));
    await rm(out);
    const fourth = runner.start("copy", config);
    assert.equal(await fourth.ended, undefined);
    assert.deepEqual(await records(out), numbers(100, count));
  });
});

test("configRunner() uses the connector id as the checkpoint id, and the config's own store when it names one", async () => {
  await withRoot(async (root) => {
    await writeInput(root, 10);
    const runner = configRunner({ root, checkpointStore: STORE });
    const config = {
      ...copyConfig(),
      id: "written-id",
      checkpoint: { store: { type: "file", dir: "own-checkpoints" } },
    };
    assert.equal(await runner.start("orders", config).ended, undefined);
    // The second run of "orders" resumes: nothing is read twice.
    const again = runner.start("orders", config);
    assert.equal(await again.ended, undefined);
    assert.equal(again.progress().recordsRead, 0);
    assert.deepEqual(await records(join(root, "out.ndjson")), numbers(0, 10));
    // A connector of another id starts over, in the same store.
    const other = runner.start("returns", config);
    assert.equal(await other.ended, undefined);
    assert.equal(other.progress().recordsRead, 10);
    const store = fileStore(join(root, "own-checkpoints"));
    try {
      const size = (await readFile(join(root, "in.ndjson"))).length;
      assert.equal((await store.get("orders/read")).position, size);
      assert.equal((await store.get("written-id/read")).position, undefined);
    } finally {
      await store.close?.();
    }
  });
});

test("configRunner().check() reports bad args and unknown processors at their paths, and leaves unset variables to the start", async () => {
  await withRoot(async (root) => {
    const runner = configRunner({ root, env: {} });
    const issues = await runner.check({
      id: "broken",
      runners: { main: { runtime: RUNTIME } },
      processors: [
        { name: "read", use: "file-source", args: { path: "", extra: 1 } },
        { name: "fix", use: "upcase" },
        { name: "write", use: "file-sink", args: { path: "${OUT_FILE}" } },
      ],
    });
    const paths = issues.map((issue) => issue.path);
    assert.ok(paths.includes("/processors/0/args/path"), paths.join());
    assert.ok(paths.includes("/processors/1/use"), paths.join());
    assert.ok(
      !paths.some((path) => path.startsWith("/processors/2")),
      `an unset variable is no issue yet: ${paths}`,
    );
    assert.deepEqual(
      await runner.check({
        ...copyConfig(),
        processors: [
          { name: "read", use: "file-source", args: { path: "in.ndjson" } },
          { name: "write", use: "file-sink", args: { path: "${OUT_FILE}" } },
        ],
      }),
      [],
    );
    // At the start, the variable must be set: a config failure.
    await writeInput(root, 3);
    const failure = await failureOf(runner.start("copy", {
      ...copyConfig(),
      processors: [
        { name: "read", use: "file-source", args: { path: "in.ndjson" } },
        { name: "write", use: "file-sink", args: { path: "${OUT_FILE}" } },
      ],
    }));
    assert.equal(failure.transient, false);
    assert.equal(failure.code, "CA_ERR_CONFIG");
    assert.match(failure.message, /OUT_FILE/);
    // Set where it runs, it is resolved then, and only then.
    const resolved = configRunner({ root, env: { OUT_FILE: "out.ndjson" } });
    const config = {
      ...copyConfig(),
      processors: [
        { name: "read", use: "file-source", args: { path: "in.ndjson" } },
        { name: "write", use: "file-sink", args: { path: "${OUT_FILE}" } },
      ],
    };
    assert.equal(await resolved.start("copy", config).ended, undefined);
    assert.deepEqual(await records(join(root, "out.ndjson")), numbers(0, 3));
    assert.equal(config.processors[1]!.args.path, "${OUT_FILE}");
  });
});

test("configRunner() refuses modules, executables and scripts unless they are inside allowModules", async () => {
  await withRoot(async (root) => {
    await writeInput(root, 3);
    await mkdir(join(root, "allowed"));
    await mkdir(join(root, "elsewhere"));
    const defineUrl = new URL(
      "../../src/config/define_processor.ts",
      import.meta.url,
    ).href;
    const module = `import { defineProcessor } from ${
      JSON.stringify(defineUrl)
    };
const any = { "~standard": { version: 1, vendor: "test", validate: (value) => ({ value }) } };
export const double = defineProcessor({
  name: "double",
  kind: "processor",
  description: "Doubles n.",
  args: any,
  create: () => new TransformStream({
    transform(record, controller) { controller.enqueue({ n: record.n * 2 }); },
  }),
});
`;
    await writeFile(join(root, "allowed", "double.js"), module);
    await writeFile(join(root, "elsewhere", "double.js"), module);
    const config = (where: string) => ({
      ...copyConfig([{ name: "twice", use: "double" }]),
      modules: [`./${where}/double.js`],
    });

    const closed = configRunner({ root });
    const issues = await closed.check(config("allowed"));
    assert.deepEqual(issues.map((issue) => issue.path), ["/modules/0"]);
    assert.match(issues[0]!.message, /refused/);
    const refused = await failureOf(closed.start("copy", config("allowed")));
    assert.equal(refused.transient, false);
    assert.match(refused.message, /\/modules\/0/);
    assert.deepEqual(await records(join(root, "out.ndjson")), []);
    assert.deepEqual(
      (await closed.check({
        ...copyConfig(),
        runners: {
          main: { runtime: RUNTIME, executable: EXECUTABLES.CA_DENO },
          py: { runtime: "python", script: "allowed/runner.py" },
        },
        processors: [
          { name: "read", use: "file-source", args: { path: "in.ndjson" } },
          { name: "write", use: "file-sink", args: { path: "out.ndjson" } },
        ].map((p) => ({ ...p, runner: "main" })),
      })).map((issue) => issue.path),
      ["/runners/main/executable", "/runners/py/script"],
    );

    const open = configRunner({ root, allowModules: join(root, "allowed") });
    assert.deepEqual(await open.check(config("allowed")), []);
    const outside = await open.check(config("elsewhere"));
    assert.deepEqual(outside.map((issue) => issue.path), ["/modules/0"]);
    assert.match(outside[0]!.message, /not inside/);
    assert.deepEqual(
      (await open.check({
        ...config("allowed"),
        modules: ["./allowed/../elsewhere/double.js"],
      })).map((issue) => issue.path),
      ["/modules/0"],
    );
    assert.equal(await open.start("copy", config("allowed")).ended, undefined);
    assert.deepEqual(
      await records(join(root, "out.ndjson")),
      [{ n: 0 }, { n: 2 }, { n: 4 }],
    );
  });
});

test("configRunner() ends a connector whose processor fails with a transient failure", async () => {
  await withRoot(async (root) => {
    await writeInput(root, 10);
    const explode = defineProcessor({
      name: "explode",
      kind: "processor",
      description: "Fails on n = 5.",
      args: z.strictObject({}),
      create: () =>
        new TransformStream<{ n: number }, { n: number }>({
          transform(record, controller) {
            if (record.n === 5) throw new Error("record 5 is bad");
            controller.enqueue(record);
          },
        }),
    });
    const runner = configRunner({ root, registry: registryWith(explode) });
    const running = runner.start(
      "copy",
      copyConfig([{ name: "boom", use: "explode" }]),
    );
    const failure = await failureOf(running);
    assert.equal(failure.transient, true);
    assert.equal(failure.code, "CA_ERR_STAGE");
    assert.match(failure.message, /record 5 is bad/);
  });
});

test("configRunner() ends a connector that misses a package or a module with a failure that is not transient", async () => {
  await withRoot(async (root) => {
    await writeInput(root, 3);
    const needy = defineProcessor({
      name: "needy",
      kind: "processor",
      description: "Needs a package that is not installed.",
      args: z.strictObject({}),
      create: () => {
        throw new MissingPackageError("ca-test-absent", "create needy");
      },
    });
    const runner = configRunner({
      root,
      registry: registryWith(needy),
      allowModules: root,
    });
    const missing = runner.start(
      "copy",
      copyConfig([{ name: "n", use: "needy" }]),
    );
    const error = await missing.started.then(() => undefined, (e) => e);
    assert.equal(error?.failure?.code, "CA_ERR_MISSING_PACKAGE");
    const failure = await failureOf(missing);
    assert.equal(failure.transient, false);
    assert.equal(failure.code, "CA_ERR_MISSING_PACKAGE");
    assert.match(failure.message, /ca-test-absent/);

    await writeFile(
      join(root, "broken.js"),
      'throw new Error("broken on purpose");\n',
    );
    const config = { ...copyConfig(), modules: ["./broken.js"] };
    const issues = await runner.check(config);
    assert.deepEqual(issues.map((issue) => issue.path), ["/modules/0"]);
    assert.match(issues[0]!.message, /broken on purpose/);
    const broken = await failureOf(runner.start("copy", config));
    assert.equal(broken.transient, false);
    assert.equal(broken.code, "CA_ERR_CONFIG");
  });
});

test("configRunner().remove() calls its processors' remove() and deletes its checkpoints: the id created again starts from the beginning", async () => {
  await withRoot(async (root) => {
    await writeInput(root, 10);
    const removed: unknown[] = [];
    let failing = false;
    const keeper = defineProcessor({
      name: "keeper",
      kind: "processor",
      description: "Passes records on; keeps a resource elsewhere.",
      args: z.strictObject({ resource: z.string() }),
      create: () => new TransformStream(),
      remove(args, context) {
        if (failing) {
          return Promise.reject(new Error("Cannot remove: no answer"));
        }
        removed.push({ args, name: context.name, id: context.pipelineId });
        return Promise.resolve();
      },
    });
    const runner = configRunner({
      root,
      checkpointStore: STORE,
      registry: registryWith(keeper),
      env: { ...process.env, RESOURCE: "orders_slot" },
    });
    const config = copyConfig([
      { name: "keep", use: "keeper", args: { resource: "${RESOURCE}" } },
    ]);
    const out = join(root, "out.ndjson");
    const checkpoints = fileStore(join(root, "checkpoints"));
    try {
      assert.equal(await runner.start("copy", config).ended, undefined);
      const resumed = runner.start("copy", config);
      assert.equal(await resumed.ended, undefined);
      assert.equal(resumed.progress().recordsRead, 0, "it resumes at the end");
      assert.deepEqual(removed, [], "nothing removed by running");

      // A remove that fails keeps the checkpoint: the delete can be retried.
      failing = true;
      await assert.rejects(runner.remove!("copy", config), /no answer/);
      assert.notEqual(
        (await checkpoints.get("copy/read")).position,
        undefined,
      );

      failing = false;
      await runner.remove!("copy", config);
      assert.deepEqual(removed, [
        { args: { resource: "orders_slot" }, name: "keep", id: "copy" },
      ]);
      assert.equal((await checkpoints.get("copy/read")).position, undefined);

      // Created again with the same id: from the beginning.
      await rm(out);
      const again = runner.start("copy", config);
      assert.equal(await again.ended, undefined);
      assert.equal(again.progress().recordsRead, 10);
      assert.deepEqual(await records(out), numbers(0, 10));

      // Removed again: nothing left to remove is no error.
      await runner.remove!("copy", config);
      await runner.remove!("copy", config);
      assert.equal(removed.length, 3);
    } finally {
      await checkpoints.close?.();
    }
  });
});

test("configRunner() shares one checkpoint store among its connectors: 20 connectors on PostgreSQL use the store's pool of server connections, not one each", async () => {
  await withRoot(async (root) => {
    const suffix = `${Date.now().toString(36)}_${
      Math.random().toString(36).slice(2, 8)
    }`;
    const application = `ca_shared_store_${suffix}`;
    const table = `ca_shared_checkpoints_${suffix}`;
    const url = new URL(POSTGRES_URL);
    url.searchParams.set("application_name", application);
    const admin = postgres(POSTGRES_URL, { max: 1, onnotice: () => {} });
    const connections = async () =>
      (await admin<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE application_name = ${application}`)[0]!.n;
    const runner = configRunner({
      root,
      checkpointStore: { type: "postgres", url: url.href, table },
    });
    const ids = Array.from({ length: 20 }, (_, i) => `c${i}`);
    const running = ids.map((id) =>
      runner.start(id, {
        id,
        runners: { main: { runtime: RUNTIME } },
        checkpoint: { everyMs: 20 },
        processors: [
          {
            name: "numbers",
            use: "generate",
            args: { count: 1_000_000, ratePerSecond: 200 },
          },
          { name: "write", use: "file-sink", args: { path: `${id}.ndjson` } },
        ],
      })
    );
    try {
      await Promise.all(running.map((connector) => connector.started));
      await until(
        () => running.every((c) => typeof c.progress().position === "number"),
        "a commit of every connector",
      );
      const open = await connections();
      // The postgres store's pool holds at most 2 connections.
      assert.ok(
        open >= 1 && open <= 2,
        `20 connectors keep ${open} connections to the store's server`,
      );
      // Each connector commits its own checkpoint, fenced by its own id.
      const rows = await admin.unsafe<{ id: string }[]>(
        `SELECT id FROM "${table}" ORDER BY id`,
      );
      assert.deepEqual(
        rows.map((row) => row.id),
        ids.map((id) => `${id}/numbers`).sort(),
      );

      await Promise.all(running.map((connector) => connector.stop()));
      for (let i = 0; (await connections()) > 0; i++) {
        if (i > 500) {
          assert.fail(
            "the store was not closed after the last connector ended",
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await Promise.all(running.map((connector) => connector.abort()));
      await admin.unsafe(`DROP TABLE IF EXISTS "${table}"`);
      await admin.end({ timeout: 5 });
    }
  });
});

test(`configRunner() runs a config with a runner of the other runtime (${OTHER}) as a child process`, async () => {
  await withRoot(async (root) => {
    const runner = configRunner({
      root,
      checkpointStore: STORE,
      env: { ...process.env, ...EXECUTABLES },
    });
    const config = {
      id: "across",
      runners: { a: { runtime: RUNTIME }, b: { runtime: OTHER } },
      processors: [
        {
          name: "numbers",
          use: "generate",
          runner: "a",
          args: { count: 2000, template: { kind: "n" } },
        },
        {
          name: "write",
          use: "file-sink",
          runner: "b",
          args: { path: "out.ndjson" },
        },
      ],
    };
    assert.deepEqual(await runner.check(config), []);
    const running = runner.start("across", config);
    await running.started;
    assert.equal(await running.ended, undefined);
    const progress = running.progress();
    assert.equal(progress.recordsRead, 2000);
    assert.equal(progress.recordsWritten, 2000);
    const positions = progress.position as Record<string, unknown>;
    assert.deepEqual(Object.keys(positions).sort(), [
      "across/numbers",
      "across/write",
    ]);
    assert.equal(positions["across/numbers"], 1999);
    const written = await readFile(join(root, "out.ndjson"), "utf8");
    assert.deepEqual(
      written.trim().split("\n").map((line) => JSON.parse(line).id),
      Array.from({ length: 2000 }, (_, i) => i),
    );
  });
});
