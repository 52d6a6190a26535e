/**
 * MQTT rows, on mqtt.js (`mqtt`), MQTT 5, against a private mosquitto
 * (`mosquitto.ts`).
 *
 * - `mqtt-source`: per run, a persistent session is created (subscribed at
 *   QoS 1), the records' JSON published into it at QoS 1 while it is
 *   offline (untimed), then read: the connector with its defaults
 *   (receive maximum 1000, batches of up to 100 with a 5 ms linger, each
 *   PUBACK held until its batch is stored) against a client with the same
 *   session and receive maximum whose `handleMessage` parses and counts
 *   each message and holds its PUBACK until 100 are counted (or the last
 *   record), then sends them. The clock runs from connecting to the last
 *   record counted. After each run, the session must give nothing again
 *   (every message was acknowledged); then it is ended.
 * - `mqtt-sink`: records published at QoS 1, the connector from an array
 *   in the pipeline's batches of 1024 (every message published at once,
 *   the batch done on the last PUBACK) against a loop doing the same per
 *   chunk of 1024 with `publishAsync()`.
 *
 * @module
 */

import mqtt from "mqtt";
import { mqttSink } from "../../connectors/mqtt/mqtt_sink.ts";
import { mqttSource } from "../../connectors/mqtt/mqtt_source.ts";
import { chunks, pipeSink, pipeSource, sleep, unique } from "./measure.ts";
import {
  type BenchRecord,
  makePayloads,
  makeRecords,
  Tally,
  verify,
} from "./records.ts";
import { startMosquitto } from "./mosquitto.ts";
import type { Impl, Row, RowRun, RowSession } from "./types.ts";

/** The source's default batch size. */
const SOURCE_BATCH = 100;
/** The source's default receive maximum. */
const RECEIVE_MAXIMUM = 1000;
/** What the connector asks for: a session that never expires. */
const NEVER_EXPIRES = 0xFFFFFFFF;
/** The pipeline's default batch size: what the sink gets per write. */
const SINK_BATCH = 1024;

interface Packet {
  payload: Uint8Array;
  qos: number;
  messageId?: number;
}

type SendPacket = (
  packet: Record<string, unknown>,
  callback?: () => void,
  ...rest: unknown[]
) => void;

function connectAsync(url: string, options: mqtt.IClientOptions) {
  return mqtt.connectAsync(url, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...options,
  });
}

/** Publishes every payload at QoS 1, many at once. */
async function publishAll(
  url: string,
  topic: string,
  payloads: readonly string[],
) {
  const client = await connectAsync(url, {});
  for (const chunk of chunks(payloads, 1000)) {
    await Promise.all(
      chunk.map((payload) => client.publishAsync(topic, payload, { qos: 1 })),
    );
  }
  await client.endAsync();
}

/** The hand-written reader; the clock stops at the last record counted. */
async function readLoop(
  url: string,
  topic: string,
  clientId: string,
  records: number,
): Promise<{ elapsedMs: number; tally: Tally }> {
  const tally = new Tally();
  let elapsedMs = 0;
  let reached!: () => void;
  const full = new Promise<void>((resolve) => reached = resolve);
  const start = performance.now();
  const client = mqtt.connect(url, {
    protocolVersion: 5,
    clientId,
    clean: false,
    reconnectPeriod: 1000,
    properties: {
      sessionExpiryInterval: NEVER_EXPIRES,
      receiveMaximum: RECEIVE_MAXIMUM,
    },
  });
  client.on("error", () => {});
  // mqtt.js sends a PUBACK once handleMessage calls back and reads no
  // further packet until then: call back at once, and send the PUBACKs
  // of a batch once it is counted.
  const internal = client as unknown as { _sendPacket: SendPacket };
  const send = internal._sendPacket;
  internal._sendPacket = function (packet, callback, ...rest) {
    if (packet.cmd === "puback") return callback?.();
    return send.call(client, packet, callback, ...rest);
  };
  let held: Packet[] = [];
  const decoder = new TextDecoder();
  client.handleMessage = (packet, callback) => {
    const message = packet as unknown as Packet;
    tally.add(JSON.parse(decoder.decode(message.payload)) as BenchRecord);
    held.push(message);
    if (held.length >= SOURCE_BATCH || tally.count >= records) {
      if (tally.count >= records && elapsedMs === 0) {
        elapsedMs = performance.now() - start;
        reached();
      }
      for (const { messageId } of held) {
        send.call(
          client,
          { cmd: "puback", messageId, reasonCode: 0 },
          undefined,
          undefined,
          true,
        );
      }
      held = [];
    }
    callback();
  };
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("error", reject);
  });
  await client.subscribeAsync(topic, { qos: 1 });
  await full;
  await client.endAsync();
  return { elapsedMs, tally };
}

