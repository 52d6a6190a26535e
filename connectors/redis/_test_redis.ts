// Copyright 2026 the @ca/streams authors. MIT license.
// Test helpers of the Redis Streams tests (not part of the package): the
// server at CA_TEST_REDIS_URL (default redis://127.0.0.1:6379), a client
// of the tests' own, unique key names, and a TCP proxy that can cut the
// connections that go through it.

import process from "node:process";
import { createClient } from "redis";
import {
  startTcpProxy,
  type TestTcpProxy,
} from "../runtime/_test_tcp_proxy.ts";

const URL_VARIABLE = "CA_TEST_REDIS_URL";
/** The server the tests use. */
export const redisUrl: string = process.env[URL_VARIABLE] ??
  "redis://127.0.0.1:6379";
const HOW_TO_START =
  `redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no`;

function makeClient() {
  const client = createClient({
    url: redisUrl,
    socket: { reconnectStrategy: false, connectTimeout: 3_000 },
  });
  client.on("error", () => {});
  return client;
}

/** A client of the tests' own. */
export type TestClient = ReturnType<typeof makeClient>;

/** Connects a client of the tests' own; a missing server fails with how to start one. */
export async function testClient(): Promise<TestClient> {
  const client = makeClient();
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `Cannot reach Redis at ${redisUrl} (${
        (error as Error)?.message ?? error
      }): start it with \`${HOW_TO_START}\`, or point ${URL_VARIABLE} at one`,
    );
  }
  return client;
}

const run = `${Date.now().toString(36)}${
  Math.random().toString(36).slice(2, 8)
}`;
let counter = 0;
/** The prefix of every key the tests of this process make. */
export const keyPrefix = `ca-test:streams:${run}:`;
/** A key unique to this test run. */
export function uniqueKey(name: string): string {
  return `${keyPrefix}${name}:${++counter}`;
}

/** Deletes every key of this test run, and closes the client. */
export async function cleanUp(client: TestClient): Promise<void> {
  for await (
    const keys of client.scanIterator({ MATCH: `${keyPrefix}*`, COUNT: 500 })
  ) {
    if (keys.length > 0) await client.unlink(keys);
  }
  await client.close();
}

/** Adds entries with a JSON `value` field; resolves to their ids. */
export async function addValues(
  client: TestClient,
  stream: string,
  values: readonly unknown[],
): Promise<string[]> {
  return await Promise.all(
    values.map((value) =>
      client.sendCommand(["XADD", stream, "*", "value", JSON.stringify(value)])
    ),
  ) as unknown as string[];
}

/** How many entries of `group` are pending (read, not acknowledged). */
export async function pendingCount(
  client: TestClient,
  stream: string,
  group: string,
): Promise<number> {
  const reply = await client.sendCommand(["XPENDING", stream, group]) as [
    number,
  ];
  return Number(reply[0]);
}

/** Waits until `condition()` holds, failing after `ms`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The shared test proxy, with `connections`: how many are open now. */
export type TcpProxy = TestTcpProxy & { readonly connections: number };

/**
 * TCP proxies to the test server: connectors connect to `url`; `cut()`
 * destroys every connection through it (a network failure), and
 * `connections` counts the ones still open (for leak checks).
 */
export const TcpProxy = {
  /** Starts a proxy to the test server on a free port. */
  async start(): Promise<TcpProxy> {
    const proxy = await startTcpProxy(redisUrl);
    return Object.defineProperty(proxy, "connections", {
      get: () => proxy.open,
    }) as TcpProxy;
  },
};
