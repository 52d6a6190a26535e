// Copyright 2026 the @ca/streams authors. MIT license.

// fileStore(): the conformance suite (every factory call is a new store
// object over the same folder, so two of them contend through the lock file
// as two processes would), then what only files have: stale locks, torn
// temporary files, killed lock holders and real child processes racing.
// Runs on Deno (`deno test -A`) and Node (`node --test`); the child
// processes run on the same runtime as the test. fileStore comes from the
// package; checkpointFileName from the source, as it is internal (a function:
// no class is shared between the two).

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { createInterface, type Interface } from "node:readline";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { fileStore } from "@ca/streams/file-store";
import { checkpointFileName } from "../../connectors/file_store/file_name.ts";
import {
  assertFenced,
  checkpointStoreConformance,
  uniqueId,
} from "./conformance.ts";

const CHILD = fileURLToPath(new URL("./file_store_child.ts", import.meta.url));
const IS_DENO = "Deno" in globalThis;

const directories: string[] = [];
async function freshDirectory(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ca-file-store-"));
  directories.push(dir);
  return dir;
}
after(async () => {
  for (const dir of directories) {
    await rm(dir, { recursive: true, force: true });
  }
});

const shared = await freshDirectory();
checkpointStoreConformance("fileStore()", () => fileStore(shared));

/** A child process of this runtime running `file_store_child.ts`, read line by line. */
interface Child {
  process: ChildProcess;
  next(): Promise<string>;
  exited: Promise<number | null>;
}

