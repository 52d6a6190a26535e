/**
 * A Cloudflare worker that exercises @ca/streams inside workerd.
 *
 * `workerd_test.ts` bundles this file with esbuild (platform "neutral", so any
 * `node:*` import would fail the build) and runs it in Miniflare without
 * `nodejs_compat`. Each route answers with the data the test asserts on.
 *
 * @module
 */

import {
  batch,
  batchSink,
  collect,
  decodeNdjson,
  encodeNdjson,
  filter,
  flatMap,
  map,
  mapConcurrent,
  pipeline,
  RecordError,
  splitLines,
  StageError,
  take,
  tap,
  unbatch,
} from "@ca/streams";

/** The records the NDJSON round trip sends. */
interface Item {
  id: number;
  value: string;
}

/** The part of the workers `ExecutionContext` this worker uses. */
interface Context {
  waitUntil(promise: Promise<unknown>): void;
}

/** The worker's entry point. */
export default {
  async fetch(
    request: Request,
    _env: unknown,
    ctx: Context,
  ): Promise<Response> {
    const url = new URL(request.url);
    try {
      switch (url.pathname) {
        case "/ndjson":
          return transformNdjson(request, ctx);
        case "/backpressure":
          return Response.json(await backpressure(url));
        case "/standalone":
          return Response.json(await standalone());
        case "/stage-error":
          return Response.json(await stageError());
        default:
          return new Response("Not found", { status: 404 });
      }
    } catch (error) {
      return Response.json({ unexpected: describe(error) }, { status: 500 });
    }
  },
};

/** What the NDJSON route sends back per kept item. */
interface Shouted {
  id: number;
  value: string;
  index: number;
}

/**
 * A user's own processor, not made by the library: inside pipeline() it
 * must still receive one record per chunk, never a batch.
 */
class MarkRecords
  extends TransformStream<Shouted, Shouted & { chunk: string }> {
  constructor() {
    super({
      transform(record, controller) {
        const chunk = Array.isArray(record) ? "batch" : "record";
        controller.enqueue({ ...record, chunk });
      },
    });
  }
}

/**
 * Streams the request body through a pipeline into the response body:
 * parse NDJSON, keep ids not divisible by 3, upper-case the value, pass
 * through a user TransformStream, encode. The response is returned before
 * the pipeline finishes.
 */
function transformNdjson(request: Request, ctx: Context): Response {
  if (request.body === null) {
    return new Response("Cannot transform: no request body", { status: 400 });
  }
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const running = pipeline(
    request.body,
    decodeNdjson(),
    map((record: unknown) => toItem(record)),
    filter((item: Item) => item.id % 3 !== 0),
    map((item: Item, index: number): Shouted => ({
      id: item.id,
      value: item.value.toUpperCase(),
      index,
    })),
    new MarkRecords(),
    encodeNdjson(),
    writable,
  );
  // The pipeline errors the response body on failure; keep the rejection handled.
  ctx.waitUntil(
    Promise.resolve(running).then(() => undefined, () => undefined),
  );
  return new Response(readable, {
    headers: { "content-type": "application/x-ndjson" },
  });
}

/** A record of the backpressure route. */
interface Tick {
  n: number;
  doubled: number;
}

/**
 * Pulls from an infinite source into a slow sink and reports how far the
 * source ran ahead of the sink.
 *
 * Query: `limit` (records to write), `delay` (ms per sink write),
 * `batchSize` (the pipeline's batchSize option),
 * `source` = "stream" (a ReadableStream that makes a record per pull) or
 * "generator" (an infinite generator),
 * `stop` = "take" (a take() stage ends the run) or "stop" (the sink calls
 * `stop()` on the running pipeline), `sink` = "record" (a plain
 * WritableStream, one record per write) or "batch" (batchSink(), whole
 * batches per write).
 *
 * Answers `pulled` (records the source produced), `written` (records the
 * sink stored) and `maxAhead`: the largest `pulled - written` seen when a
 * sink write began, i.e. the most records ever in flight.
 */
async function backpressure(url: URL): Promise<Record<string, unknown>> {
  const limit = Number(url.searchParams.get("limit") ?? "1000");
  const delay = Number(url.searchParams.get("delay") ?? "1");
  const batchSize = Number(url.searchParams.get("batchSize") ?? "64");
  const sourceKind = url.searchParams.get("source") ?? "stream";
  const how = url.searchParams.get("stop") ?? "take";
  const sinkKind = url.searchParams.get("sink") ?? "record";

  let pulled = 0;
  let written = 0;
  let maxAhead = 0;
  let stopRequested = false;

  function* ticks(): Generator<Tick> {
    while (true) yield { n: pulled++, doubled: 0 };
  }
  const source = sourceKind === "generator"
    ? ticks()
    : new ReadableStream<Tick>({
      pull(controller) {
        controller.enqueue({ n: pulled++, doubled: 0 });
      },
    }, { highWaterMark: 0 });

  function beforeWrite(): void {
    maxAhead = Math.max(maxAhead, pulled - written);
  }
  function afterWrite(count: number): void {
    written += count;
    if (how === "stop" && written >= limit && !stopRequested) {
      stopRequested = true;
      // Not awaited: stop() settles only after this write returns.
      void running.stop();
    }
  }
  const sink = sinkKind === "batch"
    ? batchSink<Tick>({
      async write(records) {
        beforeWrite();
        await sleep(delay);
        afterWrite(records.length);
      },
    })
    : new WritableStream<Tick>({
      async write() {
        beforeWrite();
        await sleep(delay);
        afterWrite(1);
      },
    }, { highWaterMark: 1 });

  const double = map((tick: Tick) => ({ n: tick.n, doubled: tick.n * 2 }));
  const keep = filter((tick: Tick) => tick.n >= 0);
  const options = { batchSize };
  const running = how === "take"
    ? pipeline(source, double, keep, take<Tick>(limit), sink, options)
    : pipeline(source, double, keep, sink, options);
  const processors = how === "take" ? 3 : 2;
  const summary = await running;
  return { pulled, written, maxAhead, processors, batchSize, summary };
}

