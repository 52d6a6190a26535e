// Copyright 2026 the @ca/streams authors. MIT license.

import type { Position } from "../../src/checkpoint/position.ts";
import { decodeMessage } from "../../src/messages/decode_message.ts";
import type { Message } from "../../src/messages/message.ts";
import type { MessageError } from "../../src/messages/message_error.ts";
import { MESSAGE_FORMATS } from "../../src/messages/message_format.ts";
import type { MessageFormat } from "../../src/messages/message_format.ts";
import {
  type ResumableSource,
  resumableSource,
} from "../../src/sources/resumable_source.ts";
import {
  checkUrl,
  endClient,
  HealthTracker,
  type MqttJsClient,
  openClient,
  type PublishPacket,
} from "./_mqtt_client.ts";
import type { MqttClientOptions } from "./mqtt_client_options.ts";
import { MqttError } from "./mqtt_error.ts";

const CONNECTOR = "mqtt-source";
/** Session expiry that MQTT 5 reads as "never" (like 3.1.1's clean: false). */
const NEVER_EXPIRES = 0xFFFFFFFF;
/**
 * How long a stopped source keeps its connection for the PUBACKs of
 * records still on their way to the sink: until they are all acknowledged,
 * or no acknowledgement came for DRAIN_IDLE_MS (the pipeline may have
 * dropped a batch read as it stopped), or DRAIN_MS passed.
 */
const DRAIN_MS = 5000;
const DRAIN_IDLE_MS = 500;

/**
 * Options for {@linkcode mqttSource}.
 *
 * @example Orders from every shop, as text
 * ```ts
 * import type { MqttSourceOptions } from "@ca/streams/mqtt";
 *
 * const options: MqttSourceOptions = {
 *   url: "mqtt://127.0.0.1:1883",
 *   topic: "shops/+/orders",
 *   clientId: "orders-ingest",
 *   format: "text",
 * };
 * if (options.clientId !== "orders-ingest") throw new Error("unexpected");
 * ```
 */
export interface MqttSourceOptions {
  /** The broker: `mqtt://`, `mqtts://`, `ws://` or `wss://` (credentials may be in it). */
  url: string | URL;
  /** The topic filter, or several, subscribed at QoS 1 (`+` and `#` wildcards work). */
  topic: string | string[];
  /**
   * The client id: it names the persistent session on the broker, so it
   * must stay the same from run to run, and only one running source may
   * use it (the broker disconnects the older connection).
   */
  clientId: string;
  /** How each payload becomes `value` (default `"json"`). */
  format?: MessageFormat;
  /** Most messages per batch (default 100). */
  batchSize?: number;
  /** How long a batch waits for more messages once it has one, in ms (default 5). */
  lingerMs?: number;
  /**
   * MQTT 5's Receive Maximum: how many unacknowledged messages the broker
   * sends before waiting for PUBACKs (default 1000, at most 65535). Messages
   * are acknowledged once stored, so this is how far reading may run ahead
   * of the sink. MQTT 3.1.1 has no such setting: the broker's
   * `max_inflight_messages` (Mosquitto: 20) bounds it. A broker that
   * ignores it is held back: past this many received and not yet taken,
   * the source stops reading from the connection.
   */
  receiveMaximum?: number;
  /**
   * MQTT 5: how long the broker keeps the session (and queues messages for
   * it) after the source disconnects, in seconds (default 4294967295:
   * never expires).
   */
  sessionExpirySeconds?: number;
  /** How long the first connection may take, in ms (default 10000). */
  connectTimeoutMs?: number;
  /** Credentials, TLS and other options for mqtt.js. */
  clientOptions?: MqttClientOptions;
}

/** A message received and not yet acknowledged. */
interface Held {
  packet: PublishPacket;
  /** The connection it came on: a PUBACK only goes back on that one. */
  connection: number;
}

