// fileSource(): byte positions, exact resume, formats, errors, release.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  mkdtemp,
  readdir,
  readlink,
  realpath,
  rm,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileSource, FileSyntaxError } from "./mod.ts";

interface Batch<T> {
  records: T[];
  position: unknown;
}

/** Calls `open(after)` the way `pipeline()` does, through the source's symbol. */
function openAfter<T>(
  source: AsyncIterable<T>,
  after: unknown,
  signal: AbortSignal = new AbortController().signal,
): AsyncIterable<Batch<T>> {
  const init = (source as unknown as Record<symbol, {
    open(a: unknown, o: { signal: AbortSignal }): AsyncIterable<Batch<T>>;
  }>)[Symbol.for("@ca/streams/resumable-source")]!;
  return init.open(after, { signal });
}

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

async function eventuallyClosed(path: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const count = await openCount(path);
    if (count === undefined || count === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.fail(`${path} is still open`);
}

const utf8 = new TextEncoder();

// Multi-byte characters of 2, 3 and 4 bytes, "\r\n", blank and
// whitespace-only lines, and a last line without "\n".
const MIXED_LINES = [
  '{"i":0,"s":"héllo"}',
  '{"i":1,"s":"日本語"}\r',
  "",
  '{"i":2,"s":"🚀 rocket"}',
  "   ",
  '{"i":3,"s":"plain"}\r',
  '{"i":4,"s":"ÀÉÎÕÜ ✓ 𝄞"}',
  "",
  "",
  '{"i":5,"s":"end"}',
];
const MIXED = MIXED_LINES.join("\n") + "\n" + '{"i":6,"s":"no newline é"}';

describe("fileSource()", () => {
  test("reads NDJSON in batches positioned just after their last line", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "rows.ndjson");
      await writeFile(path, '{"n":1}\n{"n":2}\n\n{"n":3}\n{"n":4}');
      const source = fileSource<{ n: number }>(path, { batchSize: 2 });
      const batches = await Array.fromAsync(openAfter(source, undefined));
      assert.deepEqual(batches, [
        { records: [{ n: 1 }, { n: 2 }], position: 16 },
        { records: [{ n: 3 }, { n: 4 }], position: 32 },
      ]);
      assert.deepEqual(await Array.fromAsync(source), [
        { n: 1 },
        { n: 2 },
        { n: 3 },
        { n: 4 },
      ]);
    });
  });

  test("resuming after every batch position reads exactly the remaining records", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "mixed.ndjson");
      const bytes = utf8.encode(MIXED);
      await writeFile(path, bytes);
      const expected = Array.from({ length: 7 }, (_, i) => i);
      for (const chunkSize of [1, 2, 3, 5, 7, 16, 65536]) {
        for (const batchSize of [1, 2, 3, 1024]) {
          const where = `chunkSize ${chunkSize}, batchSize ${batchSize}`;
          const source = fileSource<{ i: number }>(path, {
            chunkSize,
            batchSize,
          });
          const batches = await Array.fromAsync(openAfter(source, undefined));
          assert.deepEqual(
            batches.flatMap((b) => b.records.map((r) => r.i)),
            expected,
            where,
          );
          assert.equal(batches.at(-1)!.position, bytes.length, where);
          let seen = 0;
          for (const batch of batches) {
            const position = batch.position as number;
            assert.ok(batch.records.length <= batchSize, where);
            assert.ok(
              position === bytes.length || bytes[position - 1] === 10,
              `${where}: position ${position} ends a line`,
            );
            seen += batch.records.length;
            const rest = await Array.fromAsync(openAfter(source, position));
            assert.deepEqual(
              rest.flatMap((b) => b.records.map((r) => r.i)),
              expected.slice(seen),
              `${where}: resume after ${position}`,
            );
          }
        }
      }
      // Every line end is a valid resume point, including blank lines.
      const source = fileSource<{ i: number }>(path);
      for (let at = 0; at <= bytes.length; at++) {
        if (at !== 0 && at !== bytes.length && bytes[at - 1] !== 10) continue;
        const before = new TextDecoder().decode(bytes.subarray(0, at));
        const done = (before.match(/"i":/g) ?? []).length;
        const rest = await Array.fromAsync(openAfter(source, at));
        assert.deepEqual(
          rest.flatMap((b) => b.records.map((r) => r.i)),
          expected.slice(done),
          `resume after byte ${at}`,
        );
      }
    });
  });

  test('format "lines" yields strings, keeps blank lines and drops "\\r"', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "mixed.txt");
      const bytes = utf8.encode(MIXED);
      await writeFile(path, bytes);
      const expected = [...MIXED_LINES, '{"i":6,"s":"no newline é"}'].map((
        line,
      ) => line.replace(/\r$/, ""));
      for (const chunkSize of [1, 3, 65536]) {
        const source = fileSource<string>(path, {
          format: "lines",
          chunkSize,
          batchSize: 4,
        });
        assert.deepEqual(await Array.fromAsync(source), expected);
        const batches = await Array.fromAsync(openAfter(source, undefined));
        let seen = 0;
        for (const batch of batches) {
          seen += batch.records.length;
          const rest = await Array.fromAsync(
            openAfter(source, batch.position),
          );
          assert.deepEqual(
            rest.flatMap((b) => b.records),
            expected.slice(seen),
          );
        }
      }
    });
  });

  test("reads lines longer than the chunk size and ignores a byte order mark", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "long.ndjson");
      const long = "x".repeat(100_000) + "é";
      await writeFile(
        path,
        `\uFEFF{"a":1}\n${JSON.stringify(long)}\n{"a":2}\n`,
      );
      const rows = await Array.fromAsync(fileSource(path, { chunkSize: 4 }));
      assert.deepEqual(rows, [{ a: 1 }, long, { a: 2 }]);
      assert.deepEqual(await Array.fromAsync(fileSource(path)), rows);
    });
  });

  test("an empty file has no records", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "empty.ndjson");
      await writeFile(path, "");
      assert.deepEqual(
        await Array.fromAsync(openAfter(fileSource(path), 0)),
        [],
      );
      await writeFile(path, "\n\n  \n");
      assert.deepEqual(await Array.fromAsync(fileSource(path)), []);
    });
  });

  test("a line that is not JSON fails naming the path and its byte offset, after the records before it", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "bad.ndjson");
      await writeFile(path, '{"a":"é"}\n{"a":2}\n{"a":\n{"a":4}\n');
      const received: Batch<unknown>[] = [];
      await assert.rejects(
        (async () => {
          for await (const batch of openAfter(fileSource(path), undefined)) {
            received.push(batch);
          }
        })(),
        (error: unknown) => {
          assert.ok(error instanceof FileSyntaxError);
          assert.ok(error instanceof SyntaxError);
          assert.equal(error.code, "CA_ERR_FILE_SYNTAX");
          assert.equal(error.path, path);
          assert.equal(error.offset, 19);
          assert.equal(error.end, 25);
          assert.equal(error.line, 3);
          assert.match(error.message, /^Cannot parse NDJSON in /);
          assert.ok(error.message.includes(path), error.message);
          assert.match(error.message, /at byte 19\b/);
          return true;
        },
      );
      assert.deepEqual(received, [
        { records: [{ a: "é" }, { a: 2 }], position: 19 },
      ]);
      // Resuming after the bad line skips it.
      const rest = await Array.fromAsync(openAfter(fileSource(path), 25));
      assert.deepEqual(rest, [{ records: [{ a: 4 }], position: 33 }]);
      // Line numbers count from where the source opened.
      await assert.rejects(
        Array.fromAsync(openAfter(fileSource(path), 11)),
        (error: unknown) =>
          error instanceof FileSyntaxError && error.line === 2 &&
          error.offset === 19,
      );
    });
  });

  test("rejects resume positions that are not the end of a line of the file", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "rows.ndjson");
      await writeFile(path, '{"a":1}\n{"a":2}\n');
      const source = fileSource(path);
      await assert.rejects(
        Array.fromAsync(openAfter(source, 3)),
        (error: unknown) =>
          error instanceof RangeError &&
          error.message.includes("after byte 3: it is not the end of a line"),
      );
      await assert.rejects(
        Array.fromAsync(openAfter(source, 17)),
        (error: unknown) =>
          error instanceof RangeError &&
          error.message.includes("the file is shorter"),
      );
      await assert.rejects(
        Array.fromAsync(openAfter(source, "8")),
        TypeError,
      );
      await assert.rejects(Array.fromAsync(openAfter(source, -1)), RangeError);
      assert.deepEqual(await Array.fromAsync(openAfter(source, 16)), []);
    });
  });

  test("a missing file fails naming the path", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "missing.ndjson");
      await assert.rejects(
        Array.fromAsync(fileSource(path)),
        (error: unknown) =>
          error instanceof Error &&
          error.message === `Cannot open file source ${path}: no such file` &&
          error.cause !== undefined,
      );
    });
  });

  test("rejects bad arguments", () => {
    assert.throws(() => fileSource(""), TypeError);
    assert.throws(() => fileSource(42 as never), TypeError);
    assert.throws(
      () => fileSource("x", { format: "csv" as never }),
      /format must be "ndjson" or "lines", got "csv"/,
    );
    assert.throws(() => fileSource("x", { chunkSize: 0 }), RangeError);
    assert.throws(() => fileSource("x", { batchSize: 1.5 }), RangeError);
    assert.throws(
      () => fileSource("x", { batchSize: "2" as never }),
      TypeError,
    );
    assert.throws(() => fileSource("x", { signal: {} as never }), TypeError);
  });

  test("aborting the open signal releases the file and rejects the next read", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "many.ndjson");
      await writeFile(path, '{"a":1}\n'.repeat(10_000));
      const controller = new AbortController();
      const iterator = openAfter(
        fileSource(path, { batchSize: 10 }),
        undefined,
        controller.signal,
      )[Symbol.asyncIterator]();
      assert.equal((await iterator.next()).value?.records.length, 10);
      const before = await openCount(path);
      if (before !== undefined) assert.equal(before, 1);
      const reason = new Error("stop");
      controller.abort(reason);
      // Released at once, though the consumer has not called next() or return().
      await eventuallyClosed(path);
      await assert.rejects(iterator.next(), (error) => error === reason);
    });
  });

  test("aborting while a read is in flight rejects with the abort reason", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "many.ndjson");
      await writeFile(path, '{"a":1}\n'.repeat(10_000));
      for (let attempt = 0; attempt < 20; attempt++) {
        const controller = new AbortController();
        const iterator = openAfter(
          fileSource(path, { batchSize: 1000, chunkSize: 16 }),
          undefined,
          controller.signal,
        )[Symbol.asyncIterator]();
        await iterator.next();
        const pending = iterator.next(); // needs hundreds of small reads
        await new Promise((resolve) => setTimeout(resolve, attempt % 3));
        const reason = new Error(`stop ${attempt}`);
        controller.abort(reason);
        await assert.rejects(pending, (error) => error === reason);
        await eventuallyClosed(path);
      }
    });
  });

  test("the source's own signal stops every open", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "many.ndjson");
      await writeFile(path, '{"a":1}\n'.repeat(10_000));
      const controller = new AbortController();
      const source = fileSource(path, {
        batchSize: 10,
        signal: controller.signal,
      });
      const iterator = source[Symbol.asyncIterator]();
      assert.deepEqual((await iterator.next()).value, { a: 1 });
      controller.abort(new Error("shutdown"));
      await eventuallyClosed(path);
      // Records already read may still be delivered; then the reason.
      await assert.rejects(
        (async () => {
          while (!(await iterator.next()).done);
        })(),
        /shutdown/,
      );
      await assert.rejects(Array.fromAsync(source), /shutdown/);
    });
  });

  test("a consumer that stops early releases the file", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "many.ndjson");
      await writeFile(path, '{"a":1}\n'.repeat(10_000));
      let count = 0;
      for await (const _ of fileSource(path, { batchSize: 10 })) {
        if (++count === 5) {
          const open = await openCount(path);
          if (open !== undefined) assert.equal(open, 1);
          break;
        }
      }
      await eventuallyClosed(path);
      for await (const batch of openAfter(fileSource(path), undefined)) {
        assert.equal(batch.records.length, 1024);
        break;
      }
      await eventuallyClosed(path);
    });
  });
});
