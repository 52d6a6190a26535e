// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * MQTT on the official `mqtt` client (mqtt.js 5, an optional peer
 * dependency, loaded on first use): {@linkcode mqttSource} reads a QoS 1
 * subscription in a persistent session and sends each PUBACK only once
 * the pipeline stored the message; {@linkcode mqttSink} publishes at QoS 1
 * and counts a record stored on its PUBACK. Both are at-least-once.
 *
 * ```ts ignore
 * import { pipeline } from "@ca/streams";
 * import { mqttSink, mqttSource } from "@ca/streams/mqtt";
 *
 * const running = pipeline(
 *   mqttSource({ url: "mqtt://127.0.0.1:1883", topic: "in/#", clientId: "bridge" }),
 *   mqttSink({ url: "mqtt://127.0.0.1:1883", topic: "out", value: "/value" }),
 * );
 * setTimeout(() => running.stop(), 5_000);
 * await running;
 * ```
 *
 * @module
 */

export * from "./mqtt_source.ts";
export * from "./mqtt_sink.ts";
export * from "./mqtt_client_options.ts";
export * from "./mqtt_publish_client.ts";
export * from "./mqtt_error.ts";
