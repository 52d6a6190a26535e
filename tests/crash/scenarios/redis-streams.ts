// Crash redisStreamSource (see tests/crash/broker_scenario.ts): the
// messages are entries of a fresh stream, read through a consumer group
// with one stable consumer name; the group keeps the position. A restarted
// run first reads its own pending entries (read by the killed run, not
// acknowledged), in order, then new ones.
import { createClient } from "redis";
import {
  BROKER_BATCH_SIZE,
  brokerScenario,
  publishAll,
  uniqueName,
} from "../broker_scenario.ts";

const URL = Deno.env.get("CA_TEST_REDIS_URL") ?? "redis://127.0.0.1:6379";

/** A connected client, or how to start the server. */
function connect() {
  return createClient({ url: URL }).connect().catch((error: Error) => {
    throw new Error(
      `Cannot reach Redis at ${URL}: ${error.message}. Start it: redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save '' --appendonly no, or set CA_TEST_REDIS_URL`,
    );
  });
}

export default brokerScenario({
  source: "redis-streams",
  description:
    "Redis stream → redisStreamSource (consumer group, XACK after store) → file sink, no checkpoint store",
  open() {
    const stream = uniqueName("stream");
    return {
      options: { url: URL, stream, group: "crash", consumer: "crash-child" },
      async prepare(records, payload) {
        const client = await connect();
        try {
          await client.del(stream);
          // Pipelined: node-redis sends the commands of one tick together.
          await publishAll(
            records,
            1000,
            (id) =>
              client.sendCommand(["XADD", stream, "*", "value", payload(id)]),
          );
        } finally {
          await client.quit();
        }
      },
      async cleanup() {
        const client = await connect();
        await client.del(stream);
        await client.quit();
      },
    };
  },
  // The entries the sink stored whose XACK had not reached Redis when the
  // kill landed: the batches stored after the last acknowledged one.
  replay: {
    atMost: 4 * BROKER_BATCH_SIZE,
    why: `the batches of ${BROKER_BATCH_SIZE} stored, their XACK on its way`,
  },
});
