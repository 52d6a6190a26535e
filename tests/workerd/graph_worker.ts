// Copyright 2026 the @ca/streams authors. MIT license.
/**
 * A Cloudflare worker that runs pipelines as graphs inside workerd: two
 * resumable sources merged (one behind a `branch()` processor), a fan-out
 * to a sink and a route by a field whose targets have processors, with a
 * memory checkpoint store; then the same graph stopped, aborted and failed.
 *
 * `graph_test.ts` bundles this file with esbuild (platform "neutral") and
 * runs it in Miniflare without `nodejs_compat`. Each route answers with
 * what happened, as data; the test asserts on it.
 *
 * @module
 */

import {
  branch,
  type CheckpointStore,
  fanOut,
  filter,
  map,
  memoryStore,
  merge,
  pipeline,
  type PipelineSummary,
  type Position,
  resumableSource,
  route,
  StageError,
} from "@ca/streams";

/** The worker's entry point. */
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    try {
      switch (url.pathname) {
        case "/checkpoint":
          return Response.json(await checkpoints());
        case "/stop":
          return Response.json(await stopAndResume());
        case "/abort":
          return Response.json(await abortAll());
        case "/fail":
          return Response.json(await failOnBranch());
        default:
          return new Response("Not found", { status: 404 });
      }
    } catch (error) {
      return Response.json({ unexpected: String(error) }, { status: 500 });
    }
  },
};

/** A record of a numbered source. */
interface Rec {
  origin: string;
  n: number;
  kind: string;
}

/** What the worker saw of a numbered source. */
interface SourceLog {
  opened: Array<Position | undefined>;
  acks: Position[];
  released: number;
  signalled: boolean;
}

/** Kinds by number: "none" for every third, else "odd" or "even". */
function kindOf(n: number): string {
  return n % 3 === 0 ? "none" : n % 2 ? "odd" : "even";
}

