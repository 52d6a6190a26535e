// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { StoreCallOptions } from "../checkpoint/checkpoint_store.ts";

/**
 * A lease a holder took: what renewing and releasing it need. Treat it as
 * a value: `renew()` gives back a new one (an engine may change `token` on
 * every renewal, as NATS KV does with its revision).
 *
 * @example A lease as an engine returns it
 * ```ts
 * import type { Lease } from "@ca/streams/host";
 *
 * const lease: Lease = { name: "connector/orders", holder: "host-a", token: "17", data: '{"state":"running"}' };
 * if (!lease.name.startsWith("connector/")) throw new Error("unexpected");
 * ```
 */
export interface Lease {
  /** The lease's name (`host/HOST`, `connector/ID`): 1-200 characters of A-Z a-z 0-9 . _ - / #. */
  readonly name: string;
  /** Who holds it (a host id). */
  readonly holder: string;
  /** The engine's proof of this grant (a KV revision, a row's random token): opaque to the caller. */
  readonly token: string;
  /** Text the holder keeps with the lease (JSON by convention); `list()` shows it to everyone. */
  readonly data: string;
}

/**
 * A live lease as `LeaseEngine.list()` shows it.
 *
 * @example Who holds what
 * ```ts
 * import type { LeaseInfo } from "@ca/streams/host";
 *
 * const leases: LeaseInfo[] = [
 *   { name: "connector/orders", holder: "host-a", data: "{}" },
 *   { name: "connector/billing", holder: "host-b", data: "{}" },
 * ];
 * const byHost = Object.groupBy(leases, (lease) => lease.holder);
 * if (byHost["host-a"]?.length !== 1) throw new Error("unexpected");
 * ```
 */
export interface LeaseInfo {
  /** The lease's name. */
  name: string;
  /** Who holds it. */
  holder: string;
  /** The text its holder keeps with it, as last acquired or renewed. */
  data: string;
}

/**
 * Exclusive, expiring leases on a shared engine (NATS JetStream KV,
 * PostgreSQL, or memory for tests): what hosts of one cluster use to run
 * each connector on exactly one host at a time and to know who is alive.
 *
 * The contract every engine keeps (the lease-engine conformance suite
 * checks it against the real server):
 * - `acquire()` succeeds for at most one holder of a name at a time: it
 *   takes a name nobody holds, or whose lease expired, and gives
 *   `undefined` while another holder's lease is live. Taking a name one
 *   holds already gives `undefined` too (renew it instead).
 * - A lease not renewed within `ttlMs` expires, judged by the engine's own
 *   clock (the database clock, the server's expiry), never the caller's.
 * - `renew()` succeeds only for the current grant (same holder, same
 *   token); a lease that expired, was taken by another holder, or was
 *   released is lost for good and comes back `undefined`. It writes each
 *   lease's `data`.
 * - `release()` frees a lease at once when it is still the current
 *   grant, and does nothing otherwise (it never frees another holder's).
 * - `list()` shows the live leases whose names start with a prefix.
 *
 * A lease alone does not exclude a paused process that still believes it
 * holds one: what a holder writes must also be fenced (the checkpoint
 * store's generations do that).
 *
 * @example One holder at a time
 * ```ts
 * import { memoryLeaseEngine } from "@ca/streams/host";
 *
 * const leases = memoryLeaseEngine({ ttlMs: 5_000 });
 * const a = await leases.acquire("connector/orders", "host-a", "{}");
 * const b = await leases.acquire("connector/orders", "host-b", "{}");
 * if (a === undefined || b !== undefined) throw new Error("unexpected");
 * const [renewed] = await leases.renew([{ ...a, data: '{"state":"running"}' }]);
 * if (renewed === undefined) throw new Error("expected a renewal");
 * await leases.release(renewed);
 * if ((await leases.acquire("connector/orders", "host-b", "{}")) === undefined) {
 *   throw new Error("expected host-b to take it");
 * }
 * await leases.close();
 * ```
 */
export interface LeaseEngine {
  /** How long a lease lives without renewal, in ms. */
  readonly ttlMs: number;
  /**
   * Takes lease `name` for `holder` when nobody holds it or its lease
   * expired.
   *
   * @returns The lease, or `undefined` when a live lease of it exists.
   */
  acquire(
    name: string,
    holder: string,
    data: string,
    options?: StoreCallOptions,
  ): Promise<Lease | undefined>;
  /**
   * Renews leases (each with the `data` given), in one round trip where the
   * engine can.
   *
   * @returns In the same order, each renewed lease, or `undefined` for
   * one that is lost (expired, released, or taken by another).
   */
  renew(
    leases: readonly Lease[],
    options?: StoreCallOptions,
  ): Promise<(Lease | undefined)[]>;
  /** Frees a lease when it is still the current grant; else does nothing. */
  release(lease: Lease, options?: StoreCallOptions): Promise<void>;
  /** The live leases whose names start with `prefix`, sorted by name. */
  list(prefix: string, options?: StoreCallOptions): Promise<LeaseInfo[]>;
  /** Closes what the engine opened (not a client that was passed in). */
  close(): Promise<void>;
}
