// Copyright 2026 the @ca/streams authors. MIT license.

// fileDefinitionStore(): the definition store conformance suite (reopen is a
// new store object over the same log, so two of them contend through the
// lock file as two processes would), then what only a log file has: its
// lines, torn tails and half-written appends a killed writer leaves, an
// edited log, and real child processes appending at once. Runs on Deno
// (`deno test -A`) and Node (`node --test`); the child processes run on the
// same runtime as the test.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { DefinitionStoreDefinition } from "../../src/config/define_definition_store.ts";
import type { DefinitionEvent } from "../../src/definition_store/definition_event.ts";
import { definitionStoreConformance } from "../../src/testing/definition_store_conformance.ts";
import { fileDefinitionStore } from "./file_definition_store.ts";
import { fileStoreDefinitions } from "./file_store_definitions.ts";

const CHILD = fileURLToPath(
  new URL("./_test_definition_child.ts", import.meta.url),
);
const IS_DENO = "Deno" in globalThis;
const AT = "2026-03-01T12:00:00.000Z";

const directories: string[] = [];
async function freshDirectory(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ca-file-definitions-"));
  directories.push(dir);
  return dir;
}
after(async () => {
  for (const dir of directories) {
    await rm(dir, { recursive: true, force: true });
  }
});

definitionStoreConformance({
  name: "fileDefinitionStore()",
  durable: true,
  async open() {
    const dir = await freshDirectory();
    // A folder that does not exist yet: the first append makes it.
    const path = join(dir, "host", "definitions.ndjson");
    return {
      store: fileDefinitionStore(path),
      reopen: () => fileDefinitionStore(path),
      close: () => rm(dir, { recursive: true, force: true }),
    };
  },
}, { test });

function created(connector: string): DefinitionEvent {
  return {
    type: "created",
    connector,
    at: AT,
    data: { config: { id: connector } },
  };
}
function started(connector: string): DefinitionEvent {
  return { type: "started", connector, at: AT, data: {} };
}

async function logPath(): Promise<string> {
  return join(await freshDirectory(), "definitions.ndjson");
}