/** A resumable source of `{ origin, n, kind }`, position n, batches of `size`. */
function numbered(
  origin: string,
  count: number,
  options: { size?: number; delayMs?: number } = {},
) {
  const { size = 25, delayMs = 0 } = options;
  const log: SourceLog = {
    opened: [],
    acks: [],
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
            records.push({ origin, n, kind: kindOf(n) });
          }
          if (delayMs > 0) await sleep(delayMs);
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

/** A plain sink (one record a write) that reports what happened to it. */
function plainSink<T>(delayMs = 0) {
  const state = {
    records: [] as T[],
    closed: false,
    aborted: false,
    abortReason: undefined as unknown,
  };
  const stream = new WritableStream<T>({
    async write(record) {
      if (delayMs > 0) await sleep(delayMs);
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

/**
 * The graph under test: merge({ a: branch(a, map), b }) -> map ->
 * fanOut({ all, routed: route(kind, { odd, even: branch(filter, map, sink) }) }).
 */
function graph(
  store: CheckpointStore,
  id: string,
  sources: { a: ReturnType<typeof numbered>; b: ReturnType<typeof numbered> },
  options: { signal?: AbortSignal; delayMs?: number } = {},
) {
  const all = plainSink<Rec>(options.delayMs);
  const odd = plainSink<Rec>();
  const even = plainSink<string>();
  const running = pipeline(
    merge({
      a: branch(sources.a.source, map((r: Rec) => ({ ...r, origin: "A" }))),
      b: sources.b.source,
    }),
    map((r: Rec) => r),
    fanOut({
      all: all.stream,
      routed: route(
        (r: Rec) => r.kind === "none" ? undefined : r.kind as "odd" | "even",
        {
          odd: odd.stream,
          even: branch(
            filter((r: Rec) => r.kind === "even"),
            map((r: Rec) => `${r.origin}${r.n}`),
            even.stream,
          ),
        },
      ),
    }),
    {
      id,
      batchSize: 16,
      signal: options.signal,
      checkpoint: { store, everyRecords: 20, everyMs: 10 },
    },
  );
  return { all, odd, even, running };
}

/** The numbers of `origin` among `records`, in order. */
function numbersOf(records: Rec[], origin: string): number[] {
  return records.filter((r) => r.origin === origin).map((r) => r.n);
}

function counts(summary: PipelineSummary): Record<string, unknown> {
  return {
    ended: summary.ended,
    recordsRead: summary.recordsRead,
    recordsWritten: summary.recordsWritten,
    position: summary.position,
    origins: summary.origins,
    sinks: summary.sinks,
  };
}

/**
 * A run resumed from a stored position of origin a only, then a second run
 * with the same store that finds nothing left to read.
 */
async function checkpoints(): Promise<Record<string, unknown>> {
  const store = memoryStore();
  const { generation } = await store.acquire("graph");
  await store.commit("graph", { a: 49 }, generation);
  const first = { a: numbered("a", 300), b: numbered("b", 400) };
  const run = graph(store, "graph", first);
  const summary = await run.running;
  const again = { a: numbered("a", 300), b: numbered("b", 400) };
  const rerun = graph(store, "graph", again);
  const second = await rerun.running;
  return {
    summary: counts(summary),
    stored: (await store.get("graph")).position,
    opened: { a: first.a.log.opened, b: first.b.log.opened },
    lastAck: { a: first.a.log.acks.at(-1), b: first.b.log.acks.at(-1) },
    all: {
      a: numbersOf(run.all.state.records, "A"),
      b: numbersOf(run.all.state.records, "b"),
    },
    odd: {
      a: numbersOf(run.odd.state.records, "A"),
      b: numbersOf(run.odd.state.records, "b"),
    },
    even: run.even.state.records,
    closed: [run.all, run.odd, run.even].every((s) => s.state.closed),
    second: counts(second),
    reopened: { a: again.a.log.opened, b: again.b.log.opened },
  };
}

/** Two endless origins: stop() after 100 records, then a restart stopped too. */
async function stopAndResume(): Promise<Record<string, unknown>> {
  const store = memoryStore();
  const first = {
    a: numbered("a", Infinity, { size: 10, delayMs: 2 }),
    b: numbered("b", Infinity, { size: 10, delayMs: 3 }),
  };
  const run = graph(store, "endless", first, { delayMs: 1 });
  await until(() => run.all.state.records.length >= 100);
  const summary = await run.running.stop();
  await settle(() => first.a.log.released === 1 && first.b.log.released === 1);
  const again = {
    a: numbered("a", Infinity, { size: 10, delayMs: 2 }),
    b: numbered("b", Infinity, { size: 10, delayMs: 3 }),
  };
  const rerun = graph(store, "endless", again);
  await until(() => rerun.all.state.records.length >= 40);
  const second = await rerun.running.stop();
  return {
    summary: counts(summary),
    state: run.running.state,
    all: {
      a: numbersOf(run.all.state.records, "A"),
      b: numbersOf(run.all.state.records, "b"),
    },
    odd: {
      a: numbersOf(run.odd.state.records, "A"),
      b: numbersOf(run.odd.state.records, "b"),
    },
    even: run.even.state.records,
    closed: [run.all, run.odd, run.even].every((s) => s.state.closed),
    released: { a: first.a.log.released, b: first.b.log.released },
    second: counts(second),
    reopened: { a: again.a.log.opened, b: again.b.log.opened },
    resumedAt: {
      a: numbersOf(rerun.all.state.records, "A")[0],
      b: numbersOf(rerun.all.state.records, "b")[0],
    },
  };
}

/** Two endless origins aborted, once by abort() and once by the signal. */
async function abortAll(): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  for (const how of ["abort", "signal"]) {
    const controller = new AbortController();
    const sources = {
      a: numbered("a", Infinity, { size: 10, delayMs: 2 }),
      b: numbered("b", Infinity, { size: 10, delayMs: 3 }),
    };
    const run = graph(memoryStore(), how, sources, {
      signal: controller.signal,
      delayMs: 1,
    });
    await until(() => run.all.state.records.length >= 30);
    const reason = new Error(`stopped by ${how}`);
    if (how === "abort") await run.running.abort(reason);
    else controller.abort(reason);
    let rejectedWith: unknown;
    try {
      await run.running;
    } catch (error) {
      rejectedWith = error;
    }
    await settle(
      () =>
        sources.a.log.released === 1 && sources.b.log.released === 1 &&
        run.all.state.aborted && run.odd.state.aborted &&
        run.even.state.aborted,
      400,
    );
    results[how] = {
      rejectedWithReason: rejectedWith === reason,
      state: run.running.state,
      aborted: {
        all: run.all.state.aborted,
        "routed/odd": run.odd.state.aborted,
        "routed/even": run.even.state.aborted,
      },
      abortReasons: [run.all, run.odd, run.even].map((s) =>
        s.state.abortReason === reason
      ),
      released: { a: sources.a.log.released, b: sources.b.log.released },
      signalled: { a: sources.a.log.signalled, b: sources.b.log.signalled },
    };
  }
  return results;
}

/** A processor on the route's "even" branch throws: the error names it. */
async function failOnBranch(): Promise<Record<string, unknown>> {
  const store = memoryStore();
  const sources = { a: numbered("a", 200), b: numbered("b", 200) };
  const odd = plainSink<Rec>();
  const running = pipeline(
    merge({ a: sources.a.source, b: sources.b.source }),
    fanOut({
      routed: route(
        (r: Rec) => r.kind === "none" ? undefined : r.kind as "odd" | "even",
        {
          odd: odd.stream,
          even: branch(map(explodeAt88), plainSink<Rec>().stream),
        },
      ),
    }),
    { id: "fail", checkpoint: { store, everyRecords: 10 } },
  );
  try {
    await running;
    return { rejected: false };
  } catch (error) {
    const stageError = error instanceof StageError ? error : undefined;
    return {
      rejected: true,
      isStageError: stageError !== undefined,
      branch: stageError?.branch,
      stageName: stageError?.stageName,
      message: String((error as Error).message),
      state: running.state,
      stored: (await store.get("fail")).position,
      oddAborted: odd.state.aborted,
      released: { a: sources.a.log.released, b: sources.b.log.released },
    };
  }
}

function explodeAt88(r: Rec): Rec {
  if (r.n === 88) throw new Error(`boom at ${r.origin}${r.n}`);
  return r;
}

/**
 * Waits until `ready()` holds, for at most about 20 s of 5 ms sleeps (the
 * clock of a worker only moves on I/O, so it counts sleeps).
 */
async function until(ready: () => boolean): Promise<void> {
  if (!await settle(ready)) {
    throw new Error(`Cannot wait: ${ready} never held`);
  }
}

/** Like {@link until}, but tells whether `ready()` held instead of throwing. */
async function settle(
  ready: () => boolean,
  tries = 4_000,
): Promise<boolean> {
  for (let i = 0; !ready(); i++) {
    if (i > tries) return false;
    await sleep(5);
  }
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
