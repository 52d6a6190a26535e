// Copyright 2026 the @ca/streams authors. MIT license.
// Pipelines as graphs (issue 11): merge() of resumable sources, fanOut() to
// several sinks, route() by a field and branch() processors, each with
// checkpoints, stop() and abort(). Written against the documented contract,
// as a user would check it. Run by `deno test` against the source and by
// Node 22 and 24 (`node --test`) against the built package.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  batchSink,
  branch,
  type CheckpointStore,
  collect,
  type DeadLetter,
  fanOut,
  filter,
  map,
  memoryStore,
  merge,
  pipeline,
  type Position,
  resumableSource,
  route,
  StageError,
} from "@ca/streams";

const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until `ready()` holds, failing after `ms` with `what`. */
async function until(
  ready: () => boolean,
  what: string,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    }
    await sleep(2);
  }
}

/** A promise that a test resolves when it wants. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => open = resolve);
  return { open, opened };
}

/** A record of a numbered source: its origin's name and its number there. */
interface Rec {
  origin: string;
  n: number;
  kind?: string;
}

/** What a test can see of a numbered source. */
interface SourceLog {
  /** The `after` of every open(). */
  opened: Array<Position | undefined>;
  /** Every ack(position). */
  acks: Position[];
  /** Records yielded so far. */
  yielded: number;
  /** How many opened runs have been released (their `finally` ran). */
  released: number;
  /** Set when open()'s signal was aborted. */
  signalled: boolean;
}

/**
 * A resumable source named `origin` with records `{ origin, n }` for n in
 * 0..count-1 (or without end), the position of record n being n, in batches
 * of `size`, `delayMs` apart.
 */
function numbered(
  origin: string,
  count: number,
  options: { size?: number; delayMs?: number; kind?: (n: number) => string } =
    {},
) {
  const { size = 50, delayMs = 0, kind } = options;
  const log: SourceLog = {
    opened: [],
    acks: [],
    yielded: 0,
    released: 0,
    signalled: false,
  };
  const source = resumableSource<Rec>({
    name: origin,
    async *open(after, { signal }) {
      log.opened.push(after);
      signal.addEventListener("abort", () => log.signalled = true);
      try {
        let i = after === undefined ? 0 : Number(after) + 1;
        while (i < count && !signal.aborted) {
          const records: Rec[] = [];
          while (records.length < size && i < count) {
            const n = i++;
            records.push(kind ? { origin, n, kind: kind(n) } : { origin, n });
          }
          if (delayMs > 0) await sleep(delayMs);
          log.yielded += records.length;
          yield { records, position: i - 1 };
        }
      } finally {
        log.released++;
      }
    },
    ack(position) {
      log.acks.push(position);
    },
  });
  return { source, log };
}

/** A store that records every committed position. */
function observed(store: CheckpointStore = memoryStore()) {
  const commits: Position[] = [];
  const wrapped: CheckpointStore = {
    get: (id) => store.get(id),
    acquire: (id) => store.acquire(id),
    delete: (id) => store.delete(id),
    async commit(id, position, generation) {
      await store.commit(id, position, generation);
      commits.push(structuredClone(position));
    },
  };
  return { store: wrapped, commits };
}

/** Stores `position` for `id` as a previous run would have. */
async function seed(store: CheckpointStore, id: string, position: Position) {
  const { generation } = await store.acquire(id);
  await store.commit(id, position, generation);
}

/** The numbers of `origin` among `records`, in the order they arrived. */
function numbersOf(records: readonly Rec[], origin: string): number[] {
  return records.filter((r) => r.origin === origin).map((r) => r.n);
}

