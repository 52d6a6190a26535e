// Copyright 2026 the @ca/streams authors. MIT license.
// The connector host recovers on its own (issue 14, "Recovery test"): a
// connector whose sink fails 3 times then works goes `recovering`, is
// restarted from its checkpoint with backoff and comes back `running` by
// itself, and loses no record; a connector whose sink always fails ends
// `degraded`, with its error in the API. Real configs run by
// connectorHost() in this process (file source → the sink of the module
// tests/host/fixtures/flaky_sink.ts, allowed through allowModules), driven
// over the host's HTTP API. No timing assertions: the test polls, with
// generous bounds.
import assert from "node:assert/strict";
import { mkdtemp, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { connectorHost, memoryDefinitionStore } from "@ca/streams/host";
import type { ConnectorHost } from "@ca/streams/host";

const RUNTIME = "Deno" in globalThis ? "deno" : "node";
const FIXTURES = decodeURIComponent(
  new URL("./fixtures/", import.meta.url).pathname,
);
const TOKEN = "recovery-test-admin-token";
const RECORDS = 5000;

async function withRoot(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await realpath(await mkdtemp(join(tmpdir(), "ca-recovery-")));
  try {
    await fn(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** An answer of the API: its status and JSON body. */
async function call(
  host: ConnectorHost,
  method: string,
  path: string,
  body?: unknown,
  // deno-lint-ignore no-explicit-any -- JSON answers, read field by field
): Promise<{ status: number; body: any }> {
  const response = await host.fetch(
    new Request(`http://host${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  const text = await response.text();
  return {
    status: response.status,
    body: text === "" ? null : JSON.parse(text),
  };
}

/**
 * Polls the connector until `ready(details)`; fails after two minutes with
 * what it last saw and its history.
 */
async function until(
  host: ConnectorHost,
  id: string,
  what: string,
  // deno-lint-ignore no-explicit-any -- JSON answers
  ready: (details: any) => boolean,
  // deno-lint-ignore no-explicit-any -- JSON answers
): Promise<any> {
  const giveUp = Date.now() + 120_000;
  for (;;) {
    const { status, body } = await call(host, "GET", `/connectors/${id}`);
    assert.equal(status, 200);
    if (ready(body)) return body;
    if (Date.now() > giveUp) {
      const history = await call(host, "GET", `/connectors/${id}/history`);
      assert.fail(
        `gave up waiting for ${id} to be ${what}: ${JSON.stringify(body)}; ${
          JSON.stringify(history.body)
        }`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The types of the connector's events, in order. */
async function eventTypes(host: ConnectorHost, id: string): Promise<string[]> {
  const { status, body } = await call(host, "GET", `/connectors/${id}/history`);
  assert.equal(status, 200);
  return body.events.map((event: { type: string }) => event.type);
}

/** `n` records `{ id }`, one NDJSON line each, in `root/in.ndjson`. */
async function writeInput(root: string, n: number): Promise<void> {
  let text = "";
  for (let id = 0; id < n; id++) text += JSON.stringify({ id }) + "\n";
  await writeFile(join(root, "in.ndjson"), text);
}

/** The ids in an NDJSON file, in order ([] when it does not exist). */
async function idsIn(file: string): Promise<number[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.split("\n").filter((line) => line !== "").map((line) =>
    JSON.parse(line).id
  );
}

/** A connector config: file source → the flaky sink of the fixture module. */
function config(sink: Record<string, unknown>) {
  return {
    runners: { main: { runtime: RUNTIME } },
    modules: [join(FIXTURES, "flaky_sink.ts")],
    checkpoint: { everyRecords: 500 },
    processors: [
      { name: "read", use: "file-source", args: { path: "in.ndjson" } },
      {
        name: "write",
        use: "test/flaky-sink",
        args: { path: "out.ndjson", counter: "failures.txt", ...sink },
      },
    ],
  };
}

function hostIn(
  root: string,
  recovery: { initialDelayMs: number; maxRetries?: number },
): ConnectorHost {
  return connectorHost({
    definitions: memoryDefinitionStore(),
    root,
    allowModules: FIXTURES,
    checkpointStore: { type: "file", dir: join(root, "checkpoints") },
    tokens: { admin: [TOKEN] },
    recovery,
  });
}

test("connectorHost() restarts a connector whose sink fails 3 times: recovering, then running by itself, no record lost", async () => {
  await withRoot(async (root) => {
    await writeInput(root, RECORDS);
    const host = hostIn(root, { initialDelayMs: 20 });
    await host.start();
    try {
      const created = await call(host, "POST", "/connectors", {
        id: "flaky",
        start: true,
        config: config({ failures: 3, hold: "release" }),
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));

      // Three failures, each followed by a restart with backoff; the
      // fourth run writes, and holds its first batch until released.
      const running = await until(
        host,
        "flaky",
        "running after 3 restarts",
        (c) => c.state === "running" && c.restarts === 3,
      );
      assert.equal(running.enabled, true);
      assert.equal(await readFile(join(root, "failures.txt"), "utf8"), "3");
      const events = await eventTypes(host, "flaky");
      assert.deepEqual(events, [
        "created",
        "started",
        "failed",
        "recovering",
        "failed",
        "recovering",
        "failed",
        "recovering",
      ]);
      const history = (await call(host, "GET", "/connectors/flaky/history"))
        .body.events;
      const failed = history.filter((e: { type: string }) =>
        e.type === "failed"
      );
      for (const event of failed) {
        assert.match(event.data.error.message, /fails on purpose/);
      }
      assert.deepEqual(
        history.filter((e: { type: string }) => e.type === "recovering")
          .map((e: { data: { attempt: number } }) => e.data.attempt),
        [1, 2, 3],
      );

      // Let it finish: every record of the input is in the output.
      await writeFile(join(root, "release"), "");
      const finished = await until(
        host,
        "flaky",
        "finished",
        (c) => c.state === "stopped" && !c.enabled,
      );
      assert.equal(finished.restarts, 3);
      assert.equal((await eventTypes(host, "flaky")).at(-1), "stopped");
      const ids = await idsIn(join(root, "out.ndjson"));
      const missing = Array.from({ length: RECORDS }, (_, id) => id).filter(
        (id) => !ids.includes(id),
      );
      assert.deepEqual(missing, [], "no record is lost");
      assert.equal(ids.length, RECORDS, "failed writes stored nothing");
    } finally {
      await host.stop();
    }
  });
});

test("connectorHost() leaves a connector whose sink always fails degraded, with its error in the API, after maxRetries restarts", async () => {
  await withRoot(async (root) => {
    await writeInput(root, 100);
    const host = hostIn(root, { initialDelayMs: 20, maxRetries: 2 });
    await host.start();
    try {
      const created = await call(host, "POST", "/connectors", {
        id: "broken",
        start: true,
        config: config({ failures: "always" }),
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const degraded = await until(
        host,
        "broken",
        "degraded",
        (c) => c.state === "degraded",
      );
      assert.equal(degraded.enabled, true);
      assert.equal(degraded.restarts, 2);
      assert.equal(typeof degraded.error?.code, "string");
      assert.match(degraded.error.message, /write 3 fails on purpose/);
      assert.deepEqual(await eventTypes(host, "broken"), [
        "created",
        "started",
        "failed",
        "recovering",
        "failed",
        "recovering",
        "failed",
      ]);
      // The list shows the same state and error.
      const listed = (await call(host, "GET", "/connectors")).body.connectors
        .find((c: { id: string }) => c.id === "broken");
      assert.equal(listed.state, "degraded");
      assert.deepEqual(listed.error, degraded.error);
      // Three runs, each failed at its first write, stored nothing.
      assert.equal(await readFile(join(root, "failures.txt"), "utf8"), "3");
      assert.deepEqual(await idsIn(join(root, "out.ndjson")), []);
    } finally {
      await host.stop();
    }
  });
});
