/**
 * Core NATS rows (at most once), on nats.js v3 (`@nats-io/transport-node`),
 * against NATS at `CA_TEST_NATS_URL` (default `nats://127.0.0.1:4222`). The
 * other end runs in a process of its own (`nats_peer.ts`).
 *
 * - `nats-source`: the peer publishes the records' JSON as fast as the
 *   reader grants them (16384 ahead of what it counted: core NATS keeps
 *   nothing, so a reader must not fall that far behind). The clock runs
 *   from the first marker message the subscription receives (subscribing
 *   is not timed) to the last record counted. The connector with its
 *   defaults (batches of up to 256, at most 65536 buffered) against a
 *   subscription whose callback parses and counts each message.
 * - `nats-sink`: records published to a subject the peer counts, the
 *   connector from an array in the pipeline's batches of 1024 (publish
 *   each, then a flush) against a loop doing the same per chunk of 1024.
 *   The peer must have counted every record after each run.
 *
 * @module
 */

import { connect, type NatsConnection } from "@nats-io/transport-node";
import { natsSink } from "../../connectors/nats/nats_sink.ts";
import { natsSource } from "../../connectors/nats/nats_source.ts";
import type { Message } from "../../src/messages/message.ts";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { batchSink } from "../../src/sinks/batch_sink.ts";
import { chunks, pipeSink, sleep, unique } from "./measure.ts";
import {
  type BenchRecord,
  makeRecords,
  MARKER_ID,
  Tally,
  verify,
} from "./records.ts";
import { startDenoPeer } from "./spawn_peer.ts";
import type { Impl, Row, RowRun, RowSession } from "./types.ts";

const NATS_URL = (globalThis as { Deno?: typeof Deno }).Deno?.env.get(
  "CA_TEST_NATS_URL",
) ?? (globalThis as { process?: { env: Record<string, string> } }).process
  ?.env.CA_TEST_NATS_URL ??
  "nats://127.0.0.1:4222";
/** How many records the reader lets the publisher send ahead of its count. */
const WINDOW = 16_384;
/** The pipeline's default batch size: what the sink gets per write. */
const SINK_BATCH = 1024;

/**
 * The reader's side of the flow control: takes each record, starts the
 * clock at the first marker, grants more records as it counts, and says
 * when all are there.
 */
class Reading {
  readonly tally = new Tally();
  #ctl: NatsConnection;
  #subject: string;
  #records: number;
  #allowed = 0;
  #start = 0;
  elapsedMs = 0;
  readonly done: Promise<void>;
  #resolve!: () => void;

  constructor(ctl: NatsConnection, subject: string, records: number) {
    this.#ctl = ctl;
    this.#subject = subject;
    this.#records = records;
    this.done = new Promise((resolve) => this.#resolve = resolve);
  }

  /** Takes one record (or marker). */
  take(record: BenchRecord): void {
    if (record.id === MARKER_ID) {
      if (this.#allowed === 0) {
        this.#start = performance.now();
        this.#grant();
      }
      return;
    }
    this.tally.add(record);
  }

  /** After a record or a batch: grants more, or ends the run. */
  settle(): void {
    const count = this.tally.count;
    if (count >= this.#records) {
      if (this.elapsedMs === 0) {
        this.elapsedMs = performance.now() - this.#start;
        this.#resolve();
      }
      return;
    }
    if (this.#allowed > 0 && count > this.#allowed - WINDOW / 2) this.#grant();
  }

  #grant(): void {
    this.#allowed = this.tally.count + WINDOW;
    this.#ctl.publish(`${this.#subject}.ctl`, `allow:${this.#allowed}`);
  }
}

/** The core NATS source row. */
export const natsSourceRow: Row = {
  name: "nats-source",
  records: 200_192,
  multipleOf: 256,
  workload:
    "subscription fed by a publisher process, 16384 records granted ahead",
  baseline: "subscribe with a callback that parses + counts each message",
  clients: ["@nats-io/transport-node"],
  async open(records: number): Promise<RowSession> {
    const subject = unique("ca-bench-core").replaceAll("-", "_");
    const peer = await startDenoPeer("nats_peer.ts", [
      "--url",
      NATS_URL,
      "--subject",
      subject,
      "--records",
      String(records),
    ]);
    const ctl = await connect({ servers: NATS_URL });
    return {
      server: `nats-server ${ctl.info?.version ?? "?"}`,
      async run(impl: Impl): Promise<RowRun> {
        const reading = new Reading(ctl, subject, records);
        ctl.publish(`${subject}.ctl`, "start");
        if (impl === "connector") {
          const sink = batchSink<Message<BenchRecord>>({
            write(messages) {
              for (let i = 0; i < messages.length; i++) {
                reading.take(messages[i]!.value);
              }
              reading.settle();
            },
          });
          const running = pipeline(
            natsSource<BenchRecord>({
              url: NATS_URL,
              subject: `${subject}.in`,
            }),
            sink,
          );
          await Promise.race([reading.done, running]);
          await running.stop();
        } else {
          const nc = await connect({ servers: NATS_URL });
          nc.subscribe(`${subject}.in`, {
            callback(error, msg) {
              if (error) return;
              reading.take(JSON.parse(msg.string()) as BenchRecord);
              reading.settle();
            },
          });
          await reading.done;
          await nc.close();
        }
        verify(reading.tally, records, `nats-source ${impl}`);
        return { elapsedMs: reading.elapsedMs, records };
      },
      async close() {
        await ctl.close();
        await peer.stop();
      },
    };
  },
};

/** The core NATS sink row. */
export const natsSinkRow: Row = {
  name: "nats-sink",
  records: 300_032,
  multipleOf: SINK_BATCH,
  workload: "records from an array, published in batches of 1024, then a flush",
  baseline: "per chunk of 1024: publish each, await flush()",
  clients: ["@nats-io/transport-node"],
  async open(records: number): Promise<RowSession> {
    const subject = unique("ca-bench-core").replaceAll("-", "_");
    const peer = await startDenoPeer("nats_peer.ts", [
      "--url",
      NATS_URL,
      "--subject",
      subject,
      "--records",
      "1",
    ]);
    const ctl = await connect({ servers: NATS_URL });
    const input = makeRecords(records);
    const to = `${subject}.out`;
    return {
      server: `nats-server ${ctl.info?.version ?? "?"}`,
      async run(impl: Impl): Promise<RowRun> {
        ctl.publish(`${subject}.ctl`, "reset");
        await ctl.flush();
        let elapsedMs: number;
        if (impl === "connector") {
          elapsedMs = await pipeSink(
            input,
            natsSink<BenchRecord>({ url: NATS_URL, subject: to }),
          );
        } else {
          const start = performance.now();
          const nc = await connect({ servers: NATS_URL });
          for (const chunk of chunks(input, SINK_BATCH)) {
            for (const record of chunk) nc.publish(to, JSON.stringify(record));
            await nc.flush();
          }
          await nc.close();
          elapsedMs = performance.now() - start;
        }
        // The peer may still be reading the last ones.
        let counted = { count: 0, sum: 0 };
        for (let attempt = 0; attempt < 20; attempt++) {
          const reply = await ctl.request(`${subject}.ctl`, "count");
          const [count, sum] = reply.string().split(",").map(Number);
          counted = { count: count!, sum: sum! };
          if (counted.count >= records) break;
          await sleep(50);
        }
        verify(counted, records, `nats-sink ${impl}`);
        return { elapsedMs, records };
      },
      async close() {
        await ctl.close();
        await peer.stop();
      },
    };
  },
};
