/**
 * JetStream rows, on nats.js v3 (`@nats-io/transport-node`,
 * `@nats-io/jetstream`), against NATS at `CA_TEST_NATS_URL` (default
 * `nats://127.0.0.1:4222`, JetStream enabled).
 *
 * - `jetstream-source`: a stream prefilled once with the records' JSON;
 *   every run reads all of it through a durable pull consumer of its own
 *   (explicit acks, ack wait 30 s, max ack pending 1000: the connector's
 *   defaults). The connector with its defaults (fetches of 256, each
 *   message acked once its batch is stored, then the last ack sent again
 *   as a request the server answers: the confirmation), `fetchWaitMs` 1000
 *   so that the fetch left waiting when a run stops expires sooner
 *   (untimed), against a loop: fetch 256 (expires 1000), parse and count
 *   each, `ack()` all but the last, `await last.ackAck()`, fetch again.
 *   After each run the consumer must have nothing pending and its ack
 *   floor at the last record; then it is deleted.
 * - `jetstream-sink`: records published to a subject of a stream purged
 *   before each run, the connector from an array in the pipeline's batches
 *   of 1024 (all published at once, the PubAcks awaited together) against
 *   a loop doing the same per chunk of 1024 with `js.publish()`. The
 *   stream must hold the record count after each run.
 *
 * @module
 */

import { connect, type NatsConnection } from "@nats-io/transport-node";
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import type { JsMsg } from "@nats-io/jetstream";
import { jetStreamSink } from "../../connectors/nats/jetstream_sink.ts";
import { jetStreamSource } from "../../connectors/nats/jetstream_source.ts";
import { chunks, eventually, pipeSink, pipeSource, unique } from "./measure.ts";
import {
  type BenchRecord,
  makePayloads,
  makeRecords,
  Tally,
  verify,
} from "./records.ts";
import type { Impl, Row, RowRun, RowSession } from "./types.ts";

const NATS_URL = (globalThis as { Deno?: typeof Deno }).Deno?.env.get(
  "CA_TEST_NATS_URL",
) ?? (globalThis as { process?: { env: Record<string, string> } }).process
  ?.env.CA_TEST_NATS_URL ??
  "nats://127.0.0.1:4222";
/** The source's default batch size (messages per fetch). */
const FETCH_BATCH = 256;
/** How long the fetch left over at the end of a run waits (untimed). */
const FETCH_WAIT_MS = 1000;
/** The pipeline's default batch size: what the sink gets per write. */
const SINK_BATCH = 1024;

/** A stream of its own, capturing `<subject>.>`. */
async function makeStream(nc: NatsConnection) {
  const jsm = await jetstreamManager(nc);
  const name = unique("CA_BENCH").toUpperCase().replaceAll("-", "_");
  const subject = name.toLowerCase();
  await jsm.streams.add({ name, subjects: [`${subject}.>`] });
  return { jsm, name, subject };
}

