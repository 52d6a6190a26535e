// Copyright 2026 the @ca/streams authors. MIT license.
// A module registers a checkpoint store and a channel transport, and a
// config uses both: `ca run` (main() in this process) runs a pipeline of
// two runners joined by a channel over the module's transport,
// checkpointed in the module's store. Once with both runners in this
// process, once with the second runner a child of the other runtime (a
// Node 24 child under Deno, a Deno child under Node), which loads the
// module itself. Imports the source, not the package: loadConfig,
// loadCliRuntime and defaultRegistry are internal to the `ca` command.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { main } from "../../connectors/cli/main.ts";
import { loadCliRuntime } from "../../connectors/cli/cli_runtime.ts";
import { loadConfig } from "../../connectors/cli/load_config.ts";
import { ConfigError } from "../../src/config/config_error.ts";
import { defaultRegistry } from "../../connectors/cli/default_registry.ts";
import { transportBytes } from "./fixtures/custom_module.ts";

const ROOT = new URL("../../", import.meta.url);
const path = (relative: string) =>
  decodeURIComponent(new URL(relative, ROOT).pathname);
const MODULE = path("tests/config/fixtures/custom_module.ts");
const HERE: "deno" | "node" = "Deno" in globalThis ? "deno" : "node";
const OTHER = HERE === "deno" ? "node" : "deno";
const EXECUTABLES = {
  deno: path("node_modules/.bin/deno"),
  node: path("node_modules/node24/bin/node"),
};
const RECORDS = 3000;

interface Entry {
  event: string;
  id?: string;
  position?: unknown;
  port?: number;
  pipelineId?: string;
}

async function entries(file: string): Promise<Entry[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.split("\n").filter((line) => line !== "").map((line) =>
    JSON.parse(line)
  );
}

/** Writes the config into `dir` and runs `ca run` on it. */
async function run(dir: string, second: "deno" | "node"): Promise<number> {
  const config = `
id: custom
runners:
  a: { runtime: ${HERE}, executable: ${EXECUTABLES[HERE]} }
  b: { runtime: ${second}, executable: ${EXECUTABLES[second]} }
modules: [${MODULE}]
checkpoint:
  store: { type: acme/journal, journal: ./journal.ndjson }
  everyRecords: 500
processors:
  - { name: numbers, use: generate, runner: a, args: { count: ${RECORDS} } }
  - { name: out, use: file-sink, runner: b, args: { path: ./out.ndjson } }
channels:
  - from: numbers
    to: out
    transport: acme/counted-tcp
    args: { log: ${join(dir, "transport.ndjson")} }
`;
  const file = join(dir, "pipeline.yaml");
  await writeFile(file, config);
  assert.equal(await main(["validate", file]), 0, "ca validate");
  return await main(["run", file, "--summary"]);
}

async function check(dir: string): Promise<void> {
  const out = (await readFile(join(dir, "out.ndjson"), "utf8"))
    .split("\n").filter((line) => line !== "").map((line) =>
      JSON.parse(line) as { id: number }
    );
  assert.equal(out.length, RECORDS);
  assert.deepEqual(
    out.map((record) => record.id),
    Array.from({ length: RECORDS }, (_, i) => i),
  );
  // The store: opened by both runners (and maybe probed before), every
  // one opened closed again, committed by both segments, the source's last
  // commit at its end.
  const journal = await entries(join(dir, "journal.ndjson"));
  const opened = journal.filter((e) => e.event === "open").length;
  assert.ok(opened >= 2, `opened ${opened} times`);
  assert.equal(journal.filter((e) => e.event === "close").length, opened);
  const commits = journal.filter((e) => e.event === "commit");
  assert.deepEqual(
    [...new Set(commits.map((e) => e.id))].sort(),
    ["custom/numbers", "custom/out"],
  );
  const last = commits.filter((e) => e.id === "custom/numbers").at(-1)!;
  assert.equal(last.position, RECORDS - 1);
  // The transport: the reader listened once, the writer dialled its port.
  const transport = await entries(join(dir, "transport.ndjson"));
  const listens = transport.filter((e) => e.event === "listen");
  assert.equal(listens.length, 1);
  assert.ok(listens[0]!.port! > 0);
  const connects = transport.filter((e) => e.event === "connect");
  assert.ok(connects.length >= 1);
  assert.ok(connects.every((e) => e.port === listens[0]!.port));
}

test(`a module's store and transport carry a config's checkpoints and channel (ca run on ${HERE}, both runners in-process)`, async () => {
  const dir = await mkdtemp(join(tmpdir(), "ca_custom_"));
  try {
    const before = transportBytes.received;
    assert.equal(await run(dir, HERE), 0);
    await check(dir);
    // In this process, so the transport's byte count is visible: every
    // record crossed it.
    assert.ok(
      transportBytes.received - before > RECORDS * 10,
      `only ${transportBytes.received - before} bytes crossed the transport`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test(`a module's store and transport work in a child runner too (ca run on ${HERE}, runner b on ${OTHER})`, async () => {
  const dir = await mkdtemp(join(tmpdir(), "ca_custom_"));
  try {
    assert.equal(await run(dir, OTHER), 0);
    await check(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a config naming an unregistered store or transport fails validation with did you mean", async () => {
  const dir = await mkdtemp(join(tmpdir(), "ca_custom_"));
  try {
    const file = join(dir, "pipeline.yaml");
    await writeFile(
      file,
      `
id: typo
runners: { a: { runtime: ${HERE} }, b: { runtime: ${HERE} } }
modules: [${MODULE}]
checkpoint: { store: { type: acme/jurnal, journal: ./j } }
processors:
  - { name: numbers, use: generate, runner: a, args: { count: 1 } }
  - { name: out, use: file-sink, runner: b, args: { path: ./out.ndjson } }
channels:
  - { from: numbers, to: out, transport: acme/counted-tpc, args: { log: ./l } }
`,
    );
    assert.equal(await main(["validate", file]), 2);
    const error = await loadConfig(file, await loadCliRuntime()).then(
      () => assert.fail("expected a ConfigError"),
      (error: unknown) => error,
    );
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.issues.map((issue) => issue.path), [
      "/checkpoint/store/type",
      "/channels/0/transport",
    ]);
    assert.match(
      error.issues[0]!.message,
      /^expected a registered store, got "acme\/jurnal" \(did you mean "acme\/journal"\?\); known: memory, file, deno-kv, redis, postgres, mariadb, nats-kv, acme\/journal$/,
    );
    assert.match(
      error.issues[1]!.message,
      /^expected a registered transport, got "acme\/counted-tpc" \(did you mean "acme\/counted-tcp"\?\); known: tcp, ws, acme\/counted-tcp$/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("defaultRegistry() has every built-in store and transport", () => {
  const registry = defaultRegistry();
  assert.deepEqual(registry.names("store"), [
    "memory",
    "file",
    "deno-kv",
    "redis",
    "postgres",
    "mariadb",
    "nats-kv",
  ]);
  assert.deepEqual(registry.names("transport"), ["tcp", "ws"]);
});