/**
 * A source of MQTT messages with at-least-once delivery: a QoS 1
 * subscription in a persistent session (a fixed `clientId`, `clean: false`,
 * and with MQTT 5 a session that does not expire), so the broker keeps
 * what the source has not acknowledged, across restarts and lost
 * connections. The PUBACK for a message is sent only once the pipeline has
 * stored it (the source's `ack`), never on read. No checkpoint store is
 * needed: the session holds the position.
 *
 * Each record is a `Message`: `value` decoded per `format`, `topic` the
 * message's topic, `headers` its MQTT 5 user properties (when it has any).
 *
 * A payload that does not decode is a `MessageError` naming the connector
 * and the cause (`error.raw` holds the message). With a `deadLetter` in
 * the pipeline it goes there (stage -1, `"source"`), and once the dead
 * letter stored it the message is acknowledged (PUBACK, in order with the
 * messages before it) and reading goes on. Without one it ends the read:
 * nothing after the last stored record is acknowledged, so the broker
 * sends it again to the next run.
 *
 * MQTT has no reject: a record the pipeline dead-letters (it failed in a
 * processor or the sink) is acknowledged with its batch, like a stored
 * one; the dead letter holds it.
 *
 * What the broker keeps: the session exists from the first subscription
 * on (run the source once before publishing, or messages sent before are
 * not kept), and Mosquitto queues at most `max_queued_messages` (1000 by
 * default) for a session whose client is offline, dropping the rest. Raise
 * it (`max_queued_messages 0` is no limit) for sources that may be stopped
 * while messages keep coming. `reset` of the pipeline's checkpoint does not
 * move the session: MQTT has no way back to older messages.
 *
 * After a lost connection mqtt.js reconnects every `reconnectPeriod` ms;
 * the broker resends every unacknowledged message (so a record in flight
 * may be delivered twice), and nothing is lost.
 *
 * @param options The broker's URL, the topic filter, the client id, and
 * how to decode.
 * @returns A resumable source of `Message` records.
 *
 * @example Read orders into a file
 * ```ts ignore
 * import { pipeline } from "@ca/streams";
 * import { fileSink } from "@ca/streams/file";
 * import { mqttSource } from "@ca/streams/mqtt";
 *
 * const source = mqttSource({
 *   url: "mqtt://127.0.0.1:1883",
 *   topic: "shops/+/orders",
 *   clientId: "orders-to-file",
 * });
 * const running = pipeline(source, fileSink("orders.ndjson"));
 * setTimeout(() => running.stop(), 10_000);
 * await running;
 * ```
 */
export function mqttSource(
  options: MqttSourceOptions,
): ResumableSource<Message> {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `Cannot create ${CONNECTOR}: options must be an object`,
    );
  }
  const url = checkUrl(options.url, CONNECTOR);
  const topics = typeof options.topic === "string"
    ? [options.topic]
    : options.topic;
  if (
    !Array.isArray(topics) || topics.length === 0 ||
    topics.some((topic) => typeof topic !== "string" || topic === "")
  ) {
    throw new TypeError(
      `Cannot create ${CONNECTOR}: topic must be a topic filter or a non-empty array of them`,
    );
  }
  const { clientId } = options;
  if (typeof clientId !== "string" || clientId === "") {
    throw new TypeError(
      `Cannot create ${CONNECTOR}: clientId must be a non-empty string (it names the persistent session)`,
    );
  }
  const format = options.format ?? "json";
  if (!MESSAGE_FORMATS.includes(format)) {
    throw new TypeError(
      `Cannot create ${CONNECTOR}: format must be "json", "text", "bytes" or "cloudevents", got ${
        JSON.stringify(format)
      }`,
    );
  }
  const batchSize = integerOption("batchSize", options.batchSize, 100, 1);
  const lingerMs = integerOption("lingerMs", options.lingerMs, 5, 0);
  const receiveMaximum = integerOption(
    "receiveMaximum",
    options.receiveMaximum,
    1000,
    1,
    65535,
  );
  const sessionExpiry = integerOption(
    "sessionExpirySeconds",
    options.sessionExpirySeconds,
    NEVER_EXPIRES,
    1,
    NEVER_EXPIRES,
  );
  const connectTimeoutMs = integerOption(
    "connectTimeoutMs",
    options.connectTimeoutMs,
    10_000,
    1,
  );
  const clientOptions = options.clientOptions ?? {};
  const protocolVersion = clientOptions.protocolVersion ?? 5;

  /** The reading in progress (one at a time per source). */
  let current: Reading | undefined;
  let opens = 0;
  let health = new HealthTracker();

  return resumableSource<Message>({
    name: `${CONNECTOR} ${topics.join(",")}`,
    // The session on the broker keeps the position: `after` is not needed.
    async *open(_after, { signal, deadLetter }) {
      const reading = new Reading(++opens, receiveMaximum);
      current = reading;
      health = new HealthTracker();
      try {
        const client = await openClient(
          url,
          {
            ...clientOptions,
            clientId,
            clean: false,
            protocolVersion,
            ...(protocolVersion === 5
              ? {
                properties: {
                  ...(clientOptions.properties as object | undefined),
                  sessionExpiryInterval: sessionExpiry,
                  receiveMaximum,
                },
              }
              : {}),
          },
          CONNECTOR,
          connectTimeoutMs,
          signal,
          (client) => {
            reading.attach(client);
            health.watch(client);
          },
        );
        // Not awaited before reading: a broker resuming the session sends
        // the queued messages before the SUBACK, and once the buffer holds
        // receiveMaximum of them it reads no further (see Reading): the
        // SUBACK would never be read. A refusal fails the next take().
        client.subscribeAsync(topics, { qos: 1 }).then(
          (granted) => {
            const refused = granted.find((grant) => grant.qos > 2);
            if (refused) {
              throw new MqttError(
                CONNECTOR,
                `subscribe to ${JSON.stringify(refused.topic)}`,
                "the broker refused the subscription (not authorized, or an invalid filter)",
              );
            }
          },
          (error) => {
            throw new MqttError(
              CONNECTOR,
              `subscribe to ${JSON.stringify(topics.join(","))}`,
              error,
            );
          },
        ).catch((error) => reading.fail(error));
        for (;;) {
          const held = await reading.take(batchSize, lingerMs, signal);
          if (held === undefined) return;
          const records: Message[] = [];
          for (const { packet } of held) {
            const raw = rawOf(packet);
            try {
              records.push(decodeMessage(raw, format, CONNECTOR));
            } catch (error) {
              // Without a dead letter the read fails: nothing of it is acknowledged.
              if (deadLetter === undefined) throw error;
              await deadLetter((error as MessageError).raw ?? raw, error);
            }
          }
          // A dead-lettered message is acknowledged with its batch, in order;
          // a batch that went to the dead letter whole, right after the
          // batches before it.
          if (records.length === 0) reading.settle(held);
          else yield { records, position: reading.delivered(held) };
        }
      } finally {
        reading.release(
          signal.aborted && isGracefulStop(signal.reason) ? DRAIN_MS : 0,
        );
      }
    },
    health: () => health.health,
    ack(position: Position) {
      const { open, seq } = position as { open: number; seq: number };
      if (current?.open === open) return current.ack(seq);
    },
  });
}

