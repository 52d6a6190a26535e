// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

// What every lease engine (memory, PostgreSQL, NATS KV) checks the same
// way: names, holders, data, leases passed back, ttlMs, a closed engine and
// signals. Not part of the public API.

import type { Lease, LeaseInfo } from "./lease_engine.ts";
import { describeValue } from "../util/describe_value.ts";

/** A lease name: 1-200 characters of A-Z a-z 0-9 . _ - / #. */
const LEASE_NAME = /^[A-Za-z0-9._\-/#]{1,200}$/;
/** The longest holder, in characters. */
const MAX_HOLDER = 200;
/** The most bytes of `data` (UTF-8). */
export const MAX_LEASE_DATA_BYTES = 64 * 1024;
/** The longest ttlMs: what a timer can wait (about 24.8 days). */
const MAX_TTL_MS = 2_147_483_647;

const encoder = new TextEncoder();

/**
 * Checks a lease name.
 *
 * @param name The name.
 * @param verb What the call does: `"acquire"`, `"renew"`, ...
 * @throws {TypeError} When it is not 1-200 characters of A-Z a-z 0-9 . _ - / #.
 */
export function checkLeaseName(name: unknown, verb: string): void {
  if (typeof name !== "string" || !LEASE_NAME.test(name)) {
    throw new TypeError(
      `Cannot ${verb} lease: name must be 1-200 characters of A-Z a-z 0-9 . _ - / #, got ${
        describeValue(name)
      }`,
    );
  }
}

/**
 * Checks a holder.
 *
 * @param holder The holder (a host id).
 * @param verb What the call does.
 * @param name The lease's name, for the message.
 * @throws {TypeError} When it is not a non-empty string of at most 200
 * characters without the NUL character.
 */
export function checkHolder(holder: unknown, verb: string, name: string): void {
  if (
    typeof holder !== "string" || holder === "" ||
    holder.length > MAX_HOLDER || holder.includes("\0")
  ) {
    throw new TypeError(
      `Cannot ${verb} lease "${name}": holder must be a non-empty string of at most ${MAX_HOLDER} characters without the NUL character, got ${
        describeValue(holder)
      }`,
    );
  }
}

/**
 * Checks a lease's data.
 *
 * @param data The text kept with the lease.
 * @param verb What the call does.
 * @param name The lease's name, for the message.
 * @throws {TypeError} When it is not a string without the NUL character.
 * @throws {RangeError} When it is longer than 64 KiB in UTF-8.
 */
export function checkData(data: unknown, verb: string, name: string): void {
  if (typeof data !== "string" || data.includes("\0")) {
    throw new TypeError(
      `Cannot ${verb} lease "${name}": data must be a string without the NUL character (JSON text by convention), got ${
        describeValue(data)
      }`,
    );
  }
  // Cheap first: a UTF-16 code unit is at most 3 bytes of UTF-8.
  if (data.length * 3 <= MAX_LEASE_DATA_BYTES) return;
  const bytes = encoder.encode(data).length;
  if (bytes > MAX_LEASE_DATA_BYTES) {
    throw new RangeError(
      `Cannot ${verb} lease "${name}": data must be at most 64 KiB (${MAX_LEASE_DATA_BYTES} bytes of UTF-8), got ${bytes} bytes`,
    );
  }
}

/**
 * Checks the arguments of `acquire()`.
 *
 * @param name The lease's name.
 * @param holder Who takes it.
 * @param data The text kept with it.
 */
export function checkAcquire(
  name: unknown,
  holder: unknown,
  data: unknown,
): void {
  checkLeaseName(name, "acquire");
  checkHolder(holder, "acquire", name as string);
  checkData(data, "acquire", name as string);
}

/**
 * Checks a lease passed back to `renew()` or `release()`: an object with a
 * valid name and holder, a string token and (for `renew`) valid data.
 *
 * @param lease The lease.
 * @param verb `"renew"` or `"release"`.
 * @throws {TypeError} Naming the field that is wrong.
 */
export function checkLease(
  lease: unknown,
  verb: string,
): asserts lease is Lease {
  if (lease === null || typeof lease !== "object") {
    throw new TypeError(
      `Cannot ${verb} lease: expected a lease as acquire() returned it, got ${
        describeValue(lease)
      }`,
    );
  }
  const { name, holder, token, data } = lease as Record<string, unknown>;
  checkLeaseName(name, verb);
  checkHolder(holder, verb, name as string);
  if (typeof token !== "string" || token === "") {
    throw new TypeError(
      `Cannot ${verb} lease "${name}": token must be the non-empty string acquire() or renew() gave, got ${
        describeValue(token)
      }`,
    );
  }
  if (verb === "renew") checkData(data, verb, name as string);
}

/**
 * Checks the leases given to `renew()`.
 *
 * @param leases The leases.
 * @throws {TypeError} When it is not an array of leases.
 */
export function checkLeases(leases: unknown): asserts leases is Lease[] {
  if (!Array.isArray(leases)) {
    throw new TypeError(
      `Cannot renew leases: expected an array of leases, got ${
        describeValue(leases)
      }`,
    );
  }
  for (const lease of leases) checkLease(lease, "renew");
}

/**
 * Checks a `list()` prefix: a string (empty lists every lease).
 *
 * @param prefix The prefix.
 * @throws {TypeError} When it is not a string.
 */
export function checkPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== "string") {
    throw new TypeError(
      `Cannot list leases: prefix must be a string ("" for every lease), got ${
        describeValue(prefix)
      }`,
    );
  }
}

/**
 * Checks an engine's `ttlMs` option and returns it or the default.
 *
 * @param ttlMs The option.
 * @param engine The engine, for the message: `"memory lease engine"`.
 * @param fallback The default.
 * @returns The ttl in ms.
 * @throws {TypeError} When it is not a number.
 * @throws {RangeError} When it is not a whole number of ms from 1 to 2^31-1.
 */
export function checkTtlMs(
  ttlMs: unknown,
  engine: string,
  fallback: number,
): number {
  if (ttlMs === undefined) return fallback;
  if (typeof ttlMs !== "number") {
    throw new TypeError(
      `Cannot create ${engine}: ttlMs must be a number, got ${
        describeValue(ttlMs)
      }`,
    );
  }
  if (!Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_TTL_MS) {
    throw new RangeError(
      `Cannot create ${engine}: ttlMs must be a whole number of ms from 1 to ${MAX_TTL_MS}, got ${ttlMs}`,
    );
  }
  return ttlMs;
}

/**
 * The common start of every engine method: checks that the engine is
 * open, merges the engine's signal with the call's and checks it.
 *
 * @param doing What the call does, for messages: `acquire lease "x"`.
 * @param closed Whether the engine was closed.
 * @param engineSignal The signal that stops the whole engine.
 * @param callSignal The signal of this call.
 * @returns The signal the call must honour, if any.
 */
export function beginLeaseCall(
  doing: string,
  closed: boolean,
  engineSignal: AbortSignal | undefined,
  callSignal: AbortSignal | undefined,
): AbortSignal | undefined {
  if (closed) throw new Error(`Cannot ${doing}: the lease engine is closed`);
  const signal = engineSignal && callSignal
    ? AbortSignal.any([engineSignal, callSignal])
    : engineSignal ?? callSignal;
  signal?.throwIfAborted();
  return signal;
}

/**
 * Sorts leases by name, by UTF-16 code units (names are ASCII, so this is
 * byte order too), in place.
 *
 * @param leases The leases.
 * @returns The same array.
 */
export function byName<T extends LeaseInfo>(leases: T[]): T[] {
  return leases.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}