/** Library processors used with no pipeline around them. */
async function standalone(): Promise<Record<string, unknown>> {
  const doubled = await toArray(
    ReadableStream.from([1, 2, 3, 4, 5]).pipeThrough(
      map((n: number, index: number) => n * 2 + index / 10),
    ),
  );
  const evens = await toArray(
    ReadableStream.from([1, 2, 3, 4, 5, 6]).pipeThrough(
      filter((n: number) => n % 2 === 0),
    ),
  );
  const pairs = await toArray(
    ReadableStream.from(["a", "b"]).pipeThrough(
      flatMap((s: string) => [s, s.toUpperCase()]),
    ),
  );
  const seen: number[] = [];
  const tapped = await toArray(
    ReadableStream.from([7, 8]).pipeThrough(tap((n: number) => {
      seen.push(n);
    })),
  );
  const firstThree = await toArray(
    ReadableStream.from([1, 2, 3, 4, 5]).pipeThrough(take(3)),
  );
  const bytes = new TextEncoder().encode('{"a":1}\r\n\n{"a":2}\n{"a":3}');
  const decoded = await toArray(
    ReadableStream.from([bytes.subarray(0, 5), bytes.subarray(5)]).pipeThrough(
      decodeNdjson(),
    ),
  );
  const lines = await toArray(
    ReadableStream.from(["one\r\ntw", "o\n", "three"]).pipeThrough(
      splitLines(),
    ),
  );
  const groups = await toArray(
    ReadableStream.from([1, 2, 3, 4, 5]).pipeThrough(batch<number>(2)),
  );
  const flat = await toArray(
    ReadableStream.from([[1, 2], [3]]).pipeThrough(unbatch<number>()),
  );
  const concurrent = await toArray(
    ReadableStream.from([30, 10, 20]).pipeThrough(
      mapConcurrent(async (ms: number) => {
        await sleep(ms);
        return ms;
      }, { concurrency: 3 }),
    ),
  );
  const encoded = await new Response(
    ReadableStream.from([{ a: 1 }, "x"]).pipeThrough(encodeNdjson()),
  ).text();

  let recordError: Record<string, unknown> | undefined;
  try {
    await toArray(
      ReadableStream.from([0, 1, 2, 3]).pipeThrough(map((n: number) => {
        if (n === 2) throw new Error("boom at 2");
        return n;
      })),
    );
  } catch (error) {
    recordError = {
      ...describe(error),
      isRecordError: error instanceof RecordError,
    };
  }
  return {
    lines,
    groups,
    flat,
    concurrent,
    doubled,
    evens,
    pairs,
    tapped,
    seen,
    firstThree,
    decoded,
    encoded,
    recordError,
  };
}

/** A map that throws on record 5, behind a map that does not. */
async function stageError(): Promise<Record<string, unknown>> {
  const records = Array.from({ length: 10 }, (_, id) => ({ id }));
  const sink = collect<{ id: number }>();
  const running = pipeline(
    records,
    map((record: { id: number }) => record),
    map(explodeOnFive),
    sink,
  );
  try {
    await running;
    return {
      rejected: false,
      state: running.state,
      written: sink.records.length,
    };
  } catch (error) {
    return {
      rejected: true,
      ...describe(error),
      isStageError: error instanceof StageError,
      sameAsPipelineError: running.error === error,
      state: running.state,
    };
  }
}

function explodeOnFive(record: { id: number }): { id: number } {
  if (record.id === 5) throw new Error("boom at 5");
  return record;
}

function describe(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { thrown: String(error) };
  const fields = error as Error & {
    code?: unknown;
    stageIndex?: unknown;
    stageName?: unknown;
    recordIndex?: unknown;
    index?: unknown;
  };
  return {
    name: error.name,
    message: error.message,
    code: fields.code,
    stageIndex: fields.stageIndex,
    stageName: fields.stageName,
    recordIndex: fields.recordIndex,
    index: fields.index,
    cause: error.cause instanceof Error
      ? error.cause.message
      : String(error.cause),
  };
}

function toItem(record: unknown): Item {
  const item = record as Partial<Item> | null;
  if (typeof item?.id !== "number" || typeof item.value !== "string") {
    throw new TypeError(
      `Cannot read item: expected {id, value}, got ${JSON.stringify(record)}`,
    );
  }
  return { id: item.id, value: item.value };
}

async function toArray<T>(stream: ReadableStream<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
