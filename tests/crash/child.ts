// The process a crash scenario kills: file source → processors → file
// sink, checkpointed in the chosen store. Prints its summary as one JSON
// line when done.
//
//   deno run -A tests/crash/child.ts <input> <output> <store> <store-arg>
//
// Its environment shapes the run (every variable is optional):
//   CA_CRASH_BATCH_SIZE       the source's and the pipeline's batch size (100)
//   CA_CRASH_EVERY_RECORDS    checkpoint.everyRecords (500)
//   CA_CRASH_EVERY_MS         checkpoint.everyMs (250)
//   CA_CRASH_MAX_UNCOMMITTED  checkpoint.maxUncommittedRecords (unset)
//   CA_CRASH_COMMIT_DELAY_MS  every commit waits this long first, as a
//                             remote store's round trip would (0)
//   CA_CRASH_FILTER           "1": drop every record whose id % 3 == 0 (1)
//   CA_CRASH_PAUSE_EVERY      throttle: pause once per this many records
//                             that pass the filter; 0: no throttle (100)
//   CA_CRASH_PAUSE_MS         how long each pause lasts (10)
import { filter, map, mapConcurrent, pipeline } from "@ca/streams";
import type { CheckpointStore } from "@ca/streams";
import { fileSink, fileSource } from "@ca/streams/file";

const [input, output, storeKind, storeArg] = Deno.args;
const env = (name: string, fallback: number): number => {
  const text = Deno.env.get(`CA_CRASH_${name}`);
  return text === undefined || text === "" ? fallback : Number(text);
};
const batchSize = env("BATCH_SIZE", 100);
const everyRecords = env("EVERY_RECORDS", 500);
const everyMs = env("EVERY_MS", 250);
const maxUncommitted = env("MAX_UNCOMMITTED", 0);
const commitDelayMs = env("COMMIT_DELAY_MS", 0);
const filtered = env("FILTER", 1) === 1;
const pauseEvery = env("PAUSE_EVERY", 100);
const pauseMs = env("PAUSE_MS", 10);

interface Row {
  id: number;
  text?: string;
}

async function openStore(): Promise<
  { store: CheckpointStore; close(): Promise<void> }
> {
  switch (storeKind) {
    case "file": {
      const { fileStore } = await import("@ca/streams/file-store");
      const store = fileStore(storeArg!);
      return { store, close: async () => {} };
    }
    case "redis": {
      const { createClient } = await import("redis");
      const { redisStore } = await import(
        "@ca/streams/redis"
      );
      const client = await createClient({ url: storeArg }).connect();
      return {
        store: redisStore(client, { prefix: "ca:crash:" }),
        close: async () => void await client.quit(),
      };
    }
    case "postgres": {
      const { default: postgres } = await import("postgres");
      const { postgresStore } = await import(
        "@ca/streams/postgres"
      );
      const sql = postgres(storeArg!, { onnotice: () => {} });
      return {
        store: postgresStore(sql, { table: "ca_crash_checkpoints" }),
        close: () => sql.end(),
      };
    }
    default:
      throw new TypeError(`Cannot run crash child: unknown store ${storeKind}`);
  }
}

/** The store, with each commit delayed as a remote store's would be. */
function delayed(store: CheckpointStore): CheckpointStore {
  if (commitDelayMs <= 0) return store;
  return {
    get: (id, options) => store.get(id, options),
    acquire: (id, options) => store.acquire(id, options),
    delete: (id, options) => store.delete(id, options),
    async commit(id, position, generation, options) {
      await sleep(commitDelayMs);
      return await store.commit(id, position, generation, options);
    },
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const opened = await openStore();
const stages: TransformStream[] = [];
if (filtered) {
  stages.push(
    map((row: Row) => ({ id: row.id, doubled: row.id * 2, text: row.text })),
    filter((row: Row) => row.id % 3 !== 0),
  );
}
if (pauseEvery > 0) {
  // Throttle in a stage of its own, like a slow sink: records wait here
  // between being read and being stored, which is where a checkpoint that
  // ran ahead of the sink would lose them. It also keeps the run long
  // enough for kills to land mid-stream.
  stages.push(mapConcurrent(
    (row: Row, index: number) =>
      index % pauseEvery === 0 ? sleep(pauseMs).then(() => row) : row,
    { concurrency: 1 },
  ));
}
const summary =
  await (pipeline as (...args: unknown[]) => PromiseLike<unknown>)(
    fileSource<Row>(input!, { batchSize }),
    ...stages,
    fileSink(output!),
    {
      id: "crash-test",
      batchSize,
      checkpoint: {
        store: delayed(opened.store),
        everyRecords,
        everyMs,
        ...(maxUncommitted > 0
          ? { maxUncommittedRecords: maxUncommitted }
          : {}),
      },
    },
  );
await opened.close();
console.log(JSON.stringify(summary));
