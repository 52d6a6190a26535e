// Crash mqttSource (see tests/crash/broker_scenario.ts): the messages are
// published at QoS 1 to a topic that a persistent session (a fixed client
// id, clean: false) subscribed to first, so the broker queues them for it;
// the session keeps the position. A restarted run gets the killed run's
// unacknowledged messages again first, then the queued ones.
//
// Mosquitto keeps at most max_queued_messages (1000 by default) for a
// session whose client is offline and drops the rest, so the scenario runs
// a mosquitto of its own on a spare port with `max_queued_messages 0`,
// stopped in cleanup. The broker is never restarted: it needs no
// persistence.
import mqtt from "mqtt";
import { createServer } from "node:net";
import { userInfo } from "node:os";
import {
  BROKER_BATCH_SIZE,
  brokerScenario,
  publishAll,
  uniqueName,
} from "../broker_scenario.ts";

/** A free TCP port on 127.0.0.1. */
async function sparePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Connects an MQTT 5 client that does not reconnect. */
function client(
  url: string,
  options: mqtt.IClientOptions = {},
): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(url, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...options,
  });
}

/** A mosquitto of the scenario's own, with no limit on what a session queues. */
class PrivateMosquitto {
  readonly url: string;
  #port: number;
  #dir: string;
  #process: Deno.ChildProcess | undefined;

  constructor(port: number, dir: string) {
    this.#port = port;
    this.#dir = dir;
    this.url = `mqtt://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    await Deno.mkdir(this.#dir, { recursive: true });
    const config = `${this.#dir}/mosquitto.conf`;
    await Deno.writeTextFile(
      config,
      [
        `listener ${this.#port} 127.0.0.1`,
        // Run as root, mosquitto would switch to the user "mosquitto".
        `user ${userInfo().username}`,
        "allow_anonymous true",
        "persistence false",
        "max_queued_messages 0",
        "log_dest none",
        "",
      ].join("\n"),
    );
    try {
      this.#process = new Deno.Command("mosquitto", {
        args: ["-c", config],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
    } catch (error) {
      throw new Error(
        `Cannot start mosquitto (is it installed? apt-get install mosquitto): ${
          (error as Error).message
        }`,
      );
    }
    for (let attempt = 0;; attempt++) {
      try {
        await (await client(this.url, { connectTimeout: 1000 })).endAsync();
        return;
      } catch (error) {
        if (attempt >= 50) {
          await this.stop();
          throw new Error(
            `Cannot start mosquitto on port ${this.#port}: ${error}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  async stop(): Promise<void> {
    const running = this.#process;
    this.#process = undefined;
    if (running === undefined) return;
    try {
      running.kill("SIGTERM");
    } catch {
      // It exited already.
    }
    await running.status;
  }
}

export default brokerScenario({
  source: "mqtt",
  description:
    "MQTT QoS 1 messages queued for a persistent session (a private mosquitto, max_queued_messages 0) → mqttSource (PUBACK after store) → file sink, no checkpoint store",
  async open(context) {
    const broker = new PrivateMosquitto(
      await sparePort(),
      `${context.dir}/mosquitto`,
    );
    const topic = `${uniqueName("topic")}/records`;
    const clientId = uniqueName("client");
    return {
      options: { url: broker.url, topic, clientId },
      note: `mosquitto on ${broker.url}, max_queued_messages 0`,
      async prepare(records, payload) {
        await broker.start();
        // The session must exist before the messages come, for the broker
        // to queue them for it: subscribe once, as the source will.
        const session = await client(broker.url, {
          clientId,
          clean: false,
          properties: {
            sessionExpiryInterval: 0xFFFFFFFF,
            receiveMaximum: 1000,
          },
        });
        await session.subscribeAsync(topic, { qos: 1 });
        await session.endAsync();
        const publisher = await client(broker.url);
        try {
          await publishAll(
            records,
            1000,
            (id) => publisher.publishAsync(topic, payload(id), { qos: 1 }),
          );
        } finally {
          await publisher.endAsync();
        }
      },
      cleanup: () => broker.stop(),
    };
  },
  // After a restart the broker first sends again every message it sent the
  // killed run and did not get a PUBACK for: Mosquitto 2.0.11 sends far
  // beyond the source's receiveMaximum (each PUBACK lets a new window go),
  // so up to all of the messages left; with 100,000 the first record
  // reaches the sink about 1 s after a restart.
  killAfterMs: (records) => records <= 20_000 ? [700, 1500] : [1500, 3000],
  // The messages the sink stored whose PUBACKs had not left when the kill
  // landed.
  replay: {
    atMost: 4 * BROKER_BATCH_SIZE,
    why:
      `the batches of ${BROKER_BATCH_SIZE} stored, their PUBACKs on their way`,
  },
});
