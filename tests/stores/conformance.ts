// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * The checkpoint store contract as one `node:test` suite: every store (the
 * memory store in `src/`, the file, Deno KV, Redis and PostgreSQL stores in
 * `connectors/`) registers it with a factory, from `deno test` and from
 * `node --test`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { Checkpoint, CheckpointStore, Position } from "@ca/streams";
import { pipeline, resumableSource } from "@ca/streams";

/** What a store under test supports beyond the contract's minimum. */
export interface ConformanceOptions {
  /** Calls reject at once with the reason of an aborted `signal` (default true). */
  signals?: boolean;
  /** `commit()` rejects a position that is not JSON with a `TypeError` (default true). */
  rejectsNonJson?: boolean;
}

/**
 * Opens a store object. Every call must return a store over the same data
 * (the same folder, key prefix or table), as another process would open
 * it; a store that has no such thing (the memory store) returns the same
 * object each time.
 */
export type StoreFactory = () => CheckpointStore | Promise<CheckpointStore>;

/** JSON values of every kind, for round trips. */
export const POSITIONS: readonly Position[] = [
  0,
  42,
  -7.25,
  Number.MAX_SAFE_INTEGER,
  1e21,
  "",
  'offset 7 "quoted" \\ ünïcödé 🎉 \n\t',
  true,
  false,
  null,
  [],
  {},
  [1, "two", null, [3]],
  { partition: 3, offset: 1234, nested: { a: [1, { b: null }], s: "x" } },
];

/** Ids that break naive file names, keys or SQL. */
export const SPECIAL_IDS: readonly string[] = [
  "",
  " ",
  "orders",
  "Orders",
  "ORDERS",
  "a/b",
  "a\\b",
  "../escape",
  ".",
  "..",
  "a.b",
  "a:b",
  "a*b?c",
  "%2f",
  "^orders",
  "con",
  "NUL",
  "it's",
  'say "hi"',
  "'; DROP TABLE x; --",
  "line\nbreak",
  "tab\there",
  "ünïcödé",
  "🎉",
  "x".repeat(300),
  "Y".repeat(300),
];

function isFenced(error: unknown): boolean {
  return error instanceof Error && error.name === "FencedError" &&
    (error as { code?: unknown }).code === "CA_ERR_FENCED";
}

/**
 * Asserts that `promise` rejects with a `FencedError` (matched by name and
 * `code`, so a copy of the class from a built bundle counts too).
 */
export async function assertFenced(
  promise: Promise<unknown>,
  expected: { id: string; generation: number; currentGeneration?: number },
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isFenced(error), `expected a FencedError, got ${error}`);
    const fenced = error as Error & {
      id: string;
      generation: number;
      currentGeneration: number | undefined;
    };
    assert.equal(fenced.id, expected.id);
    assert.equal(fenced.generation, expected.generation);
    if (expected.currentGeneration !== undefined) {
      assert.equal(fenced.currentGeneration, expected.currentGeneration);
    }
    assert.match(fenced.message, /^Cannot commit checkpoint of /);
    return true;
  });
}

let counter = 0;

/** A fresh id, unique in this run and across runs. */
export function uniqueId(label: string): string {
  return `${label}-${Date.now().toString(36)}-${
    Math.random().toString(36).slice(2, 8)
  }-${counter++}`;
}

/**
 * Registers the conformance suite for one store.
 *
 * @param name Names the suite, such as `"fileStore()"`.
 * @param open Opens a store object over the shared data.
 * @param options What the store supports beyond the minimum.
 */