/** from..to-1 */
function span(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** A plain sink that stores records one at a time, and can be held. */
function plainSink<T>(
  options: { hold?: Promise<void>; delayMs?: number } = {},
) {
  const state = {
    records: [] as T[],
    writes: 0,
    abortReason: undefined as unknown,
    aborted: false,
    closed: false,
  };
  const stream = new WritableStream<T>({
    async write(record) {
      state.writes++;
      if (options.hold) await options.hold;
      if (options.delayMs) await sleep(options.delayMs);
      state.records.push(record);
    },
    close() {
      state.closed = true;
    },
    abort(reason) {
      state.aborted = true;
      state.abortReason = reason;
    },
  });
  return { stream, state };
}

describe("merge() with checkpoints", () => {
  test("checkpoints a position per origin; summary.origins counts each", async () => {
    const store = memoryStore();
    const a = numbered("a", 300);
    const b = numbered("b", 500);
    const sink = collect<Rec>();
    const summary = await pipeline(
      merge({ a: a.source, b: b.source }),
      sink,
      { id: "per-origin", checkpoint: { store, everyRecords: 100 } },
    );
    assert.equal(summary.ended, "finished");
    assert.deepEqual(numbersOf(sink.records, "a"), span(0, 300));
    assert.deepEqual(numbersOf(sink.records, "b"), span(0, 500));
    assert.equal(summary.recordsRead, 800);
    assert.equal(summary.recordsWritten, 800);
    assert.deepEqual(summary.position, { a: 299, b: 499 });
    assert.deepEqual((await store.get("per-origin")).position, {
      a: 299,
      b: 499,
    });
    assert.equal(summary.origins?.a?.recordsRead, 300);
    assert.equal(summary.origins?.b?.recordsRead, 500);
    assert.equal(summary.origins?.a?.position, 299);
    assert.equal(summary.origins?.b?.position, 499);
    // Each origin heard its own positions, in order, up to its end.
    assert.equal(a.log.acks.at(-1), 299);
    assert.equal(b.log.acks.at(-1), 499);
    for (const log of [a.log, b.log]) {
      const acks = log.acks as number[];
      assert.deepEqual(acks, [...acks].sort((x, y) => x - y));
    }
  });

  test("a restart resumes each origin after its own position, whatever the order of the names", async () => {
    const store = memoryStore();
    await seed(store, "resume", { a: 99, b: 349 });
    const a = numbered("a", 300);
    const b = numbered("b", 500);
    const sink = collect<Rec>();
    // Named in the other order than the stored object: names, not places, count.
    const summary = await pipeline(
      merge({ b: b.source, a: a.source }),
      sink,
      { id: "resume", checkpoint: { store } },
    );
    assert.deepEqual(a.log.opened, [99]);
    assert.deepEqual(b.log.opened, [349]);
    assert.deepEqual(numbersOf(sink.records, "a"), span(100, 300));
    assert.deepEqual(numbersOf(sink.records, "b"), span(350, 500));
    assert.deepEqual(summary.position, { a: 299, b: 499 });
  });

  test("after a failure, the restart delivers every record of both origins", async () => {
    const store = memoryStore();
    const delivered: Rec[] = [];
    let fail = true;
    const sink = () =>
      new WritableStream<Rec>({
        write(record) {
          if (fail && record.origin === "b" && record.n === 250) {
            throw new Error("disk full");
          }
          delivered.push(record);
        },
      });
    const first = {
      a: numbered("a", 1000, { size: 20 }),
      b: numbered("b", 1000, { size: 20 }),
    };
    await assert.rejects(
      Promise.resolve(
        pipeline(
          merge({ a: first.a.source, b: first.b.source }),
          sink(),
          { id: "crash", checkpoint: { store, everyRecords: 20 } },
        ),
      ),
      StageError,
    );
    const stored = (await store.get("crash")).position as
      | Record<string, number>
      | undefined;
    assert.ok(
      stored?.b === undefined || stored.b < 250,
      `checkpoint of b passed the failed record: ${JSON.stringify(stored)}`,
    );
    fail = false;
    const again = {
      a: numbered("a", 1000, { size: 20 }),
      b: numbered("b", 1000, { size: 20 }),
    };
    await pipeline(
      merge({ a: again.a.source, b: again.b.source }),
      sink(),
      { id: "crash", checkpoint: { store } },
    );
    assert.deepEqual(again.a.log.opened, [stored?.a]);
    assert.deepEqual(again.b.log.opened, [stored?.b]);
    for (const origin of ["a", "b"]) {
      assert.deepEqual(
        [...new Set(numbersOf(delivered, origin))].sort((x, y) => x - y),
        span(0, 1000),
        `every record of ${origin} delivered`,
      );
    }
  });

  test("no origin starves another while both have data", async () => {
    const a = numbered("a", 20_000, { size: 100 });
    const b = numbered("b", 20_000, { size: 100 });
    const sink = collect<Rec>();
    await pipeline(merge({ a: a.source, b: b.source }), sink, {
      id: "fair",
      checkpoint: { store: memoryStore() },
    });
    const origins = sink.records.map((r) => r.origin);
    assert.equal(origins.length, 40_000);
    assert.ok(
      origins.indexOf("a") < 2_048 && origins.indexOf("b") < 2_048,
      `first a at ${origins.indexOf("a")}, first b at ${origins.indexOf("b")}`,
    );
    // In the first half of the output each origin has a fair share.
    const firstHalf = origins.slice(0, 20_000);
    const ofA = firstHalf.filter((o) => o === "a").length;
    assert.ok(
      ofA >= 5_000 && ofA <= 15_000,
      `the first 20,000 records hold ${ofA} of a and ${20_000 - ofA} of b`,
    );
  });

  test("a slow origin does not hold back a fast one", async () => {
    const slow = numbered("slow", 10, { size: 1, delayMs: 40 });
    const fast = numbered("fast", 5_000, { size: 100 });
    const sink = collect<Rec>();
    await pipeline(merge({ slow: slow.source, fast: fast.source }), sink, {
      id: "slow-fast",
      checkpoint: { store: memoryStore() },
    });
    const origins = sink.records.map((r) => r.origin);
    const lastFast = origins.lastIndexOf("fast");
    const slowBefore = origins.slice(0, lastFast).filter((o) => o === "slow");
    assert.ok(
      slowBefore.length <= 3,
      `${slowBefore.length} of the slow origin's 10 records (40 ms apart) came before the fast one's 5,000 were through`,
    );
  });

  test("originField tags a copy of each record; without it records are passed as they are", async () => {
    const objects = [{ id: 1 }, { id: 2 }];
    const others = [{ id: 3 }];
    const plain = collect<{ id: number }>();
    await pipeline(merge({ x: objects, y: others }), plain);
    assert.equal(plain.records.length, 3);
    for (const record of plain.records) {
      assert.ok(
        objects.includes(record) || others.includes(record),
        "a record is the object its source made, not a wrapper",
      );
    }
    const tagged = collect<{ id: number; from: string }>();
    await pipeline(
      merge({ x: objects, y: others }, { originField: "from" }),
      tagged,
    );
    assert.deepEqual(
      [...tagged.records].sort((p, q) => p.id - q.id),
      [{ id: 1, from: "x" }, { id: 2, from: "x" }, { id: 3, from: "y" }],
    );
    assert.deepEqual(objects, [{ id: 1 }, { id: 2 }], "sources not changed");
  });

  test("iterated alone, a merge takes from each source in turn", async () => {
    async function* letters() {
      for (const c of "abcdefgh") yield c;
    }
    async function* digits() {
      for (const c of "12345678") yield c;
    }
    const all = await Array.fromAsync(merge({ l: letters(), d: digits() }));
    assert.equal(all.length, 16);
    assert.deepEqual(all.filter((c) => /[a-z]/.test(c)), [..."abcdefgh"]);
    assert.deepEqual(all.filter((c) => /\d/.test(c)), [..."12345678"]);
    const firstHalf = all.slice(0, 8);
    assert.ok(
      firstHalf.some((c) => /[a-z]/.test(c)) &&
        firstHalf.some((c) => /\d/.test(c)),
      `not interleaved: ${all.join("")}`,
    );
  });

  test("a checkpoint needs every origin resumable, and the error names the one that is not", async () => {
    let error: unknown;
    try {
      const running = pipeline(
        merge({ good: numbered("good", 10).source, plain: [1, 2, 3] }),
        new WritableStream(),
        { id: "not-resumable", checkpoint: { store: memoryStore() } },
      );
      await running;
    } catch (caught) {
      error = caught;
    }
    assert.ok(error instanceof Error, "pipeline accepted a plain origin");
    assert.match(error.message, /plain/);
  });
});

describe("each origin advances over its own done range", () => {
  test("origin b's checkpoint and acks advance while a's records wait for a deferred acknowledgement", async () => {
    const { store, commits } = observed();
    const a = numbered("a", 100, { size: 10 });
    const b = numbered("b", 500, { size: 10 });
    const pending: Array<() => void> = [];
    const held = batchSink<Rec>({
      write(_records, context) {
        pending.push(context.defer());
      },
    });
    const free = collect<Rec>();
    const running = pipeline(
      merge({ a: a.source, b: b.source }),
      route((r: Rec) => r.origin === "a" ? "held" : "free", { held, free }),
      { id: "own-range", checkpoint: { store, everyRecords: 1, everyMs: 5 } },
    );
    await until(
      () =>
        free.records.length === 500 &&
        commits.some((p) => (p as Record<string, Position>).b === 499),
      "b's records stored and b's position 499 committed",
    );
    for (const position of commits) {
      assert.equal(
        (position as Record<string, Position>).a,
        undefined,
        `a committed before any of its records was acknowledged: ${
          JSON.stringify(position)
        }`,
      );
    }
    assert.deepEqual(a.log.acks, [], "a acknowledged before its sink did");
    assert.equal(b.log.acks.at(-1), 499);
    assert.equal(running.recordsWritten, 500);
    // Live counts per origin.
    assert.equal(running.origins?.a?.recordsRead, 100);
    assert.equal(running.origins?.b?.recordsRead, 500);
    assert.equal(running.origins?.b?.position, 499);
    assert.equal(running.origins?.a?.position, undefined);
    // Acknowledge a's batches last to first: a advances only once all are.
    await until(() => pending.length > 0, "writes to the held sink");
    while (pending.length > 0) pending.pop()!();
    const summary = await running;
    assert.deepEqual(summary.position, { a: 99, b: 499 });
    assert.equal(a.log.acks.at(-1), 99);
    assert.equal(summary.recordsWritten, 600);
  });
});

describe("fanOut()", () => {
  test("a record is done only when both sinks stored it: checkpoint, ack and recordsWritten wait for the slow one", async () => {
    const { store, commits } = observed();
    const { source, log } = numbered("n", 1000, { size: 100 });
    const release = gate();
    const slow = plainSink<Rec>({ hold: release.opened });
    const fast = collect<Rec>();
    const running = pipeline(
      source,
      fanOut({ fast, slow: slow.stream }),
      { id: "both", checkpoint: { store, everyRecords: 1, everyMs: 5 } },
    );
    await until(
      () => fast.records.length > 0 && slow.state.writes > 0,
      "both sinks written to concurrently",
    );
    await sleep(50);
    assert.deepEqual(commits, [], "committed before the slow sink stored");
    assert.deepEqual(log.acks, [], "acknowledged before the slow sink stored");
    assert.equal(running.recordsWritten, 0);
    // Live counts per sink: the fast one stored, the slow one not yet.
    assert.ok(
      (running.sinks?.fast?.recordsWritten ?? 0) > 0,
      "live fast count",
    );
    assert.equal(running.sinks?.slow?.recordsWritten, 0);
    release.open();
    const summary = await running;
    assert.deepEqual(fast.records.map((r) => r.n), span(0, 1000));
    assert.deepEqual(slow.state.records.map((r) => r.n), span(0, 1000));
    assert.equal(summary.recordsWritten, 1000, "a record counts once");
    assert.equal(summary.position, 999);
    assert.equal(log.acks.at(-1), 999);
    assert.equal(summary.sinks?.fast?.recordsWritten, 1000);
    assert.equal(summary.sinks?.slow?.recordsWritten, 1000);
  });

  test("a failing sink fails the pipeline with a StageError naming its branch; the checkpoint stays before the record", async () => {
    const { store } = observed();
    const { source, log } = numbered("n", 1000, { size: 50 });
    const good = plainSink<Rec>();
    const bad = new WritableStream<Rec>({
      write(record) {
        if (record.n === 321) throw new Error("disk full");
      },
    });
    const running = pipeline(
      source,
      fanOut({ good: good.stream, bad }),
      { id: "fail", checkpoint: { store, everyRecords: 50 } },
    );
    await assert.rejects(
      Promise.resolve(running),
      (error: unknown) => {
        assert.ok(error instanceof StageError, `not a StageError: ${error}`);
        assert.equal(error.branch, "bad");
        assert.match(error.message, /\bbad\b/);
        assert.match(error.message, /disk full/);
        return true;
      },
    );
    // Torn down by the time it rejects, as a line pipeline is.
    assert.equal(running.state, "degraded");
    assert.ok(good.state.aborted, "the other sink aborted when it rejected");
    assert.ok(log.signalled, "the source released when it rejected");
    const stored = (await store.get("fail")).position;
    assert.ok(
      stored === undefined || (stored as number) < 321,
      `checkpoint ${stored} passed the failed record`,
    );
    await until(() => log.released === 1, "the source's run ended");
  });

  test("a failing sink nested in a route names the branch path", async () => {
    const archive = collect<Rec>();
    const nats = new WritableStream<Rec>({
      write(record) {
        if (record.n === 77) throw new Error("nats down");
      },
    });
    const running = pipeline(
      numbered("n", 500, { kind: (n) => n % 2 ? "paid" : "open" }).source,
      fanOut({
        archive,
        paid: route((r: Rec) => r.kind === "paid" ? "nats" : undefined, {
          nats,
        }),
      }),
    );
    await assert.rejects(Promise.resolve(running), (error: unknown) => {
      assert.ok(error instanceof StageError, `not a StageError: ${error}`);
      assert.equal(error.branch, "paid/nats");
      assert.match(error.message, /paid\/nats/);
      return true;
    });
  });

  test("a bestEffort sink gets a bounded queue, drops what overflows and never slows the others", async () => {
    const total = 5_000;
    const { source, log } = numbered("n", total, { size: 50 });
    const release = gate();
    const extra = plainSink<Rec>({ hold: release.opened });
    const main = collect<Rec>();
    const running = pipeline(
      source,
      fanOut({ main, extra: extra.stream }, {
        bestEffort: ["extra"],
        bestEffortQueueRecords: 100,
      }),
      {
        id: "best-effort",
        batchSize: 50,
        checkpoint: { store: memoryStore(), everyRecords: 50, everyMs: 5 },
      },
    );
    await until(
      () => running.recordsWritten === total,
      `all ${total} records done while the best-effort sink is stuck`,
    );
    assert.equal(main.records.length, total);
    await until(() => log.acks.at(-1) === total - 1, "the source acked");
    release.open();
    const summary = await running;
    assert.equal(summary.ended, "finished");
    assert.equal(summary.recordsWritten, total);
    assert.equal(summary.position, total - 1);
    const counts = summary.sinks?.extra;
    assert.ok(counts, "summary.sinks.extra");
    assert.ok(counts.recordsDropped > 0, "nothing dropped");
    assert.equal(counts.recordsWritten, extra.state.records.length);
    assert.equal(counts.recordsWritten + counts.recordsDropped, total);
    assert.ok(
      counts.recordsWritten <= 100 + 2 * 50,
      `the best-effort sink got ${counts.recordsWritten} records past a queue of 100`,
    );
    assert.equal(summary.sinks?.main?.recordsWritten, total);
    assert.equal(summary.sinks?.main?.recordsDropped, 0);
  });

  test("a bestEffort sink's failures are counted, and the pipeline goes on", async () => {
    const main = collect<Rec>();
    const flaky = new WritableStream<Rec>({
      write(record) {
        if (record.n === 10) throw new Error("index full");
      },
    });
    const summary = await pipeline(
      numbered("n", 2_000).source,
      fanOut({ main, flaky }, { bestEffort: ["flaky"] }),
      { id: "best-effort-fail", checkpoint: { store: memoryStore() } },
    );
    assert.equal(summary.ended, "finished");
    assert.equal(main.records.length, 2_000);
    assert.equal(summary.recordsWritten, 2_000);
    assert.equal(summary.position, 1_999);
    assert.ok(
      (summary.sinks?.flaky?.failures ?? 0) >= 1,
      `failures ${summary.sinks?.flaky?.failures}`,
    );
    assert.equal(summary.sinks?.main?.failures, 0);
  });

  test("a failed bestEffort sink counts what it stored as written and the rest as dropped", async () => {
    const total = 2_000;
    for (const failAt of [0, 10, 1_500]) {
      const stored: number[] = [];
      const failing = new WritableStream<number>({
        write(n) {
          if (n === failAt) throw new Error("index full");
          stored.push(n);
        },
      });
      const summary = await pipeline(
        span(0, total),
        fanOut({ main: collect<number>(), failing }, {
          bestEffort: ["failing"],
        }),
        { batchSize: 50 },
      );
      const counts = summary.sinks?.failing;
      assert.ok(counts, "summary.sinks.failing");
      assert.ok(counts.failures >= 1, `failing at ${failAt}: no failure`);
      assert.equal(
        counts.recordsWritten,
        stored.length,
        `failing at ${failAt}: recordsWritten is what the sink stored`,
      );
      const accounted = counts.recordsWritten + counts.recordsDropped;
      assert.ok(
        accounted === total || accounted === total - 1,
        `failing at ${failAt}: written ${counts.recordsWritten} + dropped ${counts.recordsDropped} = ${accounted} of ${total} records`,
      );
      assert.equal(summary.recordsWritten, total);
    }
  });

  test("a sink with its own dead letter stream sends its failing records there, naming the branch", async () => {
    const all = collect<Rec>();
    const stored: number[] = [];
    const picky = batchSink<Rec>({
      write(records) {
        if (records.some((r) => r.n % 97 === 5)) {
          throw new Error("constraint violated");
        }
        stored.push(...records.map((r) => r.n));
      },
    }, { retry: { initialDelayMs: 1, maxDelayMs: 2, maxAttempts: 2 } });
    const letters = collect<DeadLetter>();
    const summary = await pipeline(
      numbered("n", 1_000).source,
      fanOut({ all, picky }, { deadLetters: { picky: letters } }),
      { id: "per-sink-dead-letter", checkpoint: { store: memoryStore() } },
    );
    const bad = span(0, 1_000).filter((n) => n % 97 === 5);
    assert.equal(summary.ended, "finished");
    assert.equal(summary.position, 999);
    assert.equal(all.records.length, 1_000);
    assert.deepEqual(
      [...stored].sort((x, y) => x - y),
      span(0, 1_000).filter((n) => n % 97 !== 5),
    );
    assert.deepEqual(letters.records.map((d) => (d.record as Rec).n), bad);
    for (const letter of letters.records) {
      assert.equal(letter.branch, "picky");
      assert.match(String((letter.error as Error).message), /constraint/);
    }
    assert.equal(summary.sinks?.picky?.recordsDeadLettered, bad.length);
    assert.equal(summary.sinks?.all?.recordsDeadLettered, 0);
  });
});

describe("dead letters in a graph", () => {
  const picky = (bad: number) =>
    batchSink<number>({
      write(records) {
        if (records.includes(bad)) throw new Error("constraint violated");
      },
    });
  const explodeAt = (bad: number) =>
    map((n: number) => {
      if (n === bad) throw new Error(`boom at ${n}`);
      return n;
    });

  test("a branch processor's failing record goes to its sink's dead letter stream", async () => {
    const letters = collect<DeadLetter>();
    const mapped = collect<number>();
    const summary = await pipeline(
      span(0, 300),
      fanOut({
        all: collect<number>(),
        mapped: branch(explodeAt(142), mapped),
      }, { deadLetters: { mapped: letters } }),
    );
    assert.deepEqual(mapped.records, span(0, 300).filter((n) => n !== 142));
    assert.deepEqual(letters.records.map((d) => [d.record, d.branch]), [
      [142, "mapped"],
    ]);
    assert.equal(summary.sinks?.mapped?.recordsDeadLettered, 1);
  });

  for (
    const [what, sink] of [
      [
        "a fan-out sink's failing record",
        () => fanOut({ all: collect<number>(), picky: picky(142) }),
      ],
      [
        "a route target's failing record",
        () =>
          route((n: number) => n % 2 ? "odd" : "even", {
            odd: collect<number>(),
            even: picky(142),
          }),
      ],
      [
        "a branch processor's failing record",
        () =>
          fanOut({
            all: collect<number>(),
            mapped: branch(explodeAt(142), collect<number>()),
          }),
      ],
    ] as const
  ) {
    test(`without a dead letter stream of its own, ${what} goes to the pipeline's`, async () => {
      const letters = collect<DeadLetter>();
      const summary = await pipeline(
        numbered("n", 300).source,
        map((r: Rec) => r.n),
        sink(),
        {
          id: "pipeline-dead-letter",
          deadLetter: letters,
          checkpoint: { store: memoryStore() },
        },
      );
      assert.equal(summary.ended, "finished");
      assert.equal(summary.position, 299);
      assert.deepEqual(letters.records.map((d) => d.record), [142]);
      assert.ok(letters.records[0]!.branch, "the dead letter names a branch");
      assert.equal(summary.recordsDeadLettered, 1);
    });
  }
});

describe("route()", () => {
  /** 1000 records: 300 "x", 300 "y", 300 "both", 100 "none". */
  const kindOf = (n: number) => n < 100 ? "none" : ["x", "y", "both"][n % 3]!;

  test("sends each record where choose() says: one sink, several, or none (then it is done)", async () => {
    const { source, log } = numbered("n", 1_000, { kind: kindOf });
    const x = collect<Rec>();
    const y = collect<Rec>();
    const summary = await pipeline(
      source,
      route(
        (r: Rec) =>
          r.kind === "both"
            ? ["x", "y"] as const
            : r.kind === "none"
            ? undefined
            : r.kind as "x" | "y",
        { x, y },
      ),
      { id: "route", checkpoint: { store: memoryStore() } },
    );
    const all = span(0, 1_000);
    assert.deepEqual(
      x.records.map((r) => r.n),
      all.filter((n) => ["x", "both"].includes(kindOf(n))),
    );
    assert.deepEqual(
      y.records.map((r) => r.n),
      all.filter((n) => ["y", "both"].includes(kindOf(n))),
    );
    // Records routed nowhere are done: the checkpoint and acks pass them.
    assert.equal(summary.position, 999);
    assert.equal(log.acks.at(-1), 999);
    assert.equal(summary.sinks?.x?.recordsWritten, x.records.length);
    assert.equal(summary.sinks?.y?.recordsWritten, y.records.length);
    // recordsWritten counts records done: one sent to both sinks counts
    // once, one sent nowhere is done at once.
    assert.equal(summary.recordsWritten, 1_000);
  });

  test("null and an empty array route nowhere too", async () => {
    const x = collect<number>();
    const summary = await pipeline(
      [1, 2, 3, 4, 5, 6],
      route(
        (n: number) => n % 3 === 0 ? "x" : n % 3 === 1 ? null : [],
        { x },
      ),
    );
    assert.deepEqual(x.records, [3, 6]);
    assert.equal(summary.ended, "finished");
  });

  test("a name not among the sinks fails the pipeline naming the route's name and the record", async () => {
    const { store } = observed();
    const x = collect<Rec>();
    const y = collect<Rec>();
    const running = pipeline(
      numbered("n", 500, { kind: (n) => n === 123 ? "z" : n % 2 ? "x" : "y" })
        .source,
      route((r: Rec) => r.kind as "x" | "y", { x, y }),
      { id: "unknown", checkpoint: { store, everyRecords: 10 } },
    );
    await assert.rejects(Promise.resolve(running), (error: unknown) => {
      assert.ok(error instanceof StageError, `not a StageError: ${error}`);
      assert.match(error.message, /route/);
      assert.match(error.message, /\bz\b/);
      // Record 123 of the route's input (in the source's third batch).
      assert.equal(error.recordIndex, 123);
      return true;
    });
    const stored = (await store.get("unknown")).position;
    assert.ok(
      stored === undefined || (stored as number) < 123,
      `checkpoint ${stored} passed the unroutable record`,
    );
  });

  test("with the pipeline's dead letter stream, a record with an unknown name becomes a dead letter", async () => {
    const x = collect<Rec>();
    const letters = collect<DeadLetter>();
    const summary = await pipeline(
      numbered("n", 500, { kind: (n) => n === 123 ? "z" : "x" }).source,
      route((r: Rec) => r.kind as "x", { x }),
      {
        id: "unknown-dead",
        deadLetter: letters,
        checkpoint: { store: memoryStore() },
      },
    );
    assert.equal(summary.ended, "finished");
    assert.equal(summary.position, 499);
    assert.equal(x.records.length, 499);
    assert.deepEqual(letters.records.map((d) => (d.record as Rec).n), [123]);
    assert.match(String((letters.records[0]!.error as Error).message), /\bz\b/);
    assert.equal(summary.recordsDeadLettered, 1);
  });
});

describe("branch()", () => {
  test("a processor on one origin of a merge, resumed after its own position", async () => {
    const store = memoryStore();
    await seed(store, "branch-origin", { a: 49, b: 99 });
    const a = numbered("a", 200, { size: 25 });
    const b = numbered("b", 300, { size: 25 });
    const sink = collect<Rec>();
    const summary = await pipeline(
      merge({
        a: branch(a.source, map((r) => ({ ...r, n: r.n * 10 }))),
        b: b.source,
      }),
      sink,
      { id: "branch-origin", checkpoint: { store } },
    );
    assert.deepEqual(a.log.opened, [49]);
    assert.deepEqual(b.log.opened, [99]);
    assert.deepEqual(
      numbersOf(sink.records, "a"),
      span(50, 200).map((n) => n * 10),
    );
    assert.deepEqual(numbersOf(sink.records, "b"), span(100, 300));
    assert.deepEqual(summary.position, { a: 199, b: 299 });
  });

  test("records a branch drops on one origin are done for that origin", async () => {
    const a = numbered("a", 400, { size: 40 });
    const b = numbered("b", 100, { size: 40 });
    const sink = collect<Rec>();
    const summary = await pipeline(
      merge({
        a: branch(a.source, filter((r) => r.n >= 390)),
        b: b.source,
      }),
      sink,
      { id: "branch-filter", checkpoint: { store: memoryStore() } },
    );
    assert.deepEqual(numbersOf(sink.records, "a"), span(390, 400));
    assert.deepEqual(summary.position, { a: 399, b: 99 });
    assert.equal(a.log.acks.at(-1), 399);
    assert.equal(summary.origins?.a?.recordsRead, 400);
  });

  test("a processor on one target of a fan-out and of a route", async () => {
    const { source, log } = numbered("n", 1_000, {
      kind: (n) => n % 2 ? "odd" : "even",
    });
    const all = collect<Rec>();
    const evens = collect<Rec>();
    const odds = collect<number>();
    const summary = await pipeline(
      source,
      fanOut({
        all,
        evens: branch(filter((r: Rec) => r.kind === "even"), evens),
        byKind: route((r: Rec) => r.kind === "odd" ? "odd" : undefined, {
          odd: branch(map((r: Rec) => r.n), odds),
        }),
      }),
      { id: "branch-target", checkpoint: { store: memoryStore() } },
    );
    assert.equal(all.records.length, 1_000);
    assert.deepEqual(
      evens.records.map((r) => r.n),
      span(0, 1_000).filter((n) => n % 2 === 0),
    );
    assert.deepEqual(odds.records, span(0, 1_000).filter((n) => n % 2 === 1));
    assert.equal(summary.position, 999);
    assert.equal(log.acks.at(-1), 999);
    assert.equal(summary.recordsWritten, 1_000);
    assert.equal(summary.sinks?.all?.recordsWritten, 1_000);
    assert.equal(summary.sinks?.evens?.recordsWritten, 500);
    assert.equal(summary.sinks?.["byKind/odd"]?.recordsWritten, 500);
  });

  test("a processor failing on a branch names the stage and the branch", async () => {
    function explode(r: Rec): Rec {
      if (r.n === 42) throw new Error("boom at 42");
      return r;
    }
    const running = pipeline(
      numbered("n", 100).source,
      fanOut({
        all: collect<Rec>(),
        mapped: branch(map(explode), collect<Rec>()),
      }),
    );
    await assert.rejects(Promise.resolve(running), (error: unknown) => {
      assert.ok(error instanceof StageError, `not a StageError: ${error}`);
      assert.equal(error.branch, "mapped");
      assert.equal(error.stageName, "explode");
      assert.match(error.message, /boom at 42/);
      return true;
    });
  });
});

describe("stop() and abort() through the graph", () => {
  /**
   * Two endless origins (a behind a branch map), then a fan-out to a slow
   * sink and a route by origin, whose "a" target has a processor.
   */
  function endlessGraph(store: CheckpointStore, signal?: AbortSignal) {
    const a = numbered("a", Infinity, { size: 10, delayMs: 2 });
    const b = numbered("b", Infinity, { size: 10, delayMs: 3 });
    const all = plainSink<Rec>({ delayMs: 1 });
    const toA = plainSink<Rec>();
    const toB = plainSink<Rec>();
    const running = pipeline(
      merge({
        a: branch(a.source, map((r) => ({ ...r, kind: "mapped" }))),
        b: b.source,
      }),
      fanOut({
        all: all.stream,
        byOrigin: route((r: Rec) => r.origin === "a" ? "a" : "b", {
          a: branch(map((r: Rec) => r), toA.stream),
          b: toB.stream,
        }),
      }),
      {
        id: "endless",
        batchSize: 16,
        signal,
        checkpoint: { store, everyRecords: 20, everyMs: 10 },
      },
    );
    return { a, b, all, toA, toB, running };
  }

  test("stop() drains every branch: nothing read is lost, and the restart goes on from there", async () => {
    const store = memoryStore();
    const first = endlessGraph(store);
    await until(
      () => first.all.state.records.length >= 200,
      "200 records in the slow sink",
    );
    const summary = await first.running.stop();
    assert.equal(summary.ended, "stopped");
    assert.equal(first.running.state, "stopped");
    const read = {
      a: summary.origins?.a?.recordsRead,
      b: summary.origins?.b?.recordsRead,
    };
    assert.equal(summary.recordsRead, read.a! + read.b!);
    // Every record read reached every sink it was meant for.
    const all = first.all.state.records;
    assert.deepEqual(numbersOf(all, "a"), span(0, read.a!));
    assert.deepEqual(numbersOf(all, "b"), span(0, read.b!));
    assert.deepEqual(first.toA.state.records.map((r) => r.n), span(0, read.a!));
    assert.deepEqual(first.toB.state.records.map((r) => r.n), span(0, read.b!));
    assert.ok(first.all.state.closed && first.toA.state.closed, "sinks closed");
    assert.ok(first.toB.state.closed, "sink closed");
    assert.equal(summary.recordsWritten, summary.recordsRead);
    assert.deepEqual(summary.position, { a: read.a! - 1, b: read.b! - 1 });
    await until(
      () => first.a.log.released === 1 && first.b.log.released === 1,
      "both sources released",
    );

    const second = endlessGraph(store);
    await until(
      () => second.all.state.records.length >= 50,
      "the restart to write",
    );
    await second.running.stop();
    assert.deepEqual(second.a.log.opened, [read.a! - 1]);
    assert.deepEqual(second.b.log.opened, [read.b! - 1]);
    assert.equal(numbersOf(second.all.state.records, "a")[0], read.a);
    assert.equal(numbersOf(second.all.state.records, "b")[0], read.b);
  });

  test("abort() reaches every branch: each sink is aborted and each source released", async () => {
    const graph = endlessGraph(memoryStore());
    await until(
      () => graph.all.state.records.length >= 50,
      "records in the slow sink",
    );
    const reason = new Error("enough");
    await graph.running.abort(reason);
    await assert.rejects(
      Promise.resolve(graph.running),
      (error) => error === reason,
    );
    assert.equal(graph.running.state, "stopped");
    for (
      const [name, sink] of Object.entries({
        all: graph.all,
        "byOrigin/a": graph.toA,
        "byOrigin/b": graph.toB,
      })
    ) {
      assert.ok(sink.state.aborted, `${name} aborted`);
      assert.equal(sink.state.abortReason, reason, `${name}'s abort reason`);
    }
    await until(
      () => graph.a.log.released === 1 && graph.b.log.released === 1,
      "both sources released",
    );
    assert.ok(graph.a.log.signalled && graph.b.log.signalled, "both signalled");
  });

  test("options.signal aborts every branch like abort()", async () => {
    const controller = new AbortController();
    const graph = endlessGraph(memoryStore(), controller.signal);
    await until(() => graph.all.state.records.length >= 20, "records");
    controller.abort(new Error("signalled"));
    await assert.rejects(Promise.resolve(graph.running), /signalled/);
    await until(
      () =>
        graph.all.state.aborted && graph.toA.state.aborted &&
        graph.toB.state.aborted,
      "every sink aborted",
    );
    await until(
      () => graph.a.log.released === 1 && graph.b.log.released === 1,
      "both sources released",
    );
  });
});

describe("counts", () => {
  test("summary.origins and summary.sinks count per origin and per sink path", async () => {
    const x = collect<Rec>();
    const y = collect<Rec>();
    const archive = collect<Rec>();
    const summary = await pipeline(
      merge({
        a: numbered("a", 300).source,
        b: numbered("b", 200).source,
      }),
      fanOut({
        archive,
        split: route((r: Rec) => r.origin === "a" ? "x" : "y", { x, y }),
      }),
      { id: "counts", checkpoint: { store: memoryStore() } },
    );
    assert.equal(summary.recordsRead, 500);
    assert.equal(summary.recordsWritten, 500);
    assert.deepEqual(Object.keys(summary.origins ?? {}).sort(), ["a", "b"]);
    assert.equal(summary.origins?.a?.recordsRead, 300);
    assert.equal(summary.origins?.b?.recordsRead, 200);
    assert.deepEqual(Object.keys(summary.sinks ?? {}).sort(), [
      "archive",
      "split/x",
      "split/y",
    ]);
    assert.equal(summary.sinks?.archive?.recordsWritten, 500);
    assert.equal(summary.sinks?.["split/x"]?.recordsWritten, 300);
    assert.equal(summary.sinks?.["split/y"]?.recordsWritten, 200);
    for (const counts of Object.values(summary.sinks ?? {})) {
      assert.equal(counts.recordsDropped, 0);
      assert.equal(counts.recordsDeadLettered, 0);
      assert.equal(counts.failures, 0);
    }
  });
});
