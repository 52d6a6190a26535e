// Copyright 2026 the @ca/streams authors. MIT license.
// Internal: loads mqtt.js lazily and opens a client, failing clearly when
// the first connection does not come up.

import type { ConnectionHealth } from "../../src/health/connection_health.ts";
import { importOptional } from "../runtime/import_optional.ts";
import type { MqttClientOptions } from "./mqtt_client_options.ts";
import { MqttError } from "./mqtt_error.ts";

/** An MQTT PUBLISH packet as mqtt.js hands it over. */
export interface PublishPacket {
  topic: string;
  payload: Uint8Array;
  qos: 0 | 1 | 2;
  messageId?: number;
  retain?: boolean;
  dup?: boolean;
  properties?: {
    userProperties?: Record<string, string | string[]>;
    contentType?: string;
  };
}

/** What the connectors use of an mqtt.js `MqttClient`. */
export interface MqttJsClient {
  readonly connected: boolean;
  on(event: string, listener: (...args: never[]) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
  handleMessage(packet: PublishPacket, callback: (error?: Error) => void): void;
  _sendPacket(
    packet: Record<string, unknown>,
    callback?: (error?: Error) => void,
    ...rest: unknown[]
  ): void;
  subscribeAsync(
    topics: string[],
    options: { qos: 0 | 1 | 2 },
  ): Promise<Array<{ topic: string; qos: number }>>;
  publishAsync(
    topic: string,
    payload: string | Uint8Array,
    options: Record<string, unknown>,
  ): Promise<unknown>;
  end(force: boolean, options: object, callback: () => void): unknown;
}

/** The URL as text, with any password replaced by `***`. */
export function redactUrl(url: string | URL): string {
  try {
    const parsed = new URL(String(url));
    if (parsed.password !== "") parsed.password = "***";
    return parsed.href;
  } catch {
    return "an invalid URL";
  }
}

/** Checks the URL's scheme; returns it as text. */
export function checkUrl(url: unknown, connector: string): string {
  const text = url instanceof URL ? url.href : url;
  if (typeof text !== "string") {
    throw new TypeError(
      `Cannot create ${connector}: url must be an mqtt://, mqtts://, ws:// or wss:// URL, got ${typeof url}`,
    );
  }
  let scheme: string;
  try {
    scheme = new URL(text).protocol;
  } catch {
    throw new TypeError(
      `Cannot create ${connector}: url must be an mqtt://, mqtts://, ws:// or wss:// URL, got ${
        JSON.stringify(redactUrl(text))
      }`,
    );
  }
  if (!["mqtt:", "mqtts:", "ws:", "wss:", "tcp:", "ssl:"].includes(scheme)) {
    throw new TypeError(
      `Cannot create ${connector}: url must be an mqtt://, mqtts://, ws:// or wss:// URL, got scheme ${scheme}`,
    );
  }
  return text;
}

/**
 * Opens an mqtt.js client and waits for its first CONNACK. A broker that
 * cannot be reached or refuses the connection within `timeoutMs` is an
 * MqttError naming the connector and the redacted URL; the client is then
 * ended. Once connected, mqtt.js reconnects by itself. `prepare` runs on
 * the new client before any packet arrives.
 */
export async function openClient(
  url: string,
  options: MqttClientOptions & Record<string, unknown>,
  connector: string,
  timeoutMs: number,
  signal?: AbortSignal,
  prepare?: (client: MqttJsClient) => void,
): Promise<MqttJsClient> {
  const mqtt = await importOptional(
    () => import("mqtt"),
    "mqtt",
    `open the ${connector}`,
  );
  const connect = (mqtt as unknown as {
    connect(url: string, options: object): MqttJsClient;
  }).connect ??
    (mqtt as unknown as { default: { connect: typeof mqtt.connect } })
      .default.connect;
  signal?.throwIfAborted();
  const client = connect(url, {
    reconnectPeriod: 1000,
    connectTimeout: timeoutMs,
    ...options,
  });
  // mqtt.js emits "error" on refused and failed connections: without a
  // listener an EventEmitter would throw.
  client.on("error", () => {});
  // Before any packet: a persistent session's messages follow CONNACK.
  prepare?.(client);
  try {
    await new Promise<void>((resolve, reject) => {
      const done = (error?: unknown) => {
        clearTimeout(timer);
        client.removeListener("connect", onConnect);
        client.removeListener("error", onError);
        signal?.removeEventListener("abort", onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onConnect = () => done();
      const onError = (error: Error) => done(error);
      const onAbort = () => done(signal!.reason);
      const timer = setTimeout(
        () => done(new Error(`no CONNACK within ${timeoutMs} ms`)),
        timeoutMs,
      );
      client.on("connect", onConnect);
      client.on("error", onError);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  } catch (error) {
    await endClient(client, true);
    if (signal?.aborted && error === signal.reason) throw error;
    throw new MqttError(connector, `connect to ${redactUrl(url)}`, error);
  }
  return client;
}

/** Ends a client: `force` drops what is still being sent. */
export function endClient(client: MqttJsClient, force = false): Promise<void> {
  return new Promise((resolve) => client.end(force, {}, () => resolve()));
}

/** Follows a client's connection for `health()`. */
export class HealthTracker {
  #health: ConnectionHealth = {
    state: "connecting",
    since: new Date().toISOString(),
  };
  #lastError: string | undefined;

  /** The connection now. */
  get health(): ConnectionHealth {
    return { ...this.#health };
  }

  /** Listens to a new client's events (before it connects). */
  watch(client: MqttJsClient): void {
    client.on("connect", () => this.#set("connected"));
    client.on("error", (error: Error) => {
      // mqtt.js errors name the host and the cause, never the password.
      this.#lastError = error?.message ?? String(error);
      if (this.#health.state === "reconnecting") {
        this.#health.error = this.#lastError;
      }
    });
    client.on("close", () => {
      if (this.#health.state === "connected") this.#set("reconnecting");
    });
  }

  #set(state: ConnectionHealth["state"]): void {
    this.#health = { state, since: new Date().toISOString() };
    if (state === "reconnecting" && this.#lastError !== undefined) {
      this.#health.error = this.#lastError;
    }
    if (state === "connected") this.#lastError = undefined;
  }
}
