// Copyright 2026 the @ca/streams authors. MIT license.
// The conformance kit on mqttSource (the session keeps the position:
// acknowledges "server") and mqttSink, against Mosquitto.
import { test } from "node:test";
import type mqtt from "mqtt";
import type { Message } from "../../src/messages/message.ts";
import { sinkConformance } from "../../src/testing/sink_conformance.ts";
import { sourceConformance } from "../../src/testing/source_conformance.ts";
import { mqttSink, mqttSource } from "./mod.ts";
import {
  createSession,
  dropSession,
  publish,
  rawClient,
  tcpProxy,
  unique,
} from "./_mqtt_testing.ts";

interface Row {
  id: number;
  text: string;
  /** Only the bad record has one: JSON cannot hold a bigint. */
  big?: bigint;
}

const row = (id: number): Row => ({ id, text: `record ${id} ✓ "q" \\` });

sourceConformance<Message>({
  name: "mqttSource",
  record: (index) => ({ value: row(index) }),
  key: (message) => String((message.value as Row).id),
  same: (read, written) =>
    JSON.stringify(read.value) === JSON.stringify(written.value),
  acknowledges: "server",
  async open() {
    const clientId = unique("ca-conf");
    const topic = unique("ca/conformance");
    // The session exists before anything is published, as after a first run.
    await createSession(clientId, topic);
    // The source connects through a proxy that counts its connections.
    const proxy = await tcpProxy();
    return {
      source: () =>
        mqttSource({ url: proxy.url, topic, clientId, batchSize: 10 }),
      write: (messages) =>
        publish(topic, messages.map((m) => JSON.stringify(m.value))),
      leaks: () =>
        proxy.open === 0 ? [] : [`${proxy.open} connection(s) to the broker`],
      async close() {
        await proxy.close();
        await dropSession(clientId);
      },
    };
  },
}, { test });

sinkConformance<Row>({
  name: "mqttSink",
  record: row,
  badRecord: (id) => ({ id, text: "cannot be JSON", big: 1n }),
  key: (record) => String(record.id),
  async open() {
    const topic = unique("ca/conformance");
    const marks = `${topic}-marks`;
    const reader: mqtt.MqttClient = await rawClient();
    const received: Row[] = [];
    const seen = new Set<string>();
    let marked: (() => void) | undefined;
    reader.on("message", (from, payload) => {
      const text = new TextDecoder().decode(payload);
      if (from === marks) {
        if (text === [...seen].at(-1)) marked?.();
        return;
      }
      received.push(JSON.parse(text) as Row);
    });
    await reader.subscribeAsync([topic, marks], { qos: 0 });
    const proxy = await tcpProxy();
    return {
      sink: () => mqttSink<Row>({ url: proxy.url, topic }),
      leaks: () =>
        proxy.open === 0 ? [] : [`${proxy.open} connection(s) to the broker`],
      async read() {
        // A mark published now arrives after every message the broker
        // acknowledged before: then `received` holds them all.
        const mark = crypto.randomUUID();
        seen.add(mark);
        const arrived = new Promise<void>((resolve) => marked = resolve);
        await reader.publishAsync(marks, mark, { qos: 0 });
        await arrived;
        return received;
      },
      async close() {
        await proxy.close();
        await reader.endAsync();
      },
    };
  },
}, { test });