function child(...args: string[]): Child {
  const command = IS_DENO ? [process.execPath, "run", "-A", CHILD] : [
    process.execPath,
    CHILD,
  ];
  const proc = spawn(command[0], [...command.slice(1), ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines: Interface = createInterface({ input: proc.stdout! });
  const buffered: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  lines.on("line", (line) => {
    const waiter = waiting.shift();
    if (waiter) waiter(line);
    else buffered.push(line);
  });
  const exited = new Promise<number | null>((resolve) =>
    proc.once("exit", (code) => resolve(code))
  );
  return {
    process: proc,
    next() {
      const line = buffered.shift();
      if (line !== undefined) return Promise.resolve(line);
      return new Promise((resolve, reject) => {
        waiting.push(resolve);
        exited.then((code) =>
          reject(new Error(`child ${args.join(" ")} exited with ${code}`))
        );
      });
    },
    exited,
  };
}

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

async function within<T>(
  ms: number,
  promise: Promise<T>,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what} took over ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe("fileStore() on disk", () => {
  test("keeps one readable JSON file per id and leaves no lock or temporary file", async () => {
    const dir = join(await freshDirectory(), "nested", "checkpoints");
    const store = fileStore(dir);
    const { generation } = await store.acquire("Orders/EU");
    await store.commit("Orders/EU", { offset: 5 }, generation);
    assert.deepEqual(await files(dir), ["^orders%2f^e^u.json"]);
    const text = await readFile(join(dir, "^orders%2f^e^u.json"), "utf8");
    assert.deepEqual(JSON.parse(text), {
      id: "Orders/EU",
      generation: 1,
      position: { offset: 5 },
    });
  });

  test("file names stay short and distinct for long ids", async () => {
    const long = "a".repeat(400);
    const names = await Promise.all(
      [long, long + "b", "A".repeat(400), "é".repeat(200)].map(
        checkpointFileName,
      ),
    );
    assert.equal(new Set(names).size, names.length);
    for (const name of names) assert.ok(name.length <= 170, name);
    assert.equal(await checkpointFileName("con"), "%63on");
    assert.equal(await checkpointFileName(""), "%");
  });

  test("a torn temporary file and the stale lock of a dead process do not break acquire()", async () => {
    const dir = await freshDirectory();
    const store = fileStore(dir, { staleLockMs: 60_000 });
    const { generation } = await store.acquire("orders");
    await store.commit("orders", { offset: 10 }, generation);

    const gone = child("exit");
    const deadPid = gone.process.pid!;
    assert.equal(await gone.exited, 0);
    await writeFile(
      join(dir, "orders.lock"),
      JSON.stringify({
        pid: deadPid,
        host: hostname(),
        token: "0123456789abcdef",
        created: Date.now(),
      }),
    );
    await writeFile(
      join(dir, "orders.json.0123456789abcdef.tmp"),
      '{"id":"orders","gen',
    );

    const next = await within(5_000, store.acquire("orders"), "acquire()");
    assert.deepEqual(next, {
      position: { offset: 10 },
      generation: generation + 1,
    });
    assert.deepEqual(await files(dir), ["orders.json"]);
  });

  test("a lock older than staleLockMs is broken even if its process looks alive", async () => {
    const dir = await freshDirectory();
    await writeFile(
      join(dir, "orders.lock"),
      JSON.stringify({
        pid: process.pid,
        host: hostname(),
        token: "fedcba9876543210",
        created: Date.now(),
      }),
    );
    const store = fileStore(dir, { staleLockMs: 300 });
    const started = performance.now();
    assert.equal((await store.acquire("orders")).generation, 1);
    assert.ok(performance.now() - started >= 250, "broke a fresh lock");
    assert.deepEqual(await files(dir), ["orders.json"]);
  });

  test("an empty lock file (holder killed between create and write) is broken after staleLockMs", async () => {
    const dir = await freshDirectory();
    await writeFile(join(dir, "orders.lock"), "");
    const store = fileStore(dir, { staleLockMs: 200 });
    assert.equal(
      (await within(5_000, store.acquire("orders"), "acquire()")).generation,
      1,
    );
  });

  test("a live lock is waited for, not broken", async () => {
    const dir = await freshDirectory();
    const lock = join(dir, "orders.lock");
    await writeFile(
      lock,
      JSON.stringify({
        pid: process.pid,
        host: hostname(),
        token: "00000000000000aa",
        created: Date.now(),
      }),
    );
    const store = fileStore(dir, { staleLockMs: 60_000 });
    let settled = false;
    const acquiring = store.acquire("orders").finally(() => settled = true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(settled, false, "acquire() went past a live lock");
    await rm(lock);
    assert.equal((await within(5_000, acquiring, "acquire()")).generation, 1);
  });

  test("a signal gives up waiting for a held lock", async () => {
    const dir = await freshDirectory();
    await writeFile(
      join(dir, "orders.lock"),
      JSON.stringify({
        pid: process.pid,
        host: hostname(),
        token: "00000000000000bb",
        created: Date.now(),
      }),
    );
    const store = fileStore(dir, { staleLockMs: 60_000 });
    await assert.rejects(
      store.acquire("orders", { signal: AbortSignal.timeout(200) }),
      (error: Error) => error.name === "TimeoutError",
    );
    assert.deepEqual(await store.get("orders"), {
      position: undefined,
      generation: 0,
    });
  });

  test("the store's own signal stops every call", async () => {
    const controller = new AbortController();
    const store = fileStore(await freshDirectory(), {
      signal: controller.signal,
    });
    assert.equal((await store.acquire("orders")).generation, 1);
    controller.abort(new Error("shutting down"));
    await assert.rejects(store.acquire("orders"), /shutting down/);
  });

  test("close() waits for pending calls, then calls are refused", async () => {
    const store = fileStore(await freshDirectory());
    const acquiring = store.acquire("orders");
    await store.close!();
    assert.equal((await acquiring).generation, 1);
    await assert.rejects(
      store.get("orders"),
      /^Error: Cannot read checkpoint of "orders": the store is closed$/,
    );
  });

  test("a corrupt checkpoint file is reported, not overwritten", async () => {
    const dir = await freshDirectory();
    await writeFile(join(dir, "orders.json"), "{not json");
    const store = fileStore(dir);
    await assert.rejects(store.acquire("orders"), SyntaxError);
    assert.equal(await readFile(join(dir, "orders.json"), "utf8"), "{not json");
  });

  test("bad arguments are TypeError and RangeError", () => {
    assert.throws(() => fileStore(""), TypeError);
    assert.throws(() => fileStore("x", { staleLockMs: 0 }), RangeError);
  });
});

describe("fileStore() across processes", () => {
  test("a lock holder killed with SIGKILL mid-section does not block the next acquire()", async () => {
    const dir = await freshDirectory();
    const store = fileStore(dir, { staleLockMs: 60_000 });
    const { generation } = await store.acquire("orders");
    await store.commit("orders", "before the kill", generation);

    const holder = child("hold-lock", dir, "orders");
    const [word, token] = (await holder.next()).split(" ");
    assert.equal(word, "locked");
    assert.deepEqual(await files(dir), [
      "orders.json",
      `orders.json.${token}.tmp`,
      "orders.lock",
    ]);
    holder.process.kill("SIGKILL");
    await holder.exited;

    const next = await within(
      5_000,
      store.acquire("orders"),
      "acquire() after the kill",
    );
    assert.deepEqual(next, {
      position: "before the kill",
      generation: generation + 1,
    });
    assert.deepEqual(await files(dir), ["orders.json"]);
  });

  test("two processes race acquire() and commit(): exactly one is fenced", async () => {
    const dir = await freshDirectory();
    for (let round = 0; round < 3; round++) {
      const id = uniqueId("race");
      const a = child("race", dir, id);
      const b = child("race", dir, id);
      const generations = await Promise.all(
        [a, b].map(async (c) => {
          const [word, n] = (await c.next()).split(" ");
          assert.equal(word, "acquired");
          return Number(n);
        }),
      );
      assert.deepEqual([...generations].sort(), [1, 2]);
      a.process.stdin!.end("go\n");
      b.process.stdin!.end("go\n");
      const outcomes = await Promise.all([a.next(), b.next()]);
      await Promise.all([a.exited, b.exited]);
      const winner = generations[0] === 2 ? 0 : 1;
      assert.equal(outcomes[winner], "committed");
      assert.equal(outcomes[1 - winner], "fenced CA_ERR_FENCED");
      const stored = await fileStore(dir).get(id);
      assert.deepEqual(stored, {
        position: { pid: [a, b][winner].process.pid!, generation: 2 },
        generation: 2,
      });
    }
  });

  test("acquire() is atomic across processes: no generation is lost or repeated", async () => {
    const dir = await freshDirectory();
    const id = uniqueId("many");
    const perChild = 25;
    const children = [0, 1, 2].map(() =>
      child("acquire", dir, id, String(perChild))
    );
    const seen: number[] = [];
    const store = fileStore(dir);
    const own = (async () => {
      for (let i = 0; i < perChild; i++) {
        seen.push((await store.acquire(id)).generation);
      }
    })();
    await Promise.all(children.map(async (c) => {
      for (let i = 0; i < perChild; i++) seen.push(Number(await c.next()));
      assert.equal(await c.exited, 0);
    }));
    await own;
    const total = perChild * (children.length + 1);
    assert.deepEqual(
      seen.sort((x, y) => x - y),
      Array.from({ length: total }, (_, i) => i + 1),
    );
    assert.equal((await store.get(id)).generation, total);
    await assertFenced(store.commit(id, 0, total - 1), {
      id,
      generation: total - 1,
    });
  });
});
