// Crash amqpSource (see tests/crash/broker_scenario.ts): the messages are
// in a fresh durable RabbitMQ queue, consumed with manual acknowledgements;
// the queue keeps the position. What a killed run read and did not
// acknowledge the broker requeues when its connection drops, in its place
// at the head of the queue, so a restarted run gets it first, in order.
import { Buffer } from "node:buffer";
import { connect } from "amqplib";
import type { ChannelModel } from "amqplib";
import {
  BROKER_BATCH_SIZE,
  brokerScenario,
  publishAll,
  uniqueName,
} from "../broker_scenario.ts";

const URL = Deno.env.get("CA_TEST_AMQP_URL") ??
  "amqp://guest:guest@127.0.0.1:5672";

/** A connection to the broker, or how to start it. */
async function open(): Promise<ChannelModel> {
  try {
    return await connect(URL);
  } catch (error) {
    throw new Error(
      `Cannot reach RabbitMQ at ${new globalThis.URL(URL).host}: ${
        (error as Error).message
      }. Start RabbitMQ on 127.0.0.1:5672 (guest/guest), or set CA_TEST_AMQP_URL`,
    );
  }
}

export default brokerScenario({
  source: "amqp",
  description:
    "RabbitMQ queue → amqpSource (manual acks after store) → file sink, no checkpoint store",
  open() {
    const queue = uniqueName("queue");
    return {
      options: { url: URL, queue },
      async prepare(records, payload) {
        const model = await open();
        try {
          const channel = await model.createConfirmChannel();
          await channel.assertQueue(queue, { durable: true });
          // Confirmed by the broker: every message is in the queue before
          // the first start.
          await publishAll(
            records,
            1000,
            (id) =>
              new Promise<void>((resolve, reject) =>
                channel.sendToQueue(
                  queue,
                  Buffer.from(payload(id)),
                  { contentType: "application/json" },
                  (error: unknown) => error ? reject(error) : resolve(),
                )
              ),
          );
          await channel.close();
        } finally {
          await model.close();
        }
      },
      async cleanup() {
        const model = await open();
        try {
          const channel = await model.createChannel();
          await channel.deleteQueue(queue);
          await channel.close();
        } finally {
          await model.close();
        }
      },
    };
  },
  // The messages the sink stored whose basic.ack had not reached the
  // broker when the kill landed.
  replay: {
    atMost: 4 * BROKER_BATCH_SIZE,
    why: `the batches of ${BROKER_BATCH_SIZE} stored, their ack on its way`,
  },
});
