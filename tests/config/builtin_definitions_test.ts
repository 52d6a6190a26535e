// Copyright 2026 the @ca/streams authors. MIT license.
// The library's stores and transports as a config names them: created from
// their definitions in defaultRegistry() by openStore() and by a transport's
// listen/connect, against the real servers (CA_TEST_REDIS_URL,
// CA_TEST_POSTGRES_URL). Imports the source, not the package: defaultRegistry,
// openStore and currentRuntime are internal to the `ca` command.
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import postgres from "postgres";
import { createClient } from "redis";
import { collect } from "../../src/sinks/collect.ts";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { channelReader } from "../../src/channel/channel_reader.ts";
import { channelWriter } from "../../src/channel/channel_writer.ts";
import { ConfigError } from "../../src/config/config_error.ts";
import { defaultRegistry } from "../../connectors/cli/default_registry.ts";
import { openStore } from "../../connectors/cli/open_store.ts";
import {
  currentRuntime,
  injectRuntime,
} from "../../connectors/runtime/current_runtime.ts";

const registry = defaultRegistry();
const REDIS_URL = process.env.CA_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const POSTGRES_URL = process.env.CA_TEST_POSTGRES_URL ??
  "postgres://postgres@127.0.0.1:5432/test";
const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

function options(baseUrl = "file:///nowhere/") {
  return { registry, pipelineId: "defs", baseUrl };
}

/** Acquires, commits and reads back through a store a config named. */
async function roundTrip(
  config: { type: string; [key: string]: unknown },
  baseUrl?: string,
): Promise<void> {
  const store = await openStore(config, options(baseUrl));
  try {
    const id = `defs-${run}`;
    const { generation } = await store.acquire(id);
    await store.commit(id, { at: 41 }, generation);
    assert.deepEqual((await store.get(id)).position, { at: 41 });
    await store.delete(id);
  } finally {
    await store.close?.();
  }
}

test("the file store from a config resolves dir against the config's folder", async () => {
  const dir = await mkdtemp(join(tmpdir(), "ca_defs_"));
  try {
    await roundTrip(
      { type: "file", dir: "./checkpoints" },
      pathToFileURL(dir + "/").href,
    );
    assert.deepEqual(await readdir(dir), ["checkpoints"]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the memory store from a config", async () => {
  await roundTrip({ type: "memory" });
});

test("the redis store from a config owns its connection", async () => {
  const prefix = `ca-test:${run}:`;
  try {
    await roundTrip({ type: "redis", url: REDIS_URL, prefix });
  } finally {
    const client = await createClient({ url: REDIS_URL }).connect();
    await client.del(`${prefix}defs-${run}`);
    await client.close();
  }
});

test("the postgres store from a config owns its client and ends it on close", async () => {
  const table = `ca_defs_${run.replaceAll("-", "_")}`;
  try {
    await roundTrip({ type: "postgres", url: POSTGRES_URL, table });
  } finally {
    const sql = postgres(POSTGRES_URL, { max: 1, onnotice: () => {} });
    await sql.unsafe(`DROP TABLE IF EXISTS "${table}"`);
    await sql.end();
  }
});

test("openStore() checks the type and args again, as a runner must", async () => {
  await assert.rejects(
    openStore({ type: "reddis", url: REDIS_URL }, options()),
    (error: unknown) =>
      error instanceof ConfigError &&
      /^\/checkpoint\/store\/type: expected a registered store, got "reddis" \(did you mean "redis"\?\)/
        .test(
          `${error.issues[0]!.path}: ${error.issues[0]!.message}`,
        ),
  );
  await assert.rejects(
    openStore({ type: "postgres", url: "mysql://h/db" }, options()),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.issues[0]!.path === "/checkpoint/store/url",
  );
});

test("the deno-kv store opens on Deno only, with a clear error elsewhere", async () => {
  if (currentRuntime() === "deno") {
    await roundTrip({ type: "deno-kv", path: ":memory:" });
  }
  const was = currentRuntime();
  injectRuntime("node");
  try {
    await assert.rejects(
      openStore({ type: "deno-kv" }, options()),
      /^Error: Cannot open the deno-kv store: Deno KV needs the Deno runtime$/,
    );
  } finally {
    injectRuntime(was === "deno" ? undefined : was);
  }
});

for (
  const [name, args] of [["tcp", {}], ["ws", { path: "/numbers" }]] as const
) {
  test(`the ${name} transport carries a channel through its definition`, async () => {
    const transport = registry.get("transport", name)!;
    const listener = await transport.listen(args, {
      host: "127.0.0.1",
      port: 0,
    });
    const received = collect<number>();
    const reading = pipeline(
      channelReader<number>(listener, { stream: "n" }),
      received,
    );
    await pipeline(
      [1, 2, 3],
      channelWriter<number>(
        (signal) =>
          transport.connect(args, {
            host: "127.0.0.1",
            port: listener.port,
            signal,
          }),
        { stream: "n" },
      ),
    );
    await reading;
    assert.deepEqual(received.records, [1, 2, 3]);
  });
}
