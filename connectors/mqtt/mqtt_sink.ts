// Copyright 2026 the @ca/streams authors. MIT license.

import {
  type FieldSelector,
  messageEncoder,
} from "../../src/messages/message_encoder.ts";
import type { MessageFormat } from "../../src/messages/message_format.ts";
import {
  type BatchSink,
  batchSink,
  type BatchWriteContext,
} from "../../src/sinks/batch_sink.ts";
import {
  checkUrl,
  endClient,
  HealthTracker,
  openClient,
} from "./_mqtt_client.ts";
import type { MqttJsClient } from "./_mqtt_client.ts";
import type { MqttClientOptions } from "./mqtt_client_options.ts";
import { MqttError } from "./mqtt_error.ts";
import type { MqttPublishClient } from "./mqtt_publish_client.ts";

const CONNECTOR = "mqtt-sink";

/**
 * Options for {@linkcode mqttSink}: where to publish (a broker URL, or a
 * ready client), the topic, and how a record becomes a message.
 *
 * @typeParam T The record type.
 *
 * @example A topic per shop, the order as JSON, retained
 * ```ts
 * import type { MqttSinkOptions } from "@ca/streams/mqtt";
 *
 * interface Order { shop: string; id: number }
 * const options: MqttSinkOptions<Order> = {
 *   url: "mqtt://127.0.0.1:1883",
 *   topic: "orders/unknown",
 *   topicFrom: (order) => `orders/${order.shop}`,
 *   retain: true,
 * };
 * if (options.retain !== true) throw new Error("unexpected");
 * ```
 */
export interface MqttSinkOptions<T> {
  /** The broker: `mqtt://`, `mqtts://`, `ws://` or `wss://`. The sink owns this connection. */
  url?: string | URL;
  /** Or a ready, connected mqtt.js client: the sink publishes on it and never closes it. */
  client?: MqttPublishClient;
  /** The topic every message goes to (the default when `topicFrom` selects none). */
  topic?: string;
  /** The topic chosen by the record: a function, or in configs a JSON pointer (`"/topic"`). */
  topicFrom?: FieldSelector<T, unknown>;
  /** The payload (default: the whole record). */
  value?: FieldSelector<T, unknown>;
  /** MQTT 5 user properties: an object of strings. */
  headers?: FieldSelector<T, unknown>;
  /** How the value is written (default `"json"`). */
  format?: MessageFormat;
  /** With `format: "cloudevents"`: `"structured"` (default) or `"binary"` (`ce-` user properties). */
  cloudEventsMode?: "structured" | "binary";
  /** Publish with the retain flag (default false): the broker keeps the last message per topic. */
  retain?: boolean;
  /** The client id of the connection the sink opens (default: a random one). */
  clientId?: string;
  /** How long the first connection may take, in ms (default 10000). */
  connectTimeoutMs?: number;
  /** Credentials, TLS and other options for mqtt.js. */
  clientOptions?: MqttClientOptions;
}

/**
 * A sink that publishes each record as an MQTT message at QoS 1, with
 * at-least-once delivery: a batch is encoded whole first (a record that
 * cannot be encoded throws a `MessageError` before anything is sent, so the
 * pipeline's dead letter can take it), then published, and counts as
 * stored once the broker sent a PUBACK for every message of it. While the
 * connection is lost, mqtt.js keeps the messages and sends them again when
 * it reconnects; a broker may then see one twice.
 *
 * The topic is `topic`, or the one `topicFrom` selects from the record;
 * `headers` become MQTT 5 user properties. MQTT has no message key and no
 * deduplication.
 *
 * @typeParam T The record type.
 * @param options The broker (a URL or a client), the topic, and how to encode.
 * @returns A batch sink for `pipeline()`.
 *
 * @example Publish readings to a broker
 * ```ts ignore
 * import { pipeline } from "@ca/streams";
 * import { mqttSink } from "@ca/streams/mqtt";
 *
 * const readings = [{ sensor: "t1", celsius: 21.5 }, { sensor: "t2", celsius: 19 }];
 * await pipeline(readings, mqttSink({
 *   url: "mqtt://127.0.0.1:1883",
 *   topic: "sensors/unknown",
 *   topicFrom: (reading) => `sensors/${reading.sensor}`,
 * }));
 * ```
 */
