/**
 * Redis Streams rows, on node-redis (`redis`), against Redis at
 * `CA_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`).
 *
 * - `redis-stream-source`: a stream prefilled once with the records' JSON
 *   in field `value`; every run reads all of it through a consumer group of
 *   its own. The connector with its defaults (`batchSize` 512: XREADGROUP
 *   COUNT 512, XACK of each batch once stored) against a loop on one
 *   client: XREADGROUP COUNT 512 BLOCK 2000, parse and count the batch,
 *   XACK its ids, read on. After each run, XPENDING must show nothing
 *   pending (every entry acknowledged), then the group is destroyed.
 * - `redis-stream-sink`: records written to a fresh stream, the connector
 *   from an array in the pipeline's batches of 1024 (pipelined XADDs, the
 *   write resolved once Redis confirmed each) against a loop sending each
 *   chunk of 1024 as XADDs at once and awaiting their replies. XLEN must
 *   be the record count; the stream is deleted after.
 *
 * @module
 */

import { createClient } from "redis";
import { redisStreamSink } from "../../connectors/redis/redis_stream_sink.ts";
import { redisStreamSource } from "../../connectors/redis/redis_stream_source.ts";
import { chunks, eventually, pipeSink, pipeSource, unique } from "./measure.ts";
import { type BenchRecord, makeRecords, Tally, verify } from "./records.ts";
import type { Impl, Row, RowRun, RowSession } from "./types.ts";

const REDIS_URL = (globalThis as { Deno?: typeof Deno }).Deno?.env.get(
  "CA_TEST_REDIS_URL",
) ?? (globalThis as { process?: { env: Record<string, string> } }).process
  ?.env.CA_TEST_REDIS_URL ??
  "redis://127.0.0.1:6379";
/** The source's default batch size: XREADGROUP COUNT. */
const SOURCE_BATCH = 512;
/** The pipeline's default batch size: what the sink gets per write. */
const SINK_BATCH = 1024;

type Client = Awaited<ReturnType<typeof connected>>;

/** The server's version, for the header. */
async function serverOf(client: Client): Promise<string> {
  const info = await client.info("server");
  return `Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? "?"}`;
}

async function connected() {
  const client = createClient({ url: REDIS_URL });
  client.on("error", () => {});
  await client.connect();
  return client;
}

/** XADDs every record's JSON as field `value`, pipelined in chunks. */
async function fill(
  client: Client,
  stream: string,
  records: readonly BenchRecord[],
) {
  for (const chunk of chunks(records, 10_000)) {
    await Promise.all(
      chunk.map((record) =>
        client.xAdd(stream, "*", { value: JSON.stringify(record) })
      ),
    );
  }
}

/** The hand-written consumer-group loop; the clock stops at the last record counted. */
async function readLoop(
  stream: string,
  group: string,
  records: number,
): Promise<RowRun & { tally: Tally }> {
  const tally = new Tally();
  const start = performance.now();
  let elapsedMs = 0;
  const client = await connected();
  try {
    await client.xGroupCreate(stream, group, "0", { MKSTREAM: true });
    while (tally.count < records) {
      const reply = await client.xReadGroup(
        group,
        "bench",
        { key: stream, id: ">" },
        { COUNT: SOURCE_BATCH, BLOCK: 2000 },
      );
      if (reply === null) continue;
      const { messages } = (reply as Array<{
        messages: Array<{ id: string; message: Record<string, string> }>;
      }>)[0]!;
      const ids = new Array<string>(messages.length);
      for (let i = 0; i < messages.length; i++) {
        const entry = messages[i]!;
        tally.add(JSON.parse(entry.message.value!) as BenchRecord);
        ids[i] = entry.id;
      }
      if (tally.count >= records) elapsedMs = performance.now() - start;
      await client.xAck(stream, group, ids);
    }
  } finally {
    await client.close();
  }
  return { elapsedMs, records, tally };
}

/** The Redis stream source row. */
export const redisStreamSourceRow: Row = {
  name: "redis-stream-source",
  records: 200_192,
  multipleOf: SOURCE_BATCH,
  workload: "consumer group read of a prefilled stream, XACK after each batch",
  baseline: "XREADGROUP COUNT 512 BLOCK 2000, parse + count, XACK the batch",
  clients: ["redis"],
  async open(records: number): Promise<RowSession> {
    const admin = await connected();
    const stream = unique("ca-bench-source");
    await fill(admin, stream, makeRecords(records));
    return {
      server: await serverOf(admin),
      async run(impl: Impl): Promise<RowRun> {
        const group = unique("g");
        let run: RowRun & { tally: Tally };
        if (impl === "connector") {
          const timed = await pipeSource(
            redisStreamSource<BenchRecord>({
              url: REDIS_URL,
              stream,
              group,
              consumer: "bench",
            }),
            records,
          );
          run = { elapsedMs: timed.elapsedMs, records, tally: timed.tally };
        } else {
          run = await readLoop(stream, group, records);
        }
        verify(run.tally, records, `redis-stream-source ${impl}`);
        await eventually(async () => {
          const pending = await admin.sendCommand([
            "XPENDING",
            stream,
            group,
          ]) as [number];
          return Number(pending[0]) === 0
            ? undefined
            : `Cannot trust redis-stream-source ${impl}: ${
              pending[0]
            } entries left unacknowledged`;
        });
        await admin.xGroupDestroy(stream, group);
        return { elapsedMs: run.elapsedMs, records };
      },
      async close() {
        await admin.del(stream);
        await admin.close();
      },
    };
  },
};

/** The Redis stream sink row. */
export const redisStreamSinkRow: Row = {
  name: "redis-stream-sink",
  records: 100_352,
  multipleOf: SINK_BATCH,
  workload: "records from an array, written in batches of 1024",
  baseline:
    "per chunk of 1024: XADD each record's JSON at once, await every reply",
  clients: ["redis"],
  async open(records: number): Promise<RowSession> {
    const admin = await connected();
    const input = makeRecords(records);
    const streams: string[] = [];
    return {
      server: await serverOf(admin),
      async run(impl: Impl): Promise<RowRun> {
        const stream = unique("ca-bench-sink");
        streams.push(stream);
        let elapsedMs: number;
        if (impl === "connector") {
          elapsedMs = await pipeSink(
            input,
            redisStreamSink<BenchRecord>({ url: REDIS_URL, stream }),
          );
        } else {
          const start = performance.now();
          const client = await connected();
          for (const chunk of chunks(input, SINK_BATCH)) {
            await Promise.all(
              chunk.map((record) =>
                client.xAdd(stream, "*", { value: JSON.stringify(record) })
              ),
            );
          }
          await client.close();
          elapsedMs = performance.now() - start;
        }
        const length = await admin.xLen(stream);
        if (length !== records) {
          throw new Error(
            `Cannot trust redis-stream-sink ${impl}: the stream holds ${length} of ${records} entries`,
          );
        }
        await admin.del(stream);
        streams.pop();
        return { elapsedMs, records };
      },
      async close() {
        if (streams.length > 0) await admin.del(streams);
        await admin.close();
      },
    };
  },
};
