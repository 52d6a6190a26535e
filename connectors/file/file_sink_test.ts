// fileSink(): whole-batch appends, torn-line repair, formats, errors, release;
// and the round trip fileSource() → map() → fileSink() through pipeline().
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  mkdtemp,
  readdir,
  readFile,
  readlink,
  realpath,
  rm,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { map, pipeline } from "@ca/streams";
import { fileSink, fileSource } from "./mod.ts";
import { appendAll } from "./append_all.ts";
import { appendSink } from "./append_sink.ts";
import type { AppendHandle } from "./file_runtime.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), "ca-file-")));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** File descriptors of this process open on `path` (Linux), else undefined. */
async function openCount(path: string): Promise<number | undefined> {
  let fds: string[];
  try {
    fds = await readdir("/proc/self/fd");
  } catch {
    return undefined;
  }
  let count = 0;
  for (const fd of fds) {
    try {
      if (await readlink(`/proc/self/fd/${fd}`) === path) count++;
    } catch {
      // closed while listing
    }
  }
  return count;
}

async function assertOpen(path: string, expected: number): Promise<void> {
  const count = await openCount(path);
  if (count !== undefined) assert.equal(count, expected, `open on ${path}`);
}

/** Writes through the batch interface, as pipeline() does. */
function batchWriter<T>(sink: WritableStream<T>) {
  return (sink as unknown as Record<symbol, {
    write(records: T[]): void | PromiseLike<void>;
    close?(): void | PromiseLike<void>;
    abort?(reason: unknown): void | PromiseLike<void>;
  }>)[Symbol.for("@ca/streams/batch-sink")]!;
}

/**
 * An in-memory file for the sink's failure paths: `failures` lists what the
 * next appends do ("partial": store 5 bytes and report them, then the
 * following call throws; "throw": store nothing and throw).
 */
function memoryFile(initial: string) {
  const file = {
    data: new TextEncoder().encode(initial),
    failures: [] as ("partial" | "throw")[],
    truncateFails: false,
    syncFails: false,
    get text() {
      return new TextDecoder().decode(file.data);
    },
  };
  const store = (bytes: Uint8Array) => {
    const next = new Uint8Array(file.data.length + bytes.length);
    next.set(file.data);
    next.set(bytes, file.data.length);
    file.data = next;
  };
  const handle: AppendHandle = {
    read(buffer, position) {
      const part = file.data.subarray(position, position + buffer.length);
      buffer.set(part);
      return Promise.resolve(part.length);
    },
    close: () => Promise.resolve(),
    size: () => Promise.resolve(file.data.length),
    truncate(length) {
      if (file.truncateFails) return Promise.reject(new Error("EIO"));
      file.data = file.data.slice(0, length);
      return Promise.resolve();
    },
    append(bytes) {
      const failure = file.failures.shift();
      if (failure === "throw") return Promise.reject(new Error("ENOSPC"));
      if (failure === "partial") {
        store(bytes.subarray(0, 5));
        file.failures.unshift("throw");
        return Promise.resolve(5);
      }
      store(bytes);
      return Promise.resolve(bytes.length);
    },
    sync() {
      return file.syncFails
        ? Promise.reject(new Error("EIO"))
        : Promise.resolve();
    },
  };
  const runtime = () =>
    Promise.resolve({
      openRead: () => Promise.resolve(handle),
      openAppend: () => Promise.resolve(handle),
    });
  return { file, runtime };
}

