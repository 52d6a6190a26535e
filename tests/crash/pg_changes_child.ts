// The process the postgres-changes crash scenario kills: postgresChangeSource
// on a persistent slot → a throttle stage → file sink (one NDJSON line per
// change), checkpointed in a PostgreSQL store on the same server, or with
// no checkpoint store (the slot alone keeps the position). Prints its
// summary as one JSON line when done.
//
//   deno run -A tests/crash/pg_changes_child.ts <url> <slot> <table> <output> <starts> <store>
//
// <store> is "postgres" (postgresStore, table ca_crash_checkpoints) or
// "none". At each start it appends the output's line count to <starts>,
// so that the check knows where each start's deliveries begin.
//
// The source runs until stopped: the child stops the pipeline (gracefully:
// what was read still reaches the sink) once the writer's end marker (the
// insert of id 0, committed after every other change) has reached the stage
// before the sink. A start that finds the marker already stored by an
// earlier one exits at once. If no change comes for CA_CRASH_IDLE_MS, it
// stops all the same, and the check reports what is missing.
//
// Its environment shapes the run (every variable is optional):
//   CA_CRASH_BATCH_SIZE     the source's and the pipeline's batch size (100)
//   CA_CRASH_EVERY_RECORDS  checkpoint.everyRecords (500)
//   CA_CRASH_EVERY_MS       checkpoint.everyMs (250)
//   CA_CRASH_PAUSE_EVERY    throttle: pause once per this many changes; 0: no
//                           throttle (100)
//   CA_CRASH_PAUSE_MS       how long each pause lasts (10)
//   CA_CRASH_IDLE_MS        give up after this long without a change (30000)
import { map, mapConcurrent, pipeline } from "@ca/streams";
import type { CheckpointStore, RunningPipeline } from "@ca/streams";
import { fileSink } from "@ca/streams/file";
import { postgresStore } from "@ca/streams/postgres";
// Not yet exported by connectors/postgres/mod.ts: by path until it is.
import type { PostgresChange } from "../../connectors/postgres/postgres_change.ts";
import { postgresChangeSource } from "../../connectors/postgres/postgres_change_source.ts";
import postgres from "postgres";
import { countLines } from "./ndjson_files.ts";
import { isEndMarker } from "./pg_changes_check.ts";

const [url, slot, table, output, starts, storeKind] = Deno.args;
const env = (name: string, fallback: number): number => {
  const text = Deno.env.get(`CA_CRASH_${name}`);
  return text === undefined || text === "" ? fallback : Number(text);
};
const batchSize = env("BATCH_SIZE", 100);
const everyRecords = env("EVERY_RECORDS", 500);
const everyMs = env("EVERY_MS", 250);
const pauseEvery = env("PAUSE_EVERY", 100);
const pauseMs = env("PAUSE_MS", 10);
const idleMs = env("IDLE_MS", 30_000);

/** The last complete line of the output, parsed ({} when there is none). */
async function lastLine(): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(output!);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return {};
    throw error;
  }
  const end = bytes.lastIndexOf(10);
  if (end === -1) return {};
  const from = bytes.lastIndexOf(10, end - 1) + 1;
  return JSON.parse(new TextDecoder().decode(bytes.subarray(from, end)));
}

// Where this start's deliveries begin (a line a kill left half-written is
// not counted: the sink truncates it away).
await Deno.writeTextFile(starts!, `${await countLines(output!)}\n`, {
  append: true,
});
// The marker is the last change: once stored, it is the last line.
if (isEndMarker(await lastLine() as PostgresChange)) {
  console.log(JSON.stringify({ recordsRead: 0, recordsWritten: 0 }));
  Deno.exit(0);
}

let store: CheckpointStore | undefined;
let sql: postgres.Sql | undefined;
if (storeKind === "postgres") {
  sql = postgres(url!, { max: 2, onnotice: () => {} });
  store = postgresStore(sql, { table: "ca_crash_checkpoints" });
} else if (storeKind !== "none") {
  throw new TypeError(
    `Cannot run postgres-changes crash child: unknown store ${storeKind}`,
  );
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
let stopping = false;
let lastChange = Date.now();
// Called once changes flow, so after `running` is set.
const stop = () => {
  if (stopping) return;
  stopping = true;
  void running.stop();
};
const stages: TransformStream[] = [];
if (pauseEvery > 0) {
  // A slow stage before the sink, as a slow sink would be: changes wait
  // here, read and not yet stored, when a kill lands.
  stages.push(mapConcurrent(
    (change: PostgresChange, index: number) =>
      index % pauseEvery === 0 ? sleep(pauseMs).then(() => change) : change,
    { concurrency: 1 },
  ));
}
stages.push(map((change: PostgresChange) => {
  lastChange = Date.now();
  if (isEndMarker(change)) stop();
  return change;
}));
const running = (pipeline as (...args: unknown[]) => RunningPipeline)(
  postgresChangeSource({ url: url!, slot: slot!, tables: [table!], batchSize }),
  ...stages,
  fileSink<PostgresChange>(output!),
  {
    id: "crash-postgres-changes",
    batchSize,
    ...(store === undefined
      ? {}
      : { checkpoint: { store, everyRecords, everyMs } }),
  },
);
const idle = setInterval(() => {
  if (Date.now() - lastChange < idleMs) return;
  console.error(
    `postgres-changes child: no change for ${idleMs} ms: stopping`,
  );
  stop();
}, 1000);
const summary = await running;
clearInterval(idle);
await sql?.end();
console.log(JSON.stringify(summary));
