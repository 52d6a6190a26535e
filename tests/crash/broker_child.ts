// The process a broker crash scenario kills: a source whose server keeps
// the position (a Redis consumer group, a JetStream durable consumer, an
// MQTT persistent session, a RabbitMQ queue) → a throttle stage → file
// sink, with no checkpoint store: the source acknowledges to the server
// once the sink stored a batch. Prints its summary as one JSON line when
// done.
//
//   deno run -A tests/crash/broker_child.ts <source> <output> <records> <options>
//
// <source> is redis-streams, jetstream, mqtt or amqp; <options> the
// source's options as JSON (url, stream, consumer...). Each message's value
// is a record `{ id, text }`, with ids 0 to <records> - 1: the sink stores
// the value, one JSON line per record.
//
// A broker source runs until stopped: the child stops the pipeline
// (gracefully: what was read still reaches the sink) once every id from 0
// to <records> - 1 has reached the stage before the sink, in this start or
// an earlier one (the output already holds it). If no new id comes for
// CA_CRASH_IDLE_MS, it stops all the same and the driver reports the ids
// it is missing as lost.
//
// Its environment shapes the run (every variable is optional):
//   CA_CRASH_BATCH_SIZE   the source's and the pipeline's batch size (100)
//   CA_CRASH_PAUSE_EVERY  throttle: pause once per this many records; 0: no
//                         throttle (100)
//   CA_CRASH_PAUSE_MS     how long each pause lasts (10)
//   CA_CRASH_IDLE_MS      give up after this long without a new id (30000)
import { map, mapConcurrent, pipeline } from "@ca/streams";
import type { RunningPipeline } from "@ca/streams";
import { fileSink } from "@ca/streams/file";
import type { Message } from "@ca/streams/messages";
import { readIds } from "./ndjson_files.ts";

/** The sources the child can run. */
export type BrokerSourceKind = "redis-streams" | "jetstream" | "mqtt" | "amqp";

interface Row {
  id: number;
  text: string;
}

const [kind, output, recordsText, optionsJson] = Deno.args;
const env = (name: string, fallback: number): number => {
  const text = Deno.env.get(`CA_CRASH_${name}`);
  return text === undefined || text === "" ? fallback : Number(text);
};
const batchSize = env("BATCH_SIZE", 100);
const pauseEvery = env("PAUSE_EVERY", 100);
const pauseMs = env("PAUSE_MS", 10);
const idleMs = env("IDLE_MS", 30_000);
const records = Number(recordsText);
const options = JSON.parse(optionsJson!) as Record<string, unknown>;

/** The source `kind` names, with `options` and the batch size. */
async function openSource(): Promise<AsyncIterable<Message<Row>>> {
  // Each source checks its options when it is made.
  const settings = { ...options, batchSize } as never;
  switch (kind as BrokerSourceKind) {
    case "redis-streams":
      return (await import("@ca/streams/redis")).redisStreamSource(settings);
    case "jetstream":
      return (await import("@ca/streams/nats")).jetStreamSource(settings);
    case "mqtt":
      return (await import("@ca/streams/mqtt")).mqttSource(
        settings,
      ) as AsyncIterable<Message<Row>>;
    case "amqp":
      return (await import("@ca/streams/amqp")).amqpSource(
        settings,
      ) as AsyncIterable<Message<Row>>;
    default:
      throw new TypeError(
        `Cannot run broker crash child: unknown source ${kind}`,
      );
  }
}

// What earlier starts stored (a line a kill left half-written is not
// counted: the sink truncates it away).
const seen = new Uint8Array(records);
let missing = records;
let lastNew = Date.now();
const note = (id: number) => {
  if (Number.isInteger(id) && id >= 0 && id < records && seen[id] === 0) {
    seen[id] = 1;
    missing--;
    lastNew = Date.now();
  }
};
for (const id of (await readIds(output!)).ids) note(id);
if (missing === 0) {
  console.log(JSON.stringify({ recordsRead: 0, recordsWritten: 0 }));
  Deno.exit(0);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
let stopping = false;
// Called once records flow, so after `running` is set.
const stop = () => {
  if (stopping) return;
  stopping = true;
  void running.stop();
};
const stages: TransformStream[] = [
  map((message: Message<Row>) => message.value),
];
if (pauseEvery > 0) {
  // A slow stage before the sink, as a slow sink would be: records wait
  // here, read and not yet stored, when a kill lands. It also keeps the
  // run long enough for the kills to land while records flow.
  stages.push(mapConcurrent(
    (row: Row, index: number) =>
      index % pauseEvery === 0 ? sleep(pauseMs).then(() => row) : row,
    { concurrency: 1 },
  ));
}
stages.push(map((row: Row) => {
  note(row.id);
  if (missing === 0) stop();
  return row;
}));
const running = (pipeline as (...args: unknown[]) => RunningPipeline)(
  await openSource(),
  ...stages,
  fileSink<Row>(output!),
  { id: `crash-${kind}`, batchSize },
);
const idle = setInterval(() => {
  if (Date.now() - lastNew < idleMs) return;
  console.error(
    `broker child: no new record for ${idleMs} ms, ${missing} missing: stopping`,
  );
  stop();
}, 1000);
const summary = await running;
clearInterval(idle);
console.log(JSON.stringify(summary));
// A client library may keep a timer or a socket open after its source let
// go of it: the run is over.
Deno.exit(0);
