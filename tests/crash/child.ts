// The process the crash test kills: file source → processors (a filter
// among them) → file sink, checkpointed in the chosen store. Throttled so
// that kills land mid-stream. Prints its summary as one JSON line when done.
//
//   deno run -A tests/crash/child.ts <input> <output> <store> <store-arg>
import { filter, map, mapConcurrent, pipeline } from "@ca/streams";
import type { CheckpointStore } from "@ca/streams";
import { fileSink, fileSource } from "@ca/streams/file";

const [input, output, storeKind, storeArg] = Deno.args;
const everyRecords = Number(Deno.env.get("CA_CRASH_EVERY_RECORDS") ?? 500);
const batchSize = Number(Deno.env.get("CA_CRASH_BATCH_SIZE") ?? 100);
const pauseEvery = Number(Deno.env.get("CA_CRASH_PAUSE_EVERY") ?? 200);
const pauseMs = Number(Deno.env.get("CA_CRASH_PAUSE_MS") ?? 10);

interface Row {
  id: number;
  text: string;
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
        "../../connectors/redis_store/mod.ts"
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
        "../../connectors/postgres_store/mod.ts"
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

const { store, close } = await openStore();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const summary = await pipeline(
  fileSource<Row>(input!, { batchSize }),
  map((row: Row) => ({ id: row.id, doubled: row.id * 2, text: row.text })),
  filter((row) => row.id % 3 !== 0),
  // Throttle in a stage of its own, like a slow sink: records wait here
  // between being read and being stored, which is where a checkpoint that
  // ran ahead of the sink would lose them. It also keeps the run long
  // enough for kills to land mid-stream.
  mapConcurrent(
    (row, index) =>
      index % pauseEvery === 0 ? sleep(pauseMs).then(() => row) : row,
    { concurrency: 1 },
  ),
  fileSink(output!),
  {
    id: "crash-test",
    batchSize,
    checkpoint: { store, everyRecords, everyMs: 250 },
  },
);
await close();
console.log(JSON.stringify(summary));