export function mqttSink<T>(options: MqttSinkOptions<T>): BatchSink<T> {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `Cannot create ${CONNECTOR}: options must be an object`,
    );
  }
  const given = options.client;
  if (
    given !== undefined &&
    (given === null || typeof given.publishAsync !== "function")
  ) {
    throw new TypeError(
      `Cannot create ${CONNECTOR}: client must be a connected mqtt.js client (with publishAsync)`,
    );
  }
  if ((given === undefined) === (options.url === undefined)) {
    throw new TypeError(
      `Cannot create ${CONNECTOR}: give either url (an mqtt:// URL) or client (a connected mqtt.js client)`,
    );
  }
  const url = given === undefined ? checkUrl(options.url, CONNECTOR) : "";
  const { topic } = options;
  if (topic !== undefined && (typeof topic !== "string" || topic === "")) {
    throw new TypeError(
      `Cannot create ${CONNECTOR}: topic must be a non-empty string`,
    );
  }
  if (topic !== undefined && /[+#]/.test(topic)) {
    throw new TypeError(
      `Cannot create ${CONNECTOR}: topic must not hold the wildcards + or #, got ${
        JSON.stringify(topic)
      }`,
    );
  }
  if (topic === undefined && options.topicFrom === undefined) {
    throw new TypeError(
      `Cannot create ${CONNECTOR}: give topic (a fixed topic) or topicFrom (the record's topic)`,
    );
  }
  const retain = options.retain ?? false;
  if (typeof retain !== "boolean") {
    throw new TypeError(`Cannot create ${CONNECTOR}: retain must be a boolean`);
  }
  const encode = messageEncoder<T>({
    value: options.value,
    headers: options.headers,
    topic: options.topicFrom,
    format: options.format,
    cloudEventsMode: options.cloudEventsMode,
  }, CONNECTOR);
  const clientOptions = options.clientOptions ?? {};
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  if (!Number.isInteger(connectTimeoutMs) || connectTimeoutMs < 1) {
    throw new RangeError(
      `Cannot create ${CONNECTOR}: connectTimeoutMs must be a positive integer, got ${connectTimeoutMs}`,
    );
  }

  const health = new HealthTracker();
  let owned: Promise<MqttJsClient> | undefined;
  function connection(signal: AbortSignal): Promise<MqttPublishClient> {
    if (given) return Promise.resolve(given);
    owned ??= openClient(
      url,
      {
        protocolVersion: 5,
        ...clientOptions,
        clientId: options.clientId ??
          `ca-sink-${crypto.randomUUID().slice(0, 8)}`,
        clean: true,
      },
      CONNECTOR,
      connectTimeoutMs,
      signal,
      (client) => health.watch(client),
    ).catch((error) => {
      owned = undefined;
      throw error;
    });
    return owned as Promise<MqttPublishClient>;
  }
  async function release(force: boolean): Promise<void> {
    const pending = owned;
    owned = undefined;
    const client = await pending?.catch(() => undefined);
    if (client) await endClient(client, force);
  }

  return batchSink<T>({
    async write(records: T[], context: BatchWriteContext) {
      // Encode all first: a bad record fails the batch before any is sent.
      const messages = records.map(encode);
      const { signal } = context;
      const client = await connection(signal);
      const sent = Promise.all(messages.map((message) => {
        const to = message.topic ?? topic!;
        const publish: Parameters<MqttPublishClient["publishAsync"]>[2] = {
          qos: 1,
          retain,
        };
        if (message.headers !== undefined) {
          publish.properties = { userProperties: message.headers };
        }
        return client.publishAsync(to, message.payload, publish);
      }));
      try {
        await abortable(sent, signal);
      } catch (error) {
        if (signal.aborted && error === signal.reason) {
          // The pipeline is aborting: a stream whose write failed may never
          // call abort(), so let go of the connection here.
          await release(true);
          throw error;
        }
        throw new MqttError(CONNECTOR, "publish", error);
      }
    },
    close: () => release(false),
    abort: () => release(true),
    // A ready client is the caller's: only a connection of the sink's own
    // reports its health.
    ...(given ? {} : { health: () => health.health }),
  });
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() =>
      signal.removeEventListener("abort", onAbort)
    );
  });
}
