/**
 * RabbitMQ rows, on amqplib, against RabbitMQ at `CA_TEST_AMQP_URL`
 * (default `amqp://guest:guest@127.0.0.1:5672`), each on a durable queue
 * of its own, deleted after the row.
 *
 * - `amqp-source`: per run, the queue is filled with the records' JSON
 *   (untimed, publisher confirms), then read: the connector with its
 *   defaults (batches of up to 256, prefetch 1024, one `basic.ack` with
 *   `multiple` per batch once stored) against a consumer on a channel with
 *   prefetch 1024 whose callback parses and counts each message and, every
 *   256 messages (and at the last record), acks them all with `multiple`.
 *   After each run, once the reader's consumer is gone, the queue must be
 *   empty (nothing requeued: every message was acknowledged).
 * - `amqp-sink`: records published to the queue through the default
 *   exchange, persistent, on a confirm channel: the connector from an
 *   array in the pipeline's batches of 1024 (publish the batch, then wait
 *   for its confirms) against a loop doing the same per chunk of 1024
 *   (`publish()` with the same properties, `waitForConfirms()`). The queue
 *   must hold the record count after each run; it is purged before the
 *   next.
 *
 * @module
 */

import process from "node:process";
import { Buffer } from "node:buffer";
import amqplib from "amqplib";
import { amqpSink } from "../../connectors/amqp/amqp_sink.ts";
import { amqpSource } from "../../connectors/amqp/amqp_source.ts";
import { chunks, pipeSink, pipeSource, sleep, unique } from "./measure.ts";
import {
  type BenchRecord,
  makePayloads,
  makeRecords,
  Tally,
  verify,
} from "./records.ts";
import type { Impl, Row, RowRun, RowSession } from "./types.ts";

const AMQP_URL = process.env.CA_TEST_AMQP_URL ??
  "amqp://guest:guest@127.0.0.1:5672";
/** The source's default batch size; its prefetch is four of them. */
const SOURCE_BATCH = 256;
const PREFETCH = 4 * SOURCE_BATCH;
/** The pipeline's default batch size: what the sink gets per write. */
const SINK_BATCH = 1024;

type Connection = Awaited<ReturnType<typeof amqplib.connect>>;
type Channel = Awaited<ReturnType<Connection["createChannel"]>>;

/** The broker's product and version, for the header. */
function serverOf(connection: Connection): string {
  const properties = (connection as unknown as {
    connection: { serverProperties?: { product?: string; version?: string } };
  }).connection.serverProperties;
  return `${properties?.product ?? "RabbitMQ"} ${properties?.version ?? "?"}`;
}

/** Makes a durable queue of its own; returns a channel to manage it. */
async function makeQueue(): Promise<
  { connection: Connection; admin: Channel; queue: string }
> {
  const connection = await amqplib.connect(AMQP_URL);
  const admin = await connection.createChannel();
  const queue = unique("ca-bench");
  await admin.assertQueue(queue, { durable: true });
  return { connection, admin, queue };
}

/** Waits until nobody consumes `queue` (a stopped reader's channel closed). */
async function noConsumer(admin: Channel, queue: string): Promise<number> {
  for (let attempt = 0;; attempt++) {
    const { consumerCount, messageCount } = await admin.checkQueue(queue);
    if (consumerCount === 0) return messageCount;
    if (attempt > 250) {
      throw new Error(
        `Cannot check queue ${queue}: its reader still consumes it after 5 s`,
      );
    }
    await sleep(20);
  }
}

/** The hand-written consumer; the clock stops at the last record counted. */
async function consumeLoop(
  queue: string,
  records: number,
): Promise<{ elapsedMs: number; tally: Tally }> {
  const tally = new Tally();
  let elapsedMs = 0;
  let reached!: () => void;
  const full = new Promise<void>((resolve) => reached = resolve);
  const start = performance.now();
  const connection = await amqplib.connect(AMQP_URL);
  const channel = await connection.createChannel();
  await channel.prefetch(PREFETCH);
  await channel.checkQueue(queue);
  let unacked = 0;
  await channel.consume(queue, (message) => {
    if (message === null) return;
    tally.add(JSON.parse(message.content.toString()) as BenchRecord);
    if (++unacked >= SOURCE_BATCH || tally.count >= records) {
      if (tally.count >= records && elapsedMs === 0) {
        elapsedMs = performance.now() - start;
        reached();
      }
      channel.ack(message, true);
      unacked = 0;
    }
  }, { noAck: false });
  await full;
  // The channel first: its close follows the last ack on the wire.
  await channel.close();
  await connection.close();
  return { elapsedMs, tally };
}

