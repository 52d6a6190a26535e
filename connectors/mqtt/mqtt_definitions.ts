// Copyright 2026 the @ca/streams authors. MIT license.

import * as z from "zod/mini";
import { defineProcessor } from "../../src/config/define_processor.ts";
import type { Definition } from "../../src/config/definition_kinds.ts";
import {
  fieldSelectorArg,
  messageFormatArg,
} from "../../src/config/message_args.ts";
import { urlArg } from "../../src/config/url_arg.ts";
import type { MqttClientOptions } from "./mqtt_client_options.ts";
import { mqttSink } from "./mqtt_sink.ts";
import { mqttSource } from "./mqtt_source.ts";

const SCHEMES = ["mqtt", "mqtts", "ws", "wss"];
const topicName = z.string().check(z.minLength(1));
const positive = z.int().check(z.positive());

/** Connection args both definitions take. */
const connectionArgs = {
  url: urlArg(SCHEMES),
  clientId: z.optional(topicName),
  username: z.optional(z.string()),
  password: z.optional(z.string()),
  protocolVersion: z.optional(z.union([z.literal(4), z.literal(5)])),
  rejectUnauthorized: z.optional(z.boolean()),
  connectTimeoutMs: z.optional(positive),
};

function clientOptionsOf(args: {
  username?: string | undefined;
  password?: string | undefined;
  protocolVersion?: 4 | 5 | undefined;
  rejectUnauthorized?: boolean | undefined;
}): MqttClientOptions {
  const options: MqttClientOptions = {};
  if (args.username !== undefined) options.username = args.username;
  if (args.password !== undefined) options.password = args.password;
  if (args.protocolVersion !== undefined) {
    options.protocolVersion = args.protocolVersion;
  }
  if (args.rejectUnauthorized !== undefined) {
    options.rejectUnauthorized = args.rejectUnauthorized;
  }
  return options;
}

const source = defineProcessor({
  name: "mqtt-source",
  kind: "source",
  delivery: "at-least-once",
  description:
    "Reads MQTT messages at QoS 1 in a persistent session (fixed clientId), sending each PUBACK once the record is stored (needs the npm package mqtt).",
  args: z.strictObject({
    ...connectionArgs,
    clientId: topicName,
    topic: z.union([topicName, z.array(topicName).check(z.minLength(1))]),
    format: messageFormatArg(),
    batchSize: z.optional(positive),
    lingerMs: z.optional(z.int().check(z.nonnegative())),
    receiveMaximum: z.optional(positive.check(z.maximum(65535))),
    sessionExpirySeconds: z.optional(
      positive.check(z.maximum(0xFFFFFFFF)),
    ),
  }),
  // The source owns the connection it opens; the `mqtt` package loads on
  // the first read, not here.
  create: (args) =>
    mqttSource({
      url: args.url,
      topic: args.topic,
      clientId: args.clientId,
      format: args.format,
      batchSize: args.batchSize,
      lingerMs: args.lingerMs,
      receiveMaximum: args.receiveMaximum,
      sessionExpirySeconds: args.sessionExpirySeconds,
      connectTimeoutMs: args.connectTimeoutMs,
      clientOptions: clientOptionsOf(args),
    }),
});

const sink = defineProcessor({
  name: "mqtt-sink",
  kind: "sink",
  delivery: "at-least-once",
  description:
    "Publishes each record as an MQTT message at QoS 1, stored once the broker's PUBACK came (needs the npm package mqtt).",
  args: z.strictObject({
    ...connectionArgs,
    topic: z.optional(topicName),
    topicFrom: z.optional(fieldSelectorArg()),
    value: z.optional(fieldSelectorArg()),
    headers: z.optional(fieldSelectorArg()),
    format: messageFormatArg(),
    cloudEventsMode: z.optional(z.enum(["structured", "binary"])),
    retain: z.optional(z.boolean()),
  }).check(
    z.refine(
      (args) => args.topic !== undefined || args.topicFrom !== undefined,
      {
        message: "expected topic (a fixed topic) or topicFrom (a JSON pointer)",
      },
    ),
  ),
  create: (args) =>
    mqttSink<unknown>({
      url: args.url,
      topic: args.topic,
      topicFrom: args.topicFrom,
      value: args.value,
      headers: args.headers,
      format: args.format,
      cloudEventsMode: args.cloudEventsMode,
      retain: args.retain,
      clientId: args.clientId,
      connectTimeoutMs: args.connectTimeoutMs,
      clientOptions: clientOptionsOf(args),
    }),
});

/**
 * The MQTT connector's definitions for pipeline configs: the
 * `mqtt-source` and the `mqtt-sink`. Importing this file loads no client:
 * the `mqtt` package loads when a source first reads or a sink first
 * writes, and a missing package is an error that names it.
 *
 * @returns A new array of the definitions.
 *
 * @example List them
 * ```ts
 * import { mqttDefinitions } from "./mqtt_definitions.ts";
 *
 * const names = mqttDefinitions().map((d) => `${d.kind}:${d.name}`);
 * if (names.join() !== "source:mqtt-source,sink:mqtt-sink") {
 *   throw new Error(`unexpected ${names}`);
 * }
 * ```
 */
export function mqttDefinitions(): Definition[] {
  return [source as Definition, sink as Definition];
}