/** One `open()`: its client, what it received, what it delivered. */
class Reading {
  readonly open: number;
  #client: MqttJsClient | undefined;
  /** mqtt.js's own _sendPacket, which the PUBACKs of ack() go through. */
  #send: MqttJsClient["_sendPacket"] | undefined;
  /** Received, not yet delivered. */
  #buffer: Held[] = [];
  /** Delivered in batches, not yet acknowledged: each batch's last seq. */
  #inflight: Array<{ seq: number; held: Held[] }> = [];
  #seq = 0;
  /** Counts connections: a PUBACK goes back only on the one that delivered. */
  #connection = 0;
  #wake: (() => void) | undefined;
  /**
   * How many buffered messages wake take(): 1 while it waits for the
   * first, the batch size while it lingers (so a batch costs one wake-up,
   * not one per message).
   */
  #wakeAt = 1;
  #released = false;
  #closing: Promise<void> | undefined;
  #drainTimer: ReturnType<typeof setTimeout> | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Most messages received and not yet taken before reading pauses. */
  #limit: number;
  /** mqtt.js's callback held while the buffer is full: reading paused. */
  #paused: (() => void) | undefined;
  /** Why reading cannot go on (the subscription failed). */
  #failure: { error: unknown } | undefined;

  constructor(open: number, limit: number) {
    this.open = open;
    this.#limit = limit;
  }

