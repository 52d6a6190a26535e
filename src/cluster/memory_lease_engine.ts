// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { StoreCallOptions } from "../checkpoint/checkpoint_store.ts";
import {
  beginLeaseCall,
  byName,
  checkAcquire,
  checkLease,
  checkLeases,
  checkPrefix,
  checkTtlMs,
} from "./_check_lease.ts";
import type { Lease, LeaseEngine, LeaseInfo } from "./lease_engine.ts";

/**
 * Options for {@linkcode memoryLeaseEngine}.
 *
 * @example A clock a test moves by hand
 * ```ts
 * import { memoryLeaseEngine } from "@ca/streams/host";
 * import type { MemoryLeaseEngineOptions } from "@ca/streams/host";
 *
 * let now = 0;
 * const options: MemoryLeaseEngineOptions = { ttlMs: 1_000, now: () => now };
 * const leases = memoryLeaseEngine(options);
 * await leases.acquire("host/a", "host-a", "{}");
 * now += 1_000; // the lease's ttl passes without a renewal
 * if ((await leases.list("host/")).length !== 0) throw new Error("expected it expired");
 * ```
 */
export interface MemoryLeaseEngineOptions {
  /** How long a lease lives without renewal, in ms (default 10000). */
  ttlMs?: number;
  /**
   * The engine's clock, in ms (default `Date.now`): a test passes one it
   * moves by hand to expire leases without waiting.
   */
  now?: () => number;
}

/** A grant as the engine keeps it. */
interface Grant {
  holder: string;
  token: string;
  data: string;
  /** When it expires, on the engine's clock: live while `now() < expiresAt`. */
  expiresAt: number;
}

const DEFAULT_TTL_MS = 10_000;

/**
 * Creates a lease engine that keeps its leases in memory: for tests, and
 * for one process whose hosts share the engine object. Exclusion holds
 * only among the users of this one object, so it does not coordinate
 * processes; use the PostgreSQL or NATS engine for that.
 *
 * A lease expires `ttlMs` after it was acquired or last renewed, on the
 * engine's clock (`now`, default `Date.now`). Each grant gets a new token,
 * so a lease released or expired and taken again is a different grant:
 * `renew()` and `release()` of the old one change nothing.
 *
 * @param options `ttlMs` (default 10000) and the clock `now`.
 * @returns A {@linkcode LeaseEngine} that forgets everything when the
 * process ends.
 * @throws {TypeError} When `now` is not a function or `ttlMs` not a number.
 * @throws {RangeError} When `ttlMs` is not a whole number of ms from 1 to 2^31-1.
 *
 * @example Two hosts, one connector
 * ```ts
 * import { memoryLeaseEngine } from "@ca/streams/host";
 *
 * const leases = memoryLeaseEngine({ ttlMs: 5_000 });
 * const a = await leases.acquire("connector/orders", "host-a", '{"state":"starting"}');
 * const b = await leases.acquire("connector/orders", "host-b", "{}");
 * if (a === undefined || b !== undefined) throw new Error("expected host-a alone");
 * const [renewed] = await leases.renew([{ ...a, data: '{"state":"running"}' }]);
 * const listed = await leases.list("connector/");
 * if (renewed === undefined || listed[0]?.data !== '{"state":"running"}') {
 *   throw new Error("unexpected");
 * }
 * await leases.close();
 * ```
 */
export function memoryLeaseEngine(
  options: MemoryLeaseEngineOptions = {},
): LeaseEngine {
  const where = "memory lease engine";
  const ttlMs = checkTtlMs(options?.ttlMs, where, DEFAULT_TTL_MS);
  const now = options?.now ?? Date.now;
  if (typeof now !== "function") {
    throw new TypeError(
      `Cannot create ${where}: now must be a function that returns ms`,
    );
  }
  const grants = new Map<string, Grant>();
  let tokens = 0;
  let closed = false;

  /** The live grant of `name`, if any (an expired one is dropped). */
  function live(name: string, at: number): Grant | undefined {
    const grant = grants.get(name);
    if (grant === undefined) return undefined;
    if (at < grant.expiresAt) return grant;
    grants.delete(name);
    return undefined;
  }

  /** Runs `body` as an async call: checks the engine, turns throws into rejections. */
  function call<T>(
    doing: string,
    options: StoreCallOptions | undefined,
    body: () => T,
  ): Promise<T> {
    try {
      beginLeaseCall(doing, closed, undefined, options?.signal);
      return Promise.resolve(body());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  return {
    ttlMs,

    acquire(
      name: string,
      holder: string,
      data: string,
      callOptions?: StoreCallOptions,
    ): Promise<Lease | undefined> {
      return call(`acquire lease "${name}"`, callOptions, () => {
        checkAcquire(name, holder, data);
        const at = now();
        if (live(name, at) !== undefined) return undefined;
        const token = String(++tokens);
        grants.set(name, { holder, token, data, expiresAt: at + ttlMs });
        return { name, holder, token, data };
      });
    },

    renew(
      leases: readonly Lease[],
      callOptions?: StoreCallOptions,
    ): Promise<(Lease | undefined)[]> {
      return call("renew leases", callOptions, () => {
        checkLeases(leases);
        const at = now();
        return leases.map(({ name, holder, token, data }) => {
          const grant = live(name, at);
          if (grant?.holder !== holder || grant.token !== token) {
            return undefined;
          }
          grant.data = data;
          grant.expiresAt = at + ttlMs;
          return { name, holder, token, data };
        });
      });
    },

    release(lease: Lease, callOptions?: StoreCallOptions): Promise<void> {
      return call(`release lease "${lease?.name}"`, callOptions, () => {
        checkLease(lease, "release");
        const grant = grants.get(lease.name);
        if (grant?.holder === lease.holder && grant.token === lease.token) {
          grants.delete(lease.name);
        }
      });
    },

    list(prefix: string, callOptions?: StoreCallOptions): Promise<LeaseInfo[]> {
      return call("list leases", callOptions, () => {
        checkPrefix(prefix);
        const at = now();
        const found: LeaseInfo[] = [];
        for (const name of [...grants.keys()]) {
          if (!name.startsWith(prefix)) continue;
          const grant = live(name, at);
          if (grant === undefined) continue;
          found.push({ name, holder: grant.holder, data: grant.data });
        }
        return byName(found);
      });
    },

    close(): Promise<void> {
      closed = true;
      return Promise.resolve();
    },
  };
}