describe("fileSink()", () => {
  test("round-trips 100,000 NDJSON records through pipeline(fileSource, map, fileSink)", async () => {
    await withTempDir(async (dir) => {
      const input = join(dir, "in.ndjson");
      const output = join(dir, "out.ndjson");
      const count = 100_000;
      let text = "";
      for (let i = 0; i < count; i++) {
        text +=
          JSON.stringify({ id: i, name: `név ${i} 🚀`, even: i % 2 === 0 }) +
          (i % 1000 === 0 ? "\r\n\n" : "\n");
      }
      await writeFile(input, text);
      const summary = await pipeline(
        fileSource<{ id: number; name: string; even: boolean }>(input),
        map((row: { id: number; name: string; even: boolean }) => ({
          id: row.id * 2,
          name: row.name.toUpperCase(),
        })),
        fileSink(output),
      );
      assert.equal(summary.recordsRead, count);
      assert.equal(summary.recordsWritten, count);
      const lines = (await readFile(output, "utf8")).split("\n");
      assert.equal(lines.pop(), "");
      assert.equal(lines.length, count);
      for (let i = 0; i < count; i++) {
        assert.deepEqual(JSON.parse(lines[i]!), {
          id: i * 2,
          name: `NÉV ${i} 🚀`,
        });
      }
      await assertOpen(input, 0);
      await assertOpen(output, 0);
    });
  });

  test("appends each batch whole, after what the file holds", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "out.ndjson");
      await writeFile(path, '{"old":true}\n');
      const sink = fileSink<unknown>(path);
      const writer = batchWriter(sink);
      await writer.write([{ a: 1 }, "two", [3], null]);
      assert.equal(
        await readFile(path, "utf8"),
        '{"old":true}\n{"a":1}\n"two"\n[3]\nnull\n',
      );
      await writer.write([]);
      await writer.write([{ b: "é\n" }]);
      await writer.close?.();
      assert.equal(
        await readFile(path, "utf8"),
        '{"old":true}\n{"a":1}\n"two"\n[3]\nnull\n{"b":"é\\n"}\n',
      );
      await assertOpen(path, 0);
    });
  });

  test("truncates a torn last line when it opens the file", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "out.ndjson");
      const cases: [string, string][] = [
        ['{"a":1}\n{"a":2}\n{"a":', '{"a":1}\n{"a":2}\n'],
        ['{"a":', ""],
        ['{"a":1}\n', '{"a":1}\n'],
        ["", ""],
        // A torn line longer than one backward scan (64 KiB).
        ['{"a":1}\n' + "x".repeat(200_000), '{"a":1}\n'],
        ["y".repeat(200_000), ""],
      ];
      for (const [before, kept] of cases) {
        await writeFile(path, before);
        await pipeline([{ z: 0 }], fileSink(path));
        assert.equal(
          await readFile(path, "utf8"),
          kept + '{"z":0}\n',
          `file held ${JSON.stringify(before.slice(0, 40))}`,
        );
      }
      // Closing without a write repairs (and creates) the file too.
      await writeFile(path, '{"a":1}\n{"a":');
      await pipeline([], fileSink(path));
      assert.equal(await readFile(path, "utf8"), '{"a":1}\n');
      const created = join(dir, "created.ndjson");
      await pipeline([], fileSink(created));
      assert.equal(await readFile(created, "utf8"), "");
    });
  });

  test("a missing directory fails with an error naming the path", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "no", "such", "out.ndjson");
      await assert.rejects(
        batchWriter(fileSink(path)).write([1]) as Promise<void>,
        (error: unknown) =>
          error instanceof Error &&
          error.message ===
            `Cannot open file sink ${path}: directory ${
              join(dir, "no", "such")
            } does not exist` &&
          error.cause !== undefined,
      );
      await assert.rejects(
        async () => await pipeline([1], fileSink(path)),
        (error: unknown) =>
          error instanceof Error && error.message.includes(path),
      );
    });
  });

  test('format "lines" writes strings and rejects what would not read back', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "out.txt");
      await pipeline(
        ["héllo", "", "a\rb", "🚀"],
        fileSink<string>(path, { format: "lines" }),
      );
      assert.equal(await readFile(path, "utf8"), "héllo\n\na\rb\n🚀\n");
      assert.deepEqual(
        await Array.fromAsync(fileSource(path, { format: "lines" })),
        ["héllo", "", "a\rb", "🚀"],
      );
      const writer = batchWriter(fileSink<unknown>(path, { format: "lines" }));
      await assert.rejects(
        async () => await writer.write(["ok", "two\nlines"]),
        (error: unknown) =>
          error instanceof TypeError && /record 1 to /.test(error.message),
      );
      await assert.rejects(
        async () => await writer.write(["cr\r"]),
        TypeError,
      );
      await assert.rejects(
        async () => await writer.write([42]),
        /a line must be a string, got number/,
      );
      await writer.close?.();
      // Nothing of a rejected batch was written.
      assert.equal(await readFile(path, "utf8"), "héllo\n\na\rb\n🚀\n");
    });
  });

  test("a record without JSON text fails naming its index", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "out.ndjson");
      const writer = batchWriter(fileSink<unknown>(path));
      await writer.write([1, 2]);
      await assert.rejects(
        async () => await writer.write([3, undefined]),
        (error: unknown) =>
          error instanceof TypeError &&
          error.message.startsWith(`Cannot write record 3 to ${path}:`),
      );
      await writer.write([4]);
      await writer.close?.();
      assert.equal(await readFile(path, "utf8"), "1\n2\n4\n");
    });
  });

  test("sync: true flushes each batch", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "out.ndjson");
      await pipeline(
        Array.from({ length: 3000 }, (_, i) => i),
        fileSink(path, { sync: true }),
        { batchSize: 1000 },
      );
      const text = await readFile(path, "utf8");
      assert.equal(text.split("\n").length, 3001);
      assert.throws(() => fileSink(path, { sync: "yes" as never }), TypeError);
    });
  });

  test("close() and abort() release the file", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "out.ndjson");
      const closing = batchWriter(fileSink(path));
      await closing.write([1]);
      await assertOpen(path, 1);
      await closing.close?.();
      await assertOpen(path, 0);

      const aborting = batchWriter(fileSink(path));
      await aborting.write([2]);
      await assertOpen(path, 1);
      await aborting.abort?.(new Error("stop"));
      await assertOpen(path, 0);
      assert.equal(await readFile(path, "utf8"), "1\n2\n");
    });
  });

  test("aborting its signal closes the file after the batch in flight and refuses later writes", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "out.ndjson");
      const controller = new AbortController();
      const writer = batchWriter(fileSink(path, { signal: controller.signal }));
      await writer.write([1]);
      const inFlight = writer.write(
        Array.from({ length: 50_000 }, (_, i) => ({ i })),
      );
      const reason = new Error("shutdown");
      controller.abort(reason);
      await inFlight;
      for (let i = 0; i < 100 && (await openCount(path)) !== 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await assertOpen(path, 0);
      await assert.rejects(
        async () => await writer.write([2]),
        (error) => error === reason,
      );
      const lines = (await readFile(path, "utf8")).split("\n");
      assert.equal(lines.length, 50_002);
      assert.equal(lines.at(-1), "");
    });
  });

  test("appends the rest after a partial write", async () => {
    const data = new TextEncoder().encode('{"a":1}\n{"a":2}\n');
    const stored: number[] = [];
    const slow = {
      append(bytes: Uint8Array) {
        const n = Math.min(3, bytes.length);
        stored.push(...bytes.subarray(0, n));
        return Promise.resolve(n);
      },
    };
    await appendAll(slow, data, "slow.ndjson");
    assert.deepEqual(new Uint8Array(stored), data);
    const stuck = { append: () => Promise.resolve(0) };
    await assert.rejects(
      appendAll(stuck, data, "stuck.ndjson"),
      /Cannot append to stuck.ndjson: a write stored no bytes/,
    );
  });

  test("a batch that fails part way is truncated away, so a retry starts on a fresh line", async () => {
    const { file, runtime } = memoryFile('{"a":0}\n{"torn');
    const sink = batchWriter(
      appendSink<unknown>("mem.ndjson", {
        format: "ndjson",
        sync: false,
        signal: undefined,
        runtime,
      }),
    );
    await sink.write([{ a: 1 }]);
    assert.equal(file.text, '{"a":0}\n{"a":1}\n');
    file.failures.push("partial");
    await assert.rejects(
      async () => await sink.write([{ a: 2 }, { a: 3 }]),
      /ENOSPC/,
    );
    assert.equal(file.text, '{"a":0}\n{"a":1}\n');
    await sink.write([{ a: 2 }, { a: 3 }]);
    assert.equal(file.text, '{"a":0}\n{"a":1}\n{"a":2}\n{"a":3}\n');
  });

  test("refuses to write after a torn batch it cannot remove, or a failed flush", async () => {
    const torn = memoryFile("");
    const sink = batchWriter(
      appendSink<unknown>("mem.ndjson", {
        format: "ndjson",
        sync: false,
        signal: undefined,
        runtime: torn.runtime,
      }),
    );
    torn.file.failures.push("partial");
    torn.file.truncateFails = true;
    await assert.rejects(async () => await sink.write([{ a: 1 }]), /ENOSPC/);
    await assert.rejects(
      async () => await sink.write([{ a: 1 }]),
      /^Error: Cannot write to file sink mem.ndjson: an earlier write failed and left a torn line$/,
    );

    const flushed = memoryFile("");
    const syncing = batchWriter(
      appendSink<unknown>("mem.ndjson", {
        format: "ndjson",
        sync: true,
        signal: undefined,
        runtime: flushed.runtime,
      }),
    );
    await syncing.write([1]);
    flushed.file.syncFails = true;
    await assert.rejects(async () => await syncing.write([2]), /EIO/);
    await assert.rejects(
      async () => await syncing.write([3]),
      /flushing an earlier write to the disk failed/,
    );
    assert.equal(flushed.file.text, "1\n2\n");
  });

  test("rejects bad arguments", () => {
    assert.throws(() => fileSink(""), TypeError);
    assert.throws(() => fileSink("x", { format: "csv" as never }), TypeError);
    assert.throws(() => fileSink("x", { signal: "no" as never }), TypeError);
  });
});