describe("fileDefinitionStore() log", () => {
  test("writes one JSON line per event with its connector, version and the append's last version", async () => {
    const path = await logPath();
    const store = fileDefinitionStore(path);
    await store.append("orders", [created("orders"), started("orders")], 0);
    await store.append("b", [created("b")], 0);
    await store.close();
    const lines = (await readFile(path, "utf8")).split("\n");
    assert.deepEqual(lines.map((line) => line && JSON.parse(line)), [
      { version: 1, last: 2, ...created("orders") },
      { version: 2, last: 2, ...started("orders") },
      { version: 1, last: 1, ...created("b") },
      "",
    ]);
  });

  test("reads through a torn last line, and the next append cuts it off", async () => {
    const path = await logPath();
    const first = fileDefinitionStore(path);
    await first.append("orders", [created("orders")], 0);
    await first.close();
    const whole = await readFile(path, "utf8");
    // A writer killed mid-line.
    await appendFile(path, '{"version":2,"last":2,"type":"sta');
    const store = fileDefinitionStore(path);
    assert.deepEqual(await store.list(), [
      { connector: "orders", version: 1, deleted: false },
    ]);
    assert.equal(await store.append("orders", [started("orders")], 1), 2);
    assert.equal(
      await readFile(path, "utf8"),
      whole + JSON.stringify({ version: 2, last: 2, ...started("orders") }) +
        "\n",
    );
    await store.close();
    const reopened = fileDefinitionStore(path);
    assert.deepEqual((await reopened.read("orders")).map((e) => e.type), [
      "created",
      "started",
    ]);
    await reopened.close();
  });

  test("an append whose last line is missing counts as not written, and the next append cuts it off", async () => {
    const path = await logPath();
    const store = fileDefinitionStore(path);
    await store.append("orders", [created("orders")], 0);
    const whole = await readFile(path, "utf8");
    // The first two lines of an append of three, as a killed writer leaves them.
    await appendFile(
      path,
      JSON.stringify({ version: 2, last: 4, ...started("orders") }) + "\n" +
        JSON.stringify({
          version: 3,
          last: 4,
          ...started("orders"),
          type: "stopped",
        }) + "\n",
    );
    const other = fileDefinitionStore(path);
    assert.deepEqual(await other.list(), [
      { connector: "orders", version: 1, deleted: false },
    ]);
    assert.equal((await store.read("orders")).length, 1);
    await assert.rejects(
      other.append("orders", [started("orders")], 3),
      { code: "CA_ERR_WRONG_EXPECTED_VERSION", actualVersion: 1 },
    );
    assert.equal(await readFile(path, "utf8"), whole);
    assert.equal(await other.append("orders", [started("orders")], 1), 2);
    assert.deepEqual((await store.read("orders")).map((e) => e.version), [
      1,
      2,
    ]);
    await Promise.all([store.close(), other.close()]);
  });

  test("an edited log is an error naming the line's byte offset, and stays as it is", async () => {
    const path = await logPath();
    const store = fileDefinitionStore(path);
    await store.append("orders", [created("orders")], 0);
    await store.close();
    const first = (await readFile(path, "utf8")).length;
    await appendFile(path, "not json\n");
    const edited = await readFile(path, "utf8");
    const reader = fileDefinitionStore(path);
    await assert.rejects(reader.list(), {
      name: "SyntaxError",
      message:
        `Cannot read definitions from ${path}: the line at byte ${first} is not JSON`,
    });
    await assert.rejects(
      reader.append("orders", [started("orders")], 1),
      { name: "SyntaxError" },
    );
    assert.equal(await readFile(path, "utf8"), edited);
    await reader.close();

    await writeFile(
      path,
      JSON.stringify({ version: 2, last: 2, ...created("orders") }) + "\n",
    );
    const gap = fileDefinitionStore(path);
    await assert.rejects(gap.read("orders"), {
      message:
        `Cannot read definitions from ${path}: the line at byte 0 has version 2 where connector "orders" is at 0`,
    });
    await gap.close();
  });

  test("a log that shrank under an open store is an error", async () => {
    const path = await logPath();
    const store = fileDefinitionStore(path);
    await store.append("orders", [created("orders"), started("orders")], 0);
    await writeFile(path, "");
    await assert.rejects(
      store.append("orders", [started("orders")], 2),
      /Cannot read definitions from .*: the log shrank from \d+ to 0 bytes/,
    );
    await store.close();
  });

  test("the lock file is gone after appends, and a stale one of a dead process is broken", async () => {
    const path = await logPath();
    await writeFile(
      `${path}.lock`,
      JSON.stringify({
        pid: 999_999_999,
        host: "elsewhere",
        token: "t",
        created: 0,
      }),
    );
    const store = fileDefinitionStore(path, { staleLockMs: 200 });
    assert.equal(await store.append("orders", [created("orders")], 0), 1);
    await store.close();
    await assert.rejects(readFile(`${path}.lock`), { code: "ENOENT" });
  });

  test("child processes appending at once each store every event, once, in one sequence of versions", async () => {
    const path = await logPath();
    const store = fileDefinitionStore(path);
    await store.append("shared", [created("shared")], 0);
    const perChild = 25;
    const writers = ["a", "b", "c"];
    const outputs = await Promise.all(writers.map((writer) => {
      const command = IS_DENO
        ? [process.execPath, "run", "-A", CHILD]
        : [process.execPath, CHILD];
      const child = spawn(
        command[0]!,
        [
          ...command.slice(1),
          "append",
          path,
          "shared",
          writer,
          String(perChild),
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      let output = "";
      child.stdout!.on("data", (chunk) => output += chunk);
      return new Promise<string>((resolve, reject) =>
        child.once(
          "exit",
          (code) =>
            code === 0
              ? resolve(output)
              : reject(new Error(`child ${writer} exited with ${code}`)),
        )
      );
    }));
    for (const output of outputs) assert.match(output, /^done \d+\n$/);
    const events = await store.read("shared");
    assert.deepEqual(
      events.map((event) => event.version),
      Array.from({ length: 1 + perChild * writers.length }, (_, i) => i + 1),
    );
    for (const writer of writers) {
      const ns = events.flatMap((event) => {
        const config = event.type === "reconfigured"
          ? event.data.config as { writer: string; n: number }
          : undefined;
        return config?.writer === writer ? [config.n] : [];
      });
      assert.deepEqual(ns, Array.from({ length: perChild }, (_, i) => i));
    }
    await store.close();
  });
});

describe("the file definition store definition", () => {
  test("opens a log at a path relative to the host's root", async () => {
    const dir = await freshDirectory();
    const definition = fileStoreDefinitions().find((
      d,
    ): d is DefinitionStoreDefinition => d.kind === "definitionStore");
    assert.equal(definition?.name, "file");
    const validate = definition!.args["~standard"].validate;
    const checked = await validate({ path: "state/definitions.ndjson" });
    assert.ok(!checked.issues, JSON.stringify(checked.issues));
    const store = await definition!.create(
      (checked as { value: unknown }).value,
      {
        baseUrl: new URL(`file://${dir}/`).href,
        signal: new AbortController().signal,
      },
    );
    await store.append("orders", [created("orders")], 0);
    await store.close();
    const log = await readFile(
      join(dir, "state", "definitions.ndjson"),
      "utf8",
    );
    assert.equal(log.split("\n").length, 2);
    assert.ok((await validate({ path: "" })).issues?.length);
    assert.ok((await validate({ dir: "x" })).issues?.length);
  });
});