  attach(client: MqttJsClient): void {
    this.#client = client;
    const send = client._sendPacket;
    this.#send = send;
    // mqtt.js sends a QoS 1 message's PUBACK as soon as handleMessage calls
    // back, and handles no further packet until it does: call back at once
    // so reading goes on, but keep that PUBACK from going out. The source
    // sends it in ack(), once the message is stored.
    client._sendPacket = function (packet, callback, ...rest) {
      if (packet.cmd === "puback") {
        callback?.();
        return;
      }
      return send.call(client, packet, callback, ...rest);
    };
    client.handleMessage = (packet, callback) => {
      if (!this.#released) {
        this.#buffer.push({ packet, connection: this.#connection });
        if (this.#buffer.length >= this.#wakeAt) this.#wake?.();
      }
      // A broker should send no more than receiveMaximum unacknowledged
      // messages, but some do not (Mosquitto 2.0.11 sends a whole offline
      // backlog at once): once the buffer holds that many, the callback is
      // held, so mqtt.js reads no further packet and TCP holds the broker
      // back, until the pipeline has taken some.
      if (this.#buffer.length >= this.#limit) this.#paused = callback;
      else callback();
    };
    client.on("close", () => {
      this.#connection++;
      // The broker sends these again on the next connection.
      this.#buffer = this.#buffer.filter((held) => held.packet.qos === 0);
      this.#resume();
    });
  }

  /**
   * Waits for messages and takes up to `max` of them; `undefined` once
   * `signal` aborted.
   */
  async take(
    max: number,
    lingerMs: number,
    signal: AbortSignal,
  ): Promise<Held[] | undefined> {
    const wait = (ms?: number) =>
      new Promise<void>((resolve) => {
        const timer = ms === undefined ? undefined : setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          resolve();
        }
        this.#wake = done;
        signal.addEventListener("abort", done, { once: true });
      }).finally(() => this.#wake = undefined);
    this.#wakeAt = 1;
    while (
      this.#buffer.length === 0 && !signal.aborted && !this.#failure
    ) await wait();
    if (this.#failure) throw this.#failure.error;
    if (signal.aborted) return undefined;
    if (this.#buffer.length < max && lingerMs > 0) {
      // A full batch (or the paused buffer's limit) ends the linger early.
      this.#wakeAt = Math.min(max, this.#limit);
      const until = Date.now() + lingerMs;
      while (
        this.#buffer.length < max && !signal.aborted && !this.#failure &&
        Date.now() < until
      ) await wait(until - Date.now());
      if (signal.aborted) return undefined;
    }
    const taken = this.#buffer.splice(0, max);
    if (this.#buffer.length < this.#limit) this.#resume();
    return taken;
  }

  /** Reading cannot go on: the next take() throws `error`. */
  fail(error: unknown): void {
    this.#failure ??= { error };
    this.#wake?.();
  }

  /** Lets mqtt.js read on, if the buffer had paused it. */
  #resume(): void {
    const paused = this.#paused;
    this.#paused = undefined;
    paused?.();
  }

  /** Notes a delivered batch; returns its position. */
  delivered(held: Held[]): Position {
    this.#seq += held.length;
    this.#inflight.push({ seq: this.#seq, held });
    return { open: this.open, seq: this.#seq };
  }

  /**
   * Messages taken that are done without being delivered (the dead letter
   * stored them): acknowledged after the batches delivered before them,
   * since MQTT wants PUBACKs in the order the messages came.
   */
  settle(held: Held[]): void {
    const last = this.#inflight.at(-1);
    if (last !== undefined) last.held.push(...held);
    else this.#puback(held);
  }

  /** Sends the PUBACKs of everything delivered up to `seq`. */
  ack(seq: number): Promise<void> | void {
    while (this.#inflight.length > 0 && this.#inflight[0]!.seq <= seq) {
      this.#puback(this.#inflight.shift()!.held);
    }
    if (this.#released) {
      if (this.#inflight.length === 0) return this.#close();
      this.#idle();
    }
  }

  #puback(held: Held[]): void {
    const client = this.#client!;
    for (const { packet, connection } of held) {
      // A message from a lost connection comes again on the new one (and
      // its packet id may name another message by now): no PUBACK.
      if (
        packet.qos !== 1 || connection !== this.#connection ||
        !client.connected
      ) continue;
      this.#send!.call(
        client,
        { cmd: "puback", messageId: packet.messageId, reasonCode: 0 },
        undefined,
        undefined,
        true,
      );
    }
  }

  /**
   * Stops taking messages. After a graceful stop the records already read
   * are still on their way to the sink: keep the connection for their
   * PUBACKs, up to `drainMs`.
   */
  release(drainMs: number): void {
    this.#released = true;
    this.#buffer = [];
    this.#resume();
    if (this.#client === undefined) return;
    if (this.#inflight.length === 0 || drainMs === 0) {
      void this.#close();
      return;
    }
    this.#drainTimer = setTimeout(() => void this.#close(), drainMs);
    this.#idle();
  }

  /** (Re)starts the wait for the next acknowledgement while draining. */
  #idle(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => void this.#close(), DRAIN_IDLE_MS);
  }

  #close(): Promise<void> {
    clearTimeout(this.#drainTimer);
    clearTimeout(this.#idleTimer);
    // Unacknowledged messages stay with the broker for the next run.
    this.#closing ??= endClient(this.#client!);
    return this.#closing;
  }
}

/** A stop() aborts the source with the AbortController's default reason. */
function isGracefulStop(reason: unknown): boolean {
  return reason instanceof DOMException && reason.name === "AbortError";
}

function rawOf(packet: PublishPacket) {
  const raw: {
    payload: Uint8Array;
    topic: string;
    headers?: Record<string, string>;
  } = {
    // A plain Uint8Array, not Node's Buffer subclass.
    payload: new Uint8Array(
      packet.payload.buffer,
      packet.payload.byteOffset,
      packet.payload.byteLength,
    ),
    topic: packet.topic,
  };
  const properties = packet.properties;
  // Most messages have no properties: no headers object for them.
  if (properties === undefined) return raw;
  const { userProperties, contentType } = properties;
  if (userProperties === undefined && contentType === undefined) return raw;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(userProperties ?? {})) {
    headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  if (contentType !== undefined) headers["content-type"] ??= contentType;
  if (Object.keys(headers).length > 0) raw.headers = headers;
  return raw;
}

function integerOption(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `Cannot create ${CONNECTOR}: ${name} must be an integer from ${min} to ${max}, got ${value}`,
    );
  }
  return value;
}
