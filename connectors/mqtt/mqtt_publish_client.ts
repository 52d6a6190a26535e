// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * What {@linkcode mqttSink} uses of a ready client: `publishAsync` of an
 * mqtt.js 5 `MqttClient` (from `mqtt.connectAsync()`), resolving once a
 * QoS 1 publish got its PUBACK. The sink never closes a client it was
 * given.
 *
 * @example A stand-in client, as a unit test injects one
 * ```ts
 * import { pipeline } from "@ca/streams";
 * import { mqttSink } from "@ca/streams/mqtt";
 * import type { MqttPublishClient } from "@ca/streams/mqtt";
 *
 * const sent: string[] = [];
 * const client: MqttPublishClient = {
 *   async publishAsync(topic, payload, options) {
 *     sent.push(`${topic} ${payload} qos${options.qos}`);
 *   },
 * };
 * await pipeline([{ id: 1 }], mqttSink({ client, topic: "orders" }));
 * if (sent.join() !== 'orders {"id":1} qos1') throw new Error(`unexpected ${sent}`);
 * ```
 */
export interface MqttPublishClient {
  /** Publishes one message; resolves on its PUBACK (QoS 1). */
  publishAsync(
    topic: string,
    payload: string | Uint8Array,
    options: {
      qos: 1;
      retain: boolean;
      properties?: { userProperties?: Record<string, string> };
    },
  ): Promise<unknown>;
}
