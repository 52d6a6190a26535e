/**
 * The rows of the connector benchmark, in the order they run and print, and
 * where each is loaded from (a child imports only its row's system).
 *
 * @module
 */

import type { Row } from "./types.ts";

/** Every row's name, in order. */
export const ROW_NAMES = [
  "redis-stream-source",
  "redis-stream-sink",
  "jetstream-source",
  "jetstream-sink",
  "nats-source",
  "nats-sink",
  "mqtt-source",
  "mqtt-sink",
  "amqp-source",
  "amqp-sink",
  "webhook-source",
  "http-poll-source",
  "http-sink",
  "postgres-sink",
  "postgres-sink-exactly-once",
  "postgres-change-source",
] as const;

/** A row's name. */
export type RowName = typeof ROW_NAMES[number];

/** Loads one row with only the modules of its system. */
export async function loadRow(name: RowName): Promise<Row> {
  switch (name) {
    case "redis-stream-source":
      return (await import("./redis.ts")).redisStreamSourceRow;
    case "redis-stream-sink":
      return (await import("./redis.ts")).redisStreamSinkRow;
    case "jetstream-source":
      return (await import("./jetstream.ts")).jetStreamSourceRow;
    case "jetstream-sink":
      return (await import("./jetstream.ts")).jetStreamSinkRow;
    case "nats-source":
      return (await import("./nats_core.ts")).natsSourceRow;
    case "nats-sink":
      return (await import("./nats_core.ts")).natsSinkRow;
    case "mqtt-source":
      return (await import("./mqtt.ts")).mqttSourceRow;
    case "mqtt-sink":
      return (await import("./mqtt.ts")).mqttSinkRow;
    case "amqp-source":
      return (await import("./amqp.ts")).amqpSourceRow;
    case "amqp-sink":
      return (await import("./amqp.ts")).amqpSinkRow;
    case "webhook-source":
      return (await import("./http.ts")).webhookSourceRow;
    case "http-poll-source":
      return (await import("./http.ts")).httpPollSourceRow;
    case "http-sink":
      return (await import("./http.ts")).httpSinkRow;
    case "postgres-sink":
      return (await import("./postgres.ts")).postgresSinkRow;
    case "postgres-sink-exactly-once":
      return (await import("./postgres.ts")).postgresSinkExactlyOnceRow;
    case "postgres-change-source":
      return (await import("./postgres.ts")).postgresChangeSourceRow;
  }
}