export function checkpointStoreConformance(
  name: string,
  open: StoreFactory,
  options: ConformanceOptions = {},
): void {
  const { signals = true, rejectsNonJson = true } = options;
  const opened = new Set<CheckpointStore>();
  async function store(): Promise<CheckpointStore> {
    const made = await open();
    opened.add(made);
    return made;
  }

  describe(`${name} conformance`, () => {
    after(async () => {
      for (const made of opened) await made.close?.();
    });

    test("get() of an unknown id has no position and generation 0", async () => {
      const s = await store();
      assert.deepEqual(await s.get(uniqueId("unknown")), {
        position: undefined,
        generation: 0,
      });
    });

    test("acquire() starts at generation 1 and counts up by one", async () => {
      const s = await store();
      const id = uniqueId("acquire");
      for (const expected of [1, 2, 3]) {
        const checkpoint = await s.acquire(id);
        assert.deepEqual(checkpoint, {
          position: undefined,
          generation: expected,
        });
      }
      assert.deepEqual(await s.get(id), { position: undefined, generation: 3 });
    });

    test("commit() and get() round-trip JSON positions of every kind", async () => {
      const s = await store();
      const id = uniqueId("round-trip");
      const { generation } = await s.acquire(id);
      for (const position of POSITIONS) {
        await s.commit(id, position, generation);
        assert.deepEqual(await s.get(id), { position, generation });
      }
    });

    test("acquire() returns the stored position with the new generation", async () => {
      const s = await store();
      const id = uniqueId("resume");
      const first = await s.acquire(id);
      await s.commit(id, { offset: 7 }, first.generation);
      const second = await s.acquire(id);
      assert.deepEqual(second, {
        position: { offset: 7 },
        generation: first.generation + 1,
      });
    });

    test("positions are copied: changing the committed object later changes nothing", async () => {
      const s = await store();
      const id = uniqueId("copy");
      const { generation } = await s.acquire(id);
      const position = { offsets: [1, 2] };
      await s.commit(id, position, generation);
      position.offsets.push(3);
      const read = await s.get(id);
      assert.deepEqual(read.position, { offsets: [1, 2] });
      (read.position as { offsets: number[] }).offsets.push(4);
      assert.deepEqual((await s.get(id)).position, { offsets: [1, 2] });
    });

    test("a stale generation gets FencedError (CA_ERR_FENCED) and the position stays", async () => {
      const s = await store();
      const id = uniqueId("stale");
      const old = await s.acquire(id);
      await s.commit(id, "kept", old.generation);
      const newer = await s.acquire(id);
      await assertFenced(s.commit(id, "lost", old.generation), {
        id,
        generation: old.generation,
        currentGeneration: newer.generation,
      });
      assert.deepEqual(await s.get(id), {
        position: "kept",
        generation: newer.generation,
      });
    });

    test("a generation never acquired is fenced: before any acquire(), and ahead of the newest", async () => {
      const s = await store();
      const id = uniqueId("never");
      await assertFenced(s.commit(id, 1, 0), { id, generation: 0 });
      await assertFenced(s.commit(id, 1, 1), { id, generation: 1 });
      assert.deepEqual(await s.get(id), { position: undefined, generation: 0 });
      const { generation } = await s.acquire(id);
      await assertFenced(s.commit(id, 2, generation + 1), {
        id,
        generation: generation + 1,
        currentGeneration: generation,
      });
      assert.deepEqual(await s.get(id), { position: undefined, generation });
    });

    test("two pipelines with one id: the newer keeps committing, the older stops fenced", async () => {
      const id = uniqueId("pipelines");
      const total = 5000;
      /** Records 0..total-1 in batches of 10, the position of each its number. */
      const numbers = (delayMs: number) =>
        resumableSource<number>({
          async *open(after) {
            for (
              let i = after === undefined ? 0 : Number(after) + 1;
              i < total;
            ) {
              const records: number[] = [];
              while (records.length < 10 && i < total) records.push(i++);
              if (delayMs > 0) {
                await new Promise((resolve) => setTimeout(resolve, delayMs));
              }
              yield { records, position: i - 1 };
            }
          },
        });
      const checkpoint = (made: CheckpointStore) => ({
        store: made,
        everyRecords: 10,
        everyMs: 20,
      });
      const a = await store();
      const older = pipeline(numbers(2), new WritableStream(), {
        id,
        checkpoint: checkpoint(a),
      });
      // Let the older instance commit before the newer one starts.
      for (
        let i = 0;
        i < 200 && (await a.get(id)).position === undefined;
        i++
      ) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const b = await store();
      const newer = pipeline(numbers(0), new WritableStream(), {
        id,
        checkpoint: checkpoint(b),
      });
      await assert.rejects(
        Promise.resolve(older),
        (error: unknown) =>
          (error as { code?: string }).code === "CA_ERR_FENCED",
      );
      assert.equal(older.state, "degraded");
      const summary = await newer;
      assert.equal(summary.ended, "finished");
      assert.equal(summary.position, total - 1);
      assert.equal((await a.get(id)).position, total - 1);
    });

    test("two instances racing: the one that acquired last wins, the other is fenced", async () => {
      const a = await store();
      const b = await store();
      const id = uniqueId("race");
      const first = await a.acquire(id);
      const second = await b.acquire(id);
      assert.ok(second.generation > first.generation);
      await assertFenced(a.commit(id, { by: "a" }, first.generation), {
        id,
        generation: first.generation,
        currentGeneration: second.generation,
      });
      await b.commit(id, { by: "b" }, second.generation);
      assert.deepEqual(await a.get(id), {
        position: { by: "b" },
        generation: second.generation,
      });
    });

    test("a second store object over the same data sees commits, deletes and fencing", async () => {
      const a = await store();
      const b = await store();
      const id = uniqueId("shared");
      const { generation } = await a.acquire(id);
      await a.commit(id, [1, 2, 3], generation);
      assert.deepEqual(await b.get(id), { position: [1, 2, 3], generation });
      await b.delete(id);
      assert.deepEqual(await a.get(id), {
        position: undefined,
        generation: generation + 1,
      });
      await assertFenced(a.commit(id, [4], generation), { id, generation });
    });

    test("concurrent acquire() calls from two store objects get distinct generations", async () => {
      const a = await store();
      const b = await store();
      const id = uniqueId("concurrent-acquire");
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).acquire(id)),
      );
      const generations = results.map((c) => c.generation).sort((x, y) =>
        x - y
      );
      assert.deepEqual(
        generations,
        Array.from({ length: 12 }, (_, i) => i + 1),
      );
      assert.equal((await a.get(id)).generation, 12);
    });

    test("sequential commits from one generation: the last write wins", async () => {
      const s = await store();
      const id = uniqueId("sequential");
      const { generation } = await s.acquire(id);
      for (let n = 1; n <= 5; n++) await s.commit(id, { n }, generation);
      assert.deepEqual((await s.get(id)).position, { n: 5 });
    });

    test("concurrent commits from one generation leave one whole position", async () => {
      const a = await store();
      const b = await store();
      const id = uniqueId("concurrent-commit");
      const { generation } = await a.acquire(id);
      const positions = Array.from(
        { length: 16 },
        (_, n) => ({ n, pad: String(n).repeat(2000) }),
      );
      await Promise.all(
        positions.map((p, i) => (i % 2 ? a : b).commit(id, p, generation)),
      );
      const { position } = await a.get(id);
      assert.ok(
        positions.some((p) => JSON.stringify(p) === JSON.stringify(position)),
        `stored position is none of the committed ones: ${
          JSON.stringify(position).slice(0, 80)
        }`,
      );
      await a.commit(id, "after", generation);
      assert.deepEqual(await b.get(id), { position: "after", generation });
    });

    test("delete() forgets the position and fences the running instance", async () => {
      const s = await store();
      const id = uniqueId("delete");
      const running = await s.acquire(id);
      await s.commit(id, { offset: 99 }, running.generation);
      await s.delete(id);
      assert.deepEqual(await s.get(id), {
        position: undefined,
        generation: running.generation + 1,
      });
      await assertFenced(s.commit(id, { offset: 100 }, running.generation), {
        id,
        generation: running.generation,
        currentGeneration: running.generation + 1,
      });
      assert.deepEqual(await s.acquire(id), {
        position: undefined,
        generation: running.generation + 2,
      });
    });

    test("generations survive delete() and never go back", async () => {
      const s = await store();
      const id = uniqueId("monotonic");
      await s.acquire(id);
      const fenced = await s.acquire(id);
      await s.delete(id);
      await s.delete(id);
      const next = await s.acquire(id);
      assert.equal(next.generation, fenced.generation + 3);
      await assertFenced(s.commit(id, 1, fenced.generation), {
        id,
        generation: fenced.generation,
        currentGeneration: next.generation,
      });
      await s.commit(id, 2, next.generation);
      assert.deepEqual(await s.get(id), {
        position: 2,
        generation: next.generation,
      });
    });

    test("delete() of an unknown id changes nothing", async () => {
      const s = await store();
      const id = uniqueId("delete-unknown");
      await s.delete(id);
      assert.deepEqual(await s.get(id), { position: undefined, generation: 0 });
    });

    test("ids are isolated, also when one is a prefix of another", async () => {
      const s = await store();
      const base = uniqueId("isolated");
      const ids = [base, `${base}:x`, `${base}/x`, `${base}x`, `${base}.json`];
      const generations = new Map<string, number>();
      for (const [i, id] of ids.entries()) {
        const { generation } = await s.acquire(id);
        generations.set(id, generation);
        await s.commit(id, { i }, generation);
      }
      await s.delete(base);
      await s.acquire(`${base}:x`);
      assert.deepEqual(await s.get(base), {
        position: undefined,
        generation: 2,
      });
      assert.deepEqual(await s.get(`${base}:x`), {
        position: { i: 1 },
        generation: 2,
      });
      for (const [i, id] of ids.entries()) {
        if (i < 2) continue;
        assert.deepEqual(await s.get(id), { position: { i }, generation: 1 });
      }
    });

    test("ids with special characters, case and length stay apart", async () => {
      const s = await store();
      const suffix = uniqueId("");
      const committed: [string, Checkpoint][] = [];
      for (const [i, special] of SPECIAL_IDS.entries()) {
        const id = special + suffix;
        const { generation } = await s.acquire(id);
        await s.commit(id, { i, id }, generation);
        committed.push([id, { position: { i, id }, generation }]);
      }
      // Bare special ids (no suffix) as well: these are the same in every run.
      for (const special of ["", "Orders", "orders", "con", "../escape"]) {
        const { generation } = await s.acquire(special);
        await s.commit(special, { bare: special }, generation);
        committed.push([special, { position: { bare: special }, generation }]);
      }
      for (const [id, expected] of committed) {
        assert.deepEqual(await s.get(id), expected, `id ${JSON.stringify(id)}`);
      }
    });

    if (rejectsNonJson) {
      test("commit() rejects a position that is not JSON with a TypeError and keeps the old one", async () => {
        const s = await store();
        const id = uniqueId("not-json");
        const { generation } = await s.acquire(id);
        await s.commit(id, "good", generation);
        for (
          const bad of [undefined, () => {}, Symbol("x"), 10n] as unknown[]
        ) {
          await assert.rejects(
            async () => await s.commit(id, bad as Position, generation),
            TypeError,
          );
        }
        assert.deepEqual(await s.get(id), { position: "good", generation });
      });
    }

    if (signals) {
      test("an aborted signal rejects every call and changes nothing", async () => {
        const s = await store();
        const id = uniqueId("aborted");
        const { generation } = await s.acquire(id);
        await s.commit(id, "before", generation);
        const controller = new AbortController();
        const reason = new Error("stop");
        controller.abort(reason);
        const signal = controller.signal;
        await assert.rejects(s.get(id, { signal }), (e) => e === reason);
        await assert.rejects(s.acquire(id, { signal }), (e) => e === reason);
        await assert.rejects(
          s.commit(id, "after", generation, { signal }),
          (e) => e === reason,
        );
        await assert.rejects(s.delete(id, { signal }), (e) => e === reason);
        assert.deepEqual(await s.get(id), { position: "before", generation });
      });
    }
  });
}