/** Messages the session still gives within `ms` (after a run: none), then ends it. */
async function leftOver(
  url: string,
  clientId: string,
  ms: number,
): Promise<number> {
  let count = 0;
  const client = mqtt.connect(url, {
    protocolVersion: 5,
    clientId,
    clean: false,
    reconnectPeriod: 0,
    properties: { sessionExpiryInterval: 60 },
  });
  client.on("error", () => {});
  client.on("message", () => count++);
  await new Promise<void>((resolve) => client.once("connect", () => resolve()));
  await sleep(ms);
  await client.endAsync(true);
  const ender = await connectAsync(url, {
    clientId,
    clean: true,
    properties: { sessionExpiryInterval: 0 },
  });
  await ender.endAsync();
  return count;
}

/** The MQTT source row. */
export const mqttSourceRow: Row = {
  name: "mqtt-source",
  records: 30_000,
  multipleOf: SOURCE_BATCH,
  workload: "QoS 1 messages queued in a persistent session, PUBACK after store",
  baseline:
    "handleMessage parses + counts each, PUBACKs held until 100 are counted",
  clients: ["mqtt"],
  async open(records: number): Promise<RowSession> {
    const broker = await startMosquitto();
    const payloads = makePayloads(records);
    return {
      server: broker.server,
      async run(impl: Impl): Promise<RowRun> {
        const clientId = unique("ca-bench");
        const topic = `ca-bench/${clientId}`;
        const session = await connectAsync(broker.url, {
          clientId,
          clean: false,
          properties: { sessionExpiryInterval: 3600 },
        });
        await session.subscribeAsync(topic, { qos: 1 });
        await session.endAsync();
        await publishAll(broker.url, topic, payloads);
        const mark = broker.mark();
        let run: { elapsedMs: number; tally: Tally };
        if (impl === "connector") {
          run = await pipeSource(
            mqttSource({ url: broker.url, topic, clientId }) as never,
            records,
          );
        } else {
          run = await readLoop(broker.url, topic, clientId, records);
        }
        verify(run.tally, records, `mqtt-source ${impl}`);
        // The stopped source lets go of its connection in the background.
        await broker.disconnected(clientId, mark);
        const left = await leftOver(broker.url, clientId, 200);
        if (left !== 0) {
          throw new Error(
            `Cannot trust mqtt-source ${impl}: the session gave ${left} messages again (not acknowledged)`,
          );
        }
        return { elapsedMs: run.elapsedMs, records };
      },
      close: () => broker.stop(),
    };
  },
};

/** The MQTT sink row. */
export const mqttSinkRow: Row = {
  name: "mqtt-sink",
  records: 30_720,
  multipleOf: SINK_BATCH,
  workload: "records from an array, published at QoS 1 in batches of 1024",
  baseline:
    "per chunk of 1024: publishAsync() each at QoS 1, await every PUBACK",
  clients: ["mqtt"],
  async open(records: number): Promise<RowSession> {
    const broker = await startMosquitto();
    const input = makeRecords(records);
    const topic = `ca-bench/${unique("sink")}`;
    return {
      server: broker.server,
      async run(impl: Impl): Promise<RowRun> {
        let elapsedMs: number;
        if (impl === "connector") {
          elapsedMs = await pipeSink(
            input,
            mqttSink<BenchRecord>({ url: broker.url, topic }),
          );
        } else {
          const start = performance.now();
          const client = await connectAsync(broker.url, {
            clientId: unique("ca-sink"),
            clean: true,
            reconnectPeriod: 1000,
          });
          for (const chunk of chunks(input, SINK_BATCH)) {
            await Promise.all(
              chunk.map((record) =>
                client.publishAsync(topic, JSON.stringify(record), {
                  qos: 1,
                  retain: false,
                })
              ),
            );
          }
          await client.endAsync();
          elapsedMs = performance.now() - start;
        }
        return { elapsedMs, records };
      },
      close: () => broker.stop(),
    };
  },
};
