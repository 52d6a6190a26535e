// Copyright 2026 the @ca/streams authors. MIT license.
// Test helpers of the NATS connector's tests (not part of the package): the
// test server's address, unique streams, a TCP proxy that can cut
// connections, and waiting.

import { spawn } from "node:child_process";
import { createServer, Socket } from "node:net";
import process from "node:process";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import {
  startTcpProxy,
  type TestTcpProxy,
} from "../runtime/_test_tcp_proxy.ts";

/** The NATS server of the tests: `CA_TEST_NATS_URL`, or the machine's. */
export const NATS_URL: string = process.env.CA_TEST_NATS_URL ??
  "nats://127.0.0.1:4222";

/** Connects to the test server, or fails saying how to start one. */
export async function testConnection(
  url: string = NATS_URL,
): Promise<NatsConnection> {
  try {
    return await connect({ servers: url, maxReconnectAttempts: -1 });
  } catch (error) {
    throw new Error(
      `Cannot reach the NATS server of the tests at ${url}: start one with JetStream (nats-server -js), or set CA_TEST_NATS_URL (${
        error instanceof Error ? error.message : error
      })`,
    );
  }
}

/** A name no other run uses: `prefix` and a random suffix, upper case. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().slice(0, 8)}`.toUpperCase();
}

/** A stream made for one test: its name, its subjects' prefix, and cleanup. */
export interface TestStream {
  name: string;
  /** The stream takes `${subject}.>`. */
  subject: string;
  delete(): Promise<void>;
}

/** Creates a stream with a unique name on `nc`, capturing `<name>.>`. */
export async function testStream(
  nc: NatsConnection,
  config: { duplicateWindowMs?: number } = {},
): Promise<TestStream> {
  const jsm = await jetstreamManager(nc);
  const name = uniqueName("CA_TEST");
  const subject = name.toLowerCase();
  await jsm.streams.add({
    name,
    subjects: [`${subject}.>`],
    duplicate_window: (config.duplicateWindowMs ?? 120_000) * 1e6,
  });
  return {
    name,
    subject,
    async delete() {
      await jsm.streams.delete(name).catch(() => {});
    },
  };
}

/** The shared test proxy, with `pause(true)` to refuse new connections. */
export type TcpProxy = TestTcpProxy & { pause(paused: boolean): void };

/** Starts a TCP proxy on a spare port, to the server of `target`. */
export async function tcpProxy(target: string = NATS_URL): Promise<TcpProxy> {
  const proxy = await startTcpProxy(target);
  return Object.assign(proxy, {
    pause(paused: boolean) {
      proxy.refuse = paused;
    },
  });
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `condition()` holds, checking every 10 ms; fails after `timeoutMs`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A private nats-server of a test, on a spare port. */
export interface PrivateServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `nats-server` (`CA_TEST_NATS_SERVER`, else /usr/sbin/nats-server)
 * on a spare port of 127.0.0.1 with `args` (such as `--user a --pass b`),
 * and waits until it accepts connections. The machine's shared server is
 * never touched.
 */
export async function privateServer(args: string[]): Promise<PrivateServer> {
  const port = await sparePort();
  const executable = process.env.CA_TEST_NATS_SERVER ??
    "/usr/sbin/nats-server";
  const child = spawn(
    executable,
    ["-a", "127.0.0.1", "-p", String(port), ...args],
    { stdio: "ignore" },
  );
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => resolve())
  );
  let failed: unknown;
  child.once("error", (error) => failed = error);
  await until(async () => {
    if (failed !== undefined) {
      throw new Error(
        `Cannot start ${executable} (set CA_TEST_NATS_SERVER): ${failed}`,
      );
    }
    return await canConnect(port);
  }, `nats-server on port ${port}`);
  return {
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

function sparePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      socket.destroy();
      resolve(false);
    });
    socket.connect(port, "127.0.0.1");
  });
}