/** The hand-written fetch loop; the clock stops at the last record counted. */
async function fetchLoop(
  stream: string,
  consumerName: string,
  records: number,
): Promise<{ elapsedMs: number; tally: Tally }> {
  const tally = new Tally();
  const start = performance.now();
  let elapsedMs = 0;
  const nc = await connect({ servers: NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.add(stream, {
      durable_name: consumerName,
      ack_policy: AckPolicy.Explicit,
      ack_wait: 30_000 * 1e6,
      max_ack_pending: 1000,
      deliver_policy: DeliverPolicy.All,
    });
    const consumer = await jetstream(nc).consumers.get(stream, consumerName);
    while (tally.count < records) {
      const fetched = await consumer.fetch({
        max_messages: FETCH_BATCH,
        expires: FETCH_WAIT_MS,
      });
      const batch: JsMsg[] = [];
      for await (const msg of fetched) {
        tally.add(msg.json<BenchRecord>());
        batch.push(msg);
        if (tally.count >= records) {
          elapsedMs = performance.now() - start;
          fetched.stop();
        }
      }
      const last = batch.pop();
      if (last === undefined) continue;
      for (const msg of batch) msg.ack();
      await last.ackAck();
    }
  } finally {
    await nc.close();
  }
  return { elapsedMs, tally };
}

/** The JetStream source row. */
export const jetStreamSourceRow: Row = {
  name: "jetstream-source",
  records: 50_176,
  multipleOf: FETCH_BATCH,
  workload: "durable pull consumer over a prefilled stream, ack after store",
  baseline:
    "fetch 256, parse + count, ack() each, await ackAck() on the last, fetch again",
  clients: ["@nats-io/transport-node", "@nats-io/jetstream"],
  async open(records: number): Promise<RowSession> {
    const nc = await connect({ servers: NATS_URL });
    const { jsm, name, subject } = await makeStream(nc);
    const js = jetstream(nc);
    for (const chunk of chunks(makePayloads(records), 4096)) {
      await Promise.all(
        chunk.map((payload) => js.publish(`${subject}.in`, payload)),
      );
    }
    return {
      server: `nats-server ${nc.info?.version ?? "?"}`,
      async run(impl: Impl): Promise<RowRun> {
        const consumer = unique("c");
        let run: { elapsedMs: number; tally: Tally };
        if (impl === "connector") {
          run = await pipeSource(
            jetStreamSource<BenchRecord>({
              url: NATS_URL,
              stream: name,
              consumer,
              fetchWaitMs: FETCH_WAIT_MS,
            }),
            records,
          );
        } else {
          run = await fetchLoop(name, consumer, records);
        }
        verify(run.tally, records, `jetstream-source ${impl}`);
        await eventually(async () => {
          const info = await jsm.consumers.info(name, consumer);
          return info.num_ack_pending === 0 &&
              info.ack_floor.stream_seq === records
            ? undefined
            : `Cannot trust jetstream-source ${impl}: ${info.num_ack_pending} messages unacknowledged, ack floor at ${info.ack_floor.stream_seq} of ${records},`;
        });
        await jsm.consumers.delete(name, consumer);
        return { elapsedMs: run.elapsedMs, records };
      },
      async close() {
        await jsm.streams.delete(name).catch(() => {});
        await nc.close();
      },
    };
  },
};

/** The JetStream sink row. */
export const jetStreamSinkRow: Row = {
  name: "jetstream-sink",
  records: 30_720,
  multipleOf: SINK_BATCH,
  workload: "records from an array, published in batches of 1024, PubAck each",
  baseline: "per chunk of 1024: js.publish() each at once, await every PubAck",
  clients: ["@nats-io/transport-node", "@nats-io/jetstream"],
  async open(records: number): Promise<RowSession> {
    const nc = await connect({ servers: NATS_URL });
    const { jsm, name, subject } = await makeStream(nc);
    const input = makeRecords(records);
    const to = `${subject}.out`;
    return {
      server: `nats-server ${nc.info?.version ?? "?"}`,
      async run(impl: Impl): Promise<RowRun> {
        await jsm.streams.purge(name);
        let elapsedMs: number;
        if (impl === "connector") {
          elapsedMs = await pipeSink(
            input,
            jetStreamSink<BenchRecord>({ url: NATS_URL, subject: to }),
          );
        } else {
          const start = performance.now();
          const client = await connect({ servers: NATS_URL });
          const js = jetstream(client);
          for (const chunk of chunks(input, SINK_BATCH)) {
            await Promise.all(
              chunk.map((record) => js.publish(to, JSON.stringify(record))),
            );
          }
          await client.close();
          elapsedMs = performance.now() - start;
        }
        const info = await jsm.streams.info(name);
        if (info.state.messages !== records) {
          throw new Error(
            `Cannot trust jetstream-sink ${impl}: the stream holds ${info.state.messages} of ${records} messages`,
          );
        }
        return { elapsedMs, records };
      },
      async close() {
        await jsm.streams.delete(name).catch(() => {});
        await nc.close();
      },
    };
  },
};
