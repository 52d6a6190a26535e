// Crash jetStreamSource (see tests/crash/broker_scenario.ts): the messages
// are in a fresh JetStream stream, read through a durable pull consumer
// with explicit acks and an ack wait of ACK_WAIT_MS; the consumer keeps the
// position. What a killed run held unacknowledged comes again once its ack
// wait is over, and newer messages are delivered meanwhile: the run is
// checked in any order.
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import {
  BROKER_BATCH_SIZE,
  brokerScenario,
  publishAll,
} from "../broker_scenario.ts";

const URL = Deno.env.get("CA_TEST_NATS_URL") ?? "nats://127.0.0.1:4222";
/** Short, so that what a killed run held comes again soon. */
const ACK_WAIT_MS = 3000;

/** A connection to the server, or how to start it. */
async function open(): Promise<NatsConnection> {
  try {
    return await connect({ servers: URL });
  } catch (error) {
    throw new Error(
      `Cannot reach NATS at ${URL}: ${
        (error as Error).message
      }. Start it with JetStream (nats-server -js), or set CA_TEST_NATS_URL`,
    );
  }
}

export default brokerScenario({
  source: "jetstream",
  description:
    `JetStream stream → jetStreamSource (durable pull consumer, ack wait ${ACK_WAIT_MS} ms, ack after store) → file sink, no checkpoint store`,
  open() {
    const stream = `CA_CRASH_${crypto.randomUUID().slice(0, 8).toUpperCase()}`;
    const subject = `${stream.toLowerCase()}.records`;
    return {
      options: {
        url: URL,
        stream,
        consumer: "crash-child",
        ackWaitMs: ACK_WAIT_MS,
      },
      async prepare(records, payload) {
        const nc = await open();
        try {
          const jsm = await jetstreamManager(nc);
          await jsm.streams.add({ name: stream, subjects: [subject] });
          const js = jetstream(nc);
          await publishAll(
            records,
            1000,
            (id) => js.publish(subject, payload(id)),
          );
        } finally {
          await nc.close();
        }
      },
      async cleanup() {
        const nc = await open();
        try {
          const jsm = await jetstreamManager(nc);
          await jsm.streams.delete(stream).catch(() => {});
        } finally {
          await nc.close();
        }
      },
    };
  },
  // The messages the sink stored whose acks had not reached the server
  // when a kill landed come again once their ack wait is over, which may be
  // during a later start than the next one: the duplicates of one start can
  // be those of several kills (kills come every 0.6 s to 2 s, the ack wait
  // is 3 s), each a batch or two.
  replay: {
    atMost: 10 * BROKER_BATCH_SIZE,
    why:
      `the batches of ${BROKER_BATCH_SIZE} stored, their acks on their way, of the kills whose ack wait ends in one start`,
  },
  order: {
    unordered: true,
    why:
      `after a kill the server delivers newer messages at once, and what the killed run held only when its ack wait (${ACK_WAIT_MS} ms) is over`,
  },
});
