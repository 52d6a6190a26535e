// Copyright 2026 the @ca/streams authors. MIT license.
// Test support for the MQTT connector's tests (not part of the API): the
// broker's address, sessions, a TCP proxy that can cut connections, and a
// private mosquitto.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import {
  startTcpProxy,
  type TestTcpProxy,
} from "../runtime/_test_tcp_proxy.ts";

/** The shared broker: `CA_TEST_MQTT_URL`, else Mosquitto on localhost. */
export const BROKER_URL: string = process.env.CA_TEST_MQTT_URL ??
  "mqtt://127.0.0.1:1883";

/** A name unique to this test run. */
export function unique(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 12)}`;
}

/** Connects a plain mqtt.js client, failing with how to start the broker. */
export async function rawClient(
  url: string = BROKER_URL,
  options: mqtt.IClientOptions = {},
): Promise<mqtt.MqttClient> {
  try {
    return await mqtt.connectAsync(url, {
      protocolVersion: 5,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...options,
    });
  } catch (error) {
    throw new Error(
      `Cannot reach the MQTT broker at ${url} (${error}): start one with "mosquitto -d" or set CA_TEST_MQTT_URL`,
    );
  }
}

/** Publishes payloads at QoS 1, in order, waiting for every PUBACK. */
export async function publish(
  topic: string,
  payloads: ReadonlyArray<string | Uint8Array>,
  url: string = BROKER_URL,
  options: mqtt.IClientPublishOptions = {},
): Promise<void> {
  const client = await rawClient(url);
  try {
    for (const payload of payloads) {
      await client.publishAsync(topic, payload as string, {
        qos: 1,
        ...options,
      });
    }
  } finally {
    await client.endAsync();
  }
}

/**
 * Creates the persistent session of `clientId` subscribed to `topic`, as a
 * first run of the source would: from then on the broker queues for it.
 */
export async function createSession(
  clientId: string,
  topic: string,
  url: string = BROKER_URL,
): Promise<void> {
  const client = await rawClient(url, {
    clientId,
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
  });
  await client.subscribeAsync(topic, { qos: 1 });
  await client.endAsync();
}

/** Ends the session of `clientId` on the broker (and what it queued). */
export async function dropSession(
  clientId: string,
  url: string = BROKER_URL,
): Promise<void> {
  const client = await rawClient(url, {
    clientId,
    clean: true,
    properties: { sessionExpiryInterval: 0 },
  });
  await client.endAsync();
}

/** The shared test proxy, with `fromBroker`: bytes read from the broker. */
export type TcpProxy = TestTcpProxy & { readonly fromBroker: number };

/** Starts a TCP proxy on a free port to the broker at `target`. */
export async function tcpProxy(target: string = BROKER_URL): Promise<TcpProxy> {
  const proxy = await startTcpProxy(target);
  return Object.defineProperty(proxy, "fromBroker", {
    get: () => proxy.fromServer,
  }) as TcpProxy;
}

/** A mosquitto of the test's own, on a spare port, with a temporary store. */
export interface PrivateBroker {
  readonly url: string;
  /** Stops it (SIGTERM to the process it started) and removes its directory. */
  stop(): Promise<void>;
}

async function sparePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts `mosquitto -c` on a spare port with `max_queued_messages 0` (no
 * limit on what an offline session keeps) and persistence in a temporary
 * directory. With `users`, only they may connect (a password file).
 */
export async function privateBroker(
  users?: Record<string, string>,
): Promise<PrivateBroker> {
  const dir = await mkdtemp(join(tmpdir(), "ca-mosquitto-"));
  const port = await sparePort();
  const config = join(dir, "mosquitto.conf");
  const access = ["allow_anonymous true"];
  if (users !== undefined) {
    const file = join(dir, "passwords");
    await writeFile(file, "");
    for (const [user, password] of Object.entries(users)) {
      const made = spawnSync("mosquitto_passwd", ["-b", file, user, password]);
      if (made.status !== 0) {
        throw new Error(`Cannot run mosquitto_passwd: ${made.stderr}`);
      }
    }
    access.splice(0, 1, "allow_anonymous false", `password_file ${file}`);
  }
  await writeFile(
    config,
    [
      `listener ${port} 127.0.0.1`,
      // Run as root, mosquitto would switch to the user "mosquitto", who
      // cannot read this directory.
      `user ${userInfo().username}`,
      ...access,
      "persistence true",
      `persistence_location ${dir}/`,
      "max_queued_messages 0",
      "log_dest none",
      "",
    ].join("\n"),
  );
  let child: ChildProcess;
  try {
    child = spawn("mosquitto", ["-c", config], { stdio: "ignore" });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`Cannot start mosquitto (is it installed?): ${error}`);
  }
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => resolve())
  );
  const url = `mqtt://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  for (let attempt = 0;; attempt++) {
    try {
      const client = await mqtt.connectAsync(url, {
        reconnectPeriod: 0,
        connectTimeout: 1000,
        ...(users === undefined ? {} : {
          username: Object.keys(users)[0],
          password: Object.values(users)[0],
        }),
      });
      await client.endAsync();
      break;
    } catch (error) {
      if (attempt >= 50 || child.exitCode !== null) {
        await stop();
        throw new Error(`Cannot start mosquitto on port ${port}: ${error}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { url, stop };
}
