// The process the `graph` crash scenario kills: two file sources merged →
// map → a fan-out to two file sinks, the second behind a route that takes
// the records with an even id through a throttle of its own, checkpointed
// in the file store. Prints its summary as one JSON line when done.
//
//   deno run -A tests/crash/graph_child.ts <a> <b> <all> <even> <checkpoints>
//
// The merge tags each record with its origin ("a" or "b") in `origin`, so
// the sinks' files tell the two origins apart. Its environment shapes the
// run (every variable is optional):
//   CA_CRASH_BATCH_SIZE       the sources' and the pipeline's batch size (100)
//   CA_CRASH_EVERY_RECORDS    checkpoint.everyRecords (500)
//   CA_CRASH_EVERY_MS         checkpoint.everyMs (250)
//   CA_CRASH_PAUSE_EVERY      throttle of the even sink: pause once per this
//                             many records routed to it; 0: none (100)
//   CA_CRASH_PAUSE_MS         how long each pause lasts (10)
import {
  branch,
  fanOut,
  map,
  mapConcurrent,
  merge,
  pipeline,
  route,
} from "@ca/streams";
import { fileSink, fileSource } from "@ca/streams/file";
import { fileStore } from "@ca/streams/file-store";

const [a, b, all, even, checkpoints] = Deno.args;
const env = (name: string, fallback: number): number => {
  const text = Deno.env.get(`CA_CRASH_${name}`);
  return text === undefined || text === "" ? fallback : Number(text);
};
const batchSize = env("BATCH_SIZE", 100);
const everyRecords = env("EVERY_RECORDS", 500);
const everyMs = env("EVERY_MS", 250);
const pauseEvery = env("PAUSE_EVERY", 100);
const pauseMs = env("PAUSE_MS", 10);

interface Row {
  id: number;
  text: string;
}

interface Out {
  id: number;
  origin: string;
  doubled: number;
  text: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// The even sink lags behind the other: records wait in its throttle after
// the other sink stored them, which is where a checkpoint that counted a
// record done before every sink stored it would lose them.
const evenSink = pauseEvery > 0
  ? branch(
    mapConcurrent(
      (row: Out, index: number) =>
        index % pauseEvery === 0 ? sleep(pauseMs).then(() => row) : row,
      { concurrency: 1 },
    ),
    fileSink<Out>(even!),
  )
  : fileSink<Out>(even!);

const summary = await pipeline(
  merge({
    a: fileSource<Row>(a!, { batchSize }),
    b: fileSource<Row>(b!, { batchSize }),
  }, { originField: "origin" }),
  map((row): Out => ({
    id: row.id,
    origin: row.origin,
    doubled: row.id * 2,
    text: row.text,
  })),
  fanOut({
    all: fileSink<Out>(all!),
    even: route((row: Out) => row.id % 2 === 0 ? "evens" : undefined, {
      evens: evenSink,
    }),
  }),
  {
    id: "crash-graph",
    batchSize,
    checkpoint: { store: fileStore(checkpoints!), everyRecords, everyMs },
  },
);
console.log(JSON.stringify(summary));
