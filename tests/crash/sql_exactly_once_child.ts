// The process the exactly-once crash scenarios kill: file source → a
// throttle → postgresSink or mariadbSink with exactlyOnce, plain inserts,
// the pipeline's checkpoint store the same database's store on the same
// client. Prints its summary as one JSON line when done.
//
//   deno run -A tests/crash/sql_exactly_once_child.ts <database> <url>
//     <input> <table> <checkpoint-table>
//
// <database> is postgres or mariadb. Its environment shapes the run:
//   CA_CRASH_BATCH_SIZE  the source's and the pipeline's batch size (100)
//   CA_CRASH_PAUSE_MS    the throttle: each batch waits this long (10)
import { map, pipeline } from "@ca/streams";
import type { BatchSink, CheckpointStore } from "@ca/streams";
import { fileSource } from "@ca/streams/file";
import type { PostgresSinkSql } from "@ca/streams/postgres";

const [database, url, input, table, checkpoints] = Deno.args;
const env = (name: string, fallback: number): number => {
  const text = Deno.env.get(`CA_CRASH_${name}`);
  return text === undefined || text === "" ? fallback : Number(text);
};
const batchSize = env("BATCH_SIZE", 100);
const pauseMs = env("PAUSE_MS", 10);

interface Row {
  id: number;
  text: string;
}

async function open(): Promise<
  { store: CheckpointStore; sink: BatchSink<Row>; close(): Promise<void> }
> {
  switch (database) {
    case "postgres": {
      const { default: postgres } = await import("postgres");
      const { postgresSink, postgresStore } = await import(
        "@ca/streams/postgres"
      );
      const sql = postgres(url!, { max: 2, onnotice: () => {} });
      const client = sql as unknown as PostgresSinkSql;
      return {
        store: postgresStore(client, { table: checkpoints }),
        sink: postgresSink<Row>({
          sql: client,
          table: table!,
          exactlyOnce: true,
        }),
        close: () => sql.end(),
      };
    }
    case "mariadb": {
      const { default: mysql } = await import("mysql2/promise");
      const { mariadbSink, mariadbStore } = await import(
        "@ca/streams/mariadb"
      );
      const pool = mysql.createPool({ uri: url!, connectionLimit: 2 });
      return {
        store: mariadbStore(pool, { table: checkpoints }),
        sink: mariadbSink<Row>({ pool, table: table!, exactlyOnce: true }),
        close: () => pool.end(),
      };
    }
    default:
      throw new TypeError(
        `Cannot run crash child: unknown database ${database}`,
      );
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const opened = await open();
// Throttle once per batch (the first record of each waits), so that a run
// lasts long enough for the kills to land mid-stream. map() keeps the
// source's batches whole: each still ends where a batch of the source
// ended, as an exactly-once sink needs.
let seen = 0;
const throttle = map((row: Row) =>
  seen++ % batchSize === 0 ? sleep(pauseMs).then(() => row) : row
);
const summary = await pipeline(
  fileSource<Row>(input!, { batchSize }),
  throttle,
  opened.sink,
  { id: "crash-exactly-once", batchSize, checkpoint: { store: opened.store } },
);
await opened.close();
console.log(JSON.stringify(summary));
