// Copyright 2026 the @ca/streams authors. MIT license.
// Test helpers of the SQL sink tests (postgres and mariadb; not part of the
// package): table names unique to the run, and a TCP proxy whose open
// connections are what a sink still holds, and which can cut them as a
// network failure would.

import {
  startTcpProxy,
  type TestTcpProxy,
} from "../runtime/_test_tcp_proxy.ts";

const run = `${Date.now().toString(36)}${
  Math.random().toString(36).slice(2, 6)
}`;
let counter = 0;

/** A table name unique to this test run: `ca_test_<run>_<label>_<n>`. */
export function uniqueTable(label: string): string {
  return `ca_test_${run}_${label}_${++counter}`;
}

/**
 * The shared test proxy, with `connections`: how many are open now (what a
 * sink still holds).
 */
export type TcpProxy = TestTcpProxy & { readonly connections: number };

/** TCP proxies to one server, on a free port of 127.0.0.1. */
export const TcpProxy = {
  /** Starts a proxy to the server of `url`. */
  async start(url: string): Promise<TcpProxy> {
    const proxy = await startTcpProxy(url);
    return Object.defineProperty(proxy, "connections", {
      get: () => proxy.open,
    }) as TcpProxy;
  },
};