/** The AMQP source row. */
export const amqpSourceRow: Row = {
  name: "amqp-source",
  records: 51_200,
  multipleOf: SOURCE_BATCH,
  workload: "a queue filled before each run, manual acks after store",
  baseline:
    "prefetch 1024, consume: parse + count each, ack multiple every 256",
  clients: ["amqplib"],
  async open(records: number): Promise<RowSession> {
    const { connection, admin, queue } = await makeQueue();
    const payloads = makePayloads(records).map((text) => Buffer.from(text));
    const publisher = await connection.createConfirmChannel();
    return {
      server: serverOf(connection),
      async run(impl: Impl): Promise<RowRun> {
        for (const chunk of chunks(payloads, 4096)) {
          for (const payload of chunk) {
            publisher.publish("", queue, payload, {
              contentType: "application/json",
            });
          }
          await publisher.waitForConfirms();
        }
        let run: { elapsedMs: number; tally: Tally };
        if (impl === "connector") {
          run = await pipeSource(
            amqpSource({ url: AMQP_URL, queue }) as never,
            records,
          );
        } else {
          run = await consumeLoop(queue, records);
        }
        verify(run.tally, records, `amqp-source ${impl}`);
        const left = await noConsumer(admin, queue);
        if (left !== 0) {
          throw new Error(
            `Cannot trust amqp-source ${impl}: ${left} messages are back in the queue (not acknowledged)`,
          );
        }
        return { elapsedMs: run.elapsedMs, records };
      },
      async close() {
        await admin.deleteQueue(queue);
        await connection.close();
      },
    };
  },
};

/** The AMQP sink row. */
export const amqpSinkRow: Row = {
  name: "amqp-sink",
  records: 40_960,
  multipleOf: SINK_BATCH,
  workload:
    "records from an array, published persistent in batches of 1024, confirmed",
  baseline:
    "confirm channel, per chunk of 1024: publish() each, await waitForConfirms()",
  clients: ["amqplib"],
  async open(records: number): Promise<RowSession> {
    const { connection, admin, queue } = await makeQueue();
    const input = makeRecords(records);
    return {
      server: serverOf(connection),
      async run(impl: Impl): Promise<RowRun> {
        await admin.purgeQueue(queue);
        let elapsedMs: number;
        if (impl === "connector") {
          elapsedMs = await pipeSink(
            input,
            amqpSink<BenchRecord>({ url: AMQP_URL, routingKey: queue }),
          );
        } else {
          const start = performance.now();
          const client = await amqplib.connect(AMQP_URL);
          const channel = await client.createConfirmChannel();
          for (const chunk of chunks(input, SINK_BATCH)) {
            const timestamp = Math.floor(Date.now() / 1000);
            for (const record of chunk) {
              const written = channel.publish(
                "",
                queue,
                Buffer.from(JSON.stringify(record)),
                {
                  persistent: true,
                  contentType: "application/json",
                  timestamp,
                },
              );
              if (!written) {
                await new Promise((resolve) => channel.once("drain", resolve));
              }
            }
            await channel.waitForConfirms();
          }
          await client.close();
          elapsedMs = performance.now() - start;
        }
        const { messageCount } = await admin.checkQueue(queue);
        if (messageCount !== records) {
          throw new Error(
            `Cannot trust amqp-sink ${impl}: the queue holds ${messageCount} of ${records} messages`,
          );
        }
        return { elapsedMs, records };
      },
      async close() {
        await admin.deleteQueue(queue);
        await connection.close();
      },
    };
  },
};
