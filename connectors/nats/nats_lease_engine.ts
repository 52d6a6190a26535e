// Copyright 2026 the @ca/streams authors. MIT license.

import type { JetStreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { StoreCallOptions } from "../../src/checkpoint/checkpoint_store.ts";
import {
  beginLeaseCall,
  byName,
  checkAcquire,
  checkLease,
  checkLeases,
  checkPrefix,
  checkTtlMs,
} from "../../src/cluster/_check_lease.ts";
import type {
  Lease,
  LeaseEngine,
  LeaseInfo,
} from "../../src/cluster/lease_engine.ts";
import { describeValue } from "../../src/util/describe_value.ts";
import { importOptional } from "../runtime/import_optional.ts";
import {
  checkConnectionOptions,
  type NatsLink,
  openNats,
} from "./connect_nats.ts";
import { NatsConnectError } from "./nats_connect_error.ts";
import type { NatsConnectionOptions } from "./nats_connection_options.ts";
import { NatsLeaseEngineError } from "./nats_lease_engine_error.ts";
import { orAbort } from "../../src/util/or_abort.ts";
import { isWrongLastSequence } from "./_wrong_last_sequence.ts";

/**
 * Options for {@linkcode natsLeaseEngine}: how to reach the server (a
 * ready `connection`, or `url` and `connectOptions`), and the bucket.
 *
 * @example Three replicas in a cluster
 * ```ts
 * import type { NatsLeaseEngineOptions } from "@ca/streams/nats";
 *
 * const options: NatsLeaseEngineOptions = {
 *   url: ["nats://n1:4222", "nats://n2:4222", "nats://n3:4222"],
 *   bucket: "ca_leases",
 *   ttlMs: 10_000,
 *   replicas: 3,
 * };
 * if (options.replicas !== 3) throw new Error("unexpected");
 * ```
 */
export interface NatsLeaseEngineOptions extends NatsConnectionOptions {
  /**
   * The KV bucket (default `"ca_leases"`): letters, digits, `_` and `-`.
   * The engine creates it if missing, with `max_age` = `ttlMs`.
   */
  bucket?: string;
  /**
   * How long a lease lives without renewal, in ms (default 10000): the
   * bucket's `max_age`, so every engine on one bucket must use the same.
   */
  ttlMs?: number;
  /** Replicas of a bucket the engine creates (default 1; 1-5). */
  replicas?: number;
  /** Aborting it makes every call of the engine, pending or later, give up. */
  signal?: AbortSignal;
}

const DEFAULT_BUCKET = "ca_leases";
const DEFAULT_TTL_MS = 10_000;
const BUCKET_NAME = /^[-\w]+$/;
const WHERE = "NATS lease engine";

// Lease names map to KV keys one to one. A name's `/`-separated parts
// become the key's `.`-separated tokens, so `list("connector/")` reads only
// the keys below `connector.>`; in a part, the characters a key may not
// hold (`.`, `#`) are written `=2E`, `=23`, and an empty part (`a//b`,
// a leading or trailing `/`) is the token `=`.

function encodePart(part: string): string {
  if (part === "") return "=";
  return part.replace(
    /[^A-Za-z0-9_-]/g,
    (char) =>
      `=${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
}

function encodeKey(name: string): string {
  return name.split("/").map(encodePart).join(".");
}

function decodeKey(key: string): string {
  return key.split(".").map((token) =>
    token === "=" ? "" : token.replace(
      /=([0-9A-F]{2})/g,
      (_, hex: string) => String.fromCharCode(parseInt(hex, 16)),
    )
  ).join("/");
}

/** The keys filter of a prefix: its whole parts, then `>`. */
function keysFilter(prefix: string): string {
  const whole = prefix.split("/").slice(0, -1);
  return whole.length === 0 ? ">" : `${whole.map(encodePart).join(".")}.>`;
}

/**
 * A grant's token: the key's revision, and the holder, so a lease whose
 * holder was changed after it was granted is no grant at all.
 */
function tokenOf(revision: number, holder: string): string {
  return `${revision}:${holder}`;
}

/** The revision a lease's token proves, or `undefined` if it proves none. */
function revisionOf(lease: Lease): number | undefined {
  const colon = lease.token.indexOf(":");
  const revision = Number(lease.token.slice(0, colon));
  return colon > 0 && Number.isSafeInteger(revision) && revision > 0 &&
      lease.token.slice(colon + 1) === lease.holder
    ? revision
    : undefined;
}

/**
 * Creates a lease engine on a NATS JetStream KV bucket, for a cluster of
 * hosts that share a NATS server (2.9 or later). One key per lease; its
 * value holds the holder and the data.
 *
 * Expiry is the server's: the bucket's `max_age` is `ttlMs`, so the server
 * removes a key not rewritten within `ttlMs`, whoever's clock is wrong.
 * (NATS 2.9 has no per-key ttl, so every engine on a bucket must use the
 * same `ttlMs`; opening a bucket made with another `max_age` fails with a
 * {@linkcode NatsLeaseEngineError}.) Measured on nats-server 2.9.10 with a
 * ttl of 1, 1.5 and 2 s: a key not rewritten was gone, and `create()` of it
 * succeeded again, 5-25 ms after its ttl.
 *
 * - `acquire()` is `kv.create()`, which succeeds only for a key that does
 *   not exist (or was deleted): of concurrent acquires, one wins.
 * - `renew()` is `kv.update()` at the lease's revision: it fails once the
 *   key moved on (renewed, deleted, expired, taken). The new revision is
 *   the new token, so use the lease `renew()` returns. The batch's updates
 *   are sent together, in one round trip.
 * - `release()` is `kv.delete()` at the lease's revision, so it never
 *   frees a grant that came after.
 * - `list()` reads the keys below the prefix's whole `/`-parts, then their
 *   values.
 *
 * A call given up by `signal` stops waiting at once, but what it sent may
 * still happen (an acquired lease then expires unrenewed).
 *
 * @param options How to reach the server (`connection`, or `url` and
 * `connectOptions`), `bucket`, `ttlMs`, `replicas`, and a `signal` that
 * stops the whole engine. It connects (or takes the connection) and opens
 * the bucket on the first call; `close()` closes a connection it opened.
 * @returns A {@linkcode LeaseEngine} on the bucket.
 * @throws {TypeError} When an option is wrong.
 * @throws {RangeError} When `ttlMs` or `replicas` is out of range.
 *
 * @example Two hosts share one connector
 * ```ts ignore
 * import { natsLeaseEngine } from "@ca/streams/nats";
 *
 * const leases = natsLeaseEngine({ url: "nats://127.0.0.1:4222", ttlMs: 10_000 });
 * const lease = await leases.acquire("connector/orders", "host-a", '{"state":"starting"}');
 * if (lease !== undefined) {
 *   // run it, renewing every few seconds with the lease renew() returned:
 *   const [renewed] = await leases.renew([{ ...lease, data: '{"state":"running"}' }]);
 *   if (renewed === undefined) console.log("lost it: stop the connector");
 * }
 * console.log(await leases.list("connector/"));
 * await leases.close();
 * ```
 *
 * @example Options are checked at once
 * ```ts
 * import { natsLeaseEngine } from "@ca/streams/nats";
 *
 * let message = "";
 * try {
 *   natsLeaseEngine({ bucket: "no spaces" });
 * } catch (error) {
 *   message = (error as TypeError).message;
 * }
 * if (!message.startsWith("Cannot create NATS lease engine: bucket must be")) {
 *   throw new Error(message);
 * }
 * ```
 */
export function natsLeaseEngine(
  options: NatsLeaseEngineOptions = {},
): LeaseEngine {
  checkConnectionOptions(options, WHERE);
  const bucket = options.bucket ?? DEFAULT_BUCKET;
  if (typeof bucket !== "string" || !BUCKET_NAME.test(bucket)) {
    throw new TypeError(
      `Cannot create ${WHERE}: bucket must be letters, digits, _ and -, got ${
        describeValue(bucket)
      }`,
    );
  }
  const ttlMs = checkTtlMs(options.ttlMs, WHERE, DEFAULT_TTL_MS);
  const replicas = options.replicas ?? 1;
  if (
    typeof replicas !== "number" || !Number.isInteger(replicas) ||
    replicas < 1 || replicas > 5
  ) {
    throw new RangeError(
      `Cannot create ${WHERE}: replicas must be a whole number from 1 to 5, got ${
        describeValue(replicas)
      }`,
    );
  }
  const engineSignal = options.signal;
  let opening:
    | Promise<{ kv: KV; jsm: JetStreamManager; link: NatsLink }>
    | undefined;
  let closed = false;
  const pending = new Set<Promise<unknown>>();

  async function open(): Promise<
    { kv: KV; jsm: JetStreamManager; link: NatsLink }
  > {
    const link = await openNats(options, WHERE);
    try {
      const { Kvm } = await importOptional(
        () => import("@nats-io/kv"),
        "@nats-io/kv",
        `open the ${WHERE}`,
      );
      const kvm = new Kvm(link.nc);
      let kv: KV;
      try {
        // Opens the bucket if it exists (whatever its settings), else
        // creates it.
        kv = await kvm.create(bucket, { ttl: ttlMs, history: 1, replicas });
      } catch (error) {
        // Another engine created it at the same moment, perhaps with
        // another ttl: open what is there and check it below.
        kv = await kvm.open(bucket).catch(() => {
          throw error;
        });
      }
      const { ttl } = await kv.status();
      if (ttl !== ttlMs) throw new NatsLeaseEngineError(bucket, ttl, ttlMs);
      const { jetstreamManager } = await importOptional(
        () => import("@nats-io/jetstream"),
        "@nats-io/jetstream",
        `open the ${WHERE}`,
      );
      return { kv, jsm: await jetstreamManager(link.nc), link };
    } catch (error) {
      await link.release();
      if (
        error instanceof NatsLeaseEngineError ||
        (error as { code?: unknown }).code === "CA_ERR_MISSING_PACKAGE"
      ) {
        throw error;
      }
      throw new NatsConnectError(
        WHERE,
        link.server,
        `cannot open KV bucket ${bucket}: ${
          error instanceof Error ? error.message : error
        }`,
      );
    }
  }

  /** The bucket, opened once (again after a failure). */
  function bucketOf(signal: AbortSignal | undefined): Promise<KV> {
    opening ??= open();
    opening.catch(() => opening = undefined);
    return orAbort(opening.then(({ kv }) => kv), signal);
  }

  /** Runs a call, tracked so that `close()` waits for it. */
  function tracked<T>(
    doing: string,
    callSignal: AbortSignal | undefined,
    check: () => void,
    body: (kv: KV, signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> {
    let signal: AbortSignal | undefined;
    try {
      signal = beginLeaseCall(doing, closed, engineSignal, callSignal);
      check();
    } catch (error) {
      return Promise.reject(error);
    }
    const call = bucketOf(signal).then((kv) =>
      orAbort(body(kv, signal), signal)
    );
    pending.add(call);
    const forget = () => pending.delete(call);
    call.then(forget, forget);
    return call;
  }

  return {
    ttlMs,

    acquire(
      name: string,
      holder: string,
      data: string,
      callOptions?: StoreCallOptions,
    ): Promise<Lease | undefined> {
      return tracked(
        `acquire lease "${name}"`,
        callOptions?.signal,
        () => checkAcquire(name, holder, data),
        async (kv, signal) => {
          signal?.throwIfAborted();
          try {
            const revision = await kv.create(
              encodeKey(name),
              JSON.stringify({ holder, data }),
            );
            return { name, holder, token: tokenOf(revision, holder), data };
          } catch (error) {
            if (isWrongLastSequence(error)) return undefined; // the key exists
            throw error;
          }
        },
      );
    },

    renew(
      leases: readonly Lease[],
      callOptions?: StoreCallOptions,
    ): Promise<(Lease | undefined)[]> {
      return tracked(
        "renew leases",
        callOptions?.signal,
        () => checkLeases(leases),
        (kv, signal) => {
          signal?.throwIfAborted();
          // Sent together: the client writes every update before the first
          // answer comes back.
          return Promise.all(
            leases.map(async ({ name, holder, token, data }) => {
              const revision = revisionOf({ name, holder, token, data });
              if (revision === undefined) return undefined;
              try {
                const next = await kv.update(
                  encodeKey(name),
                  JSON.stringify({ holder, data }),
                  revision,
                );
                return { name, holder, token: tokenOf(next, holder), data };
              } catch (error) {
                if (isWrongLastSequence(error)) return undefined; // lost
                throw error;
              }
            }),
          );
        },
      );
    },

    release(lease: Lease, callOptions?: StoreCallOptions): Promise<void> {
      return tracked(
        `release lease "${lease?.name}"`,
        callOptions?.signal,
        () => checkLease(lease, "release"),
        async (kv, signal) => {
          signal?.throwIfAborted();
          const revision = revisionOf(lease);
          if (revision === undefined) return;
          try {
            await kv.delete(encodeKey(lease.name), { previousSeq: revision });
          } catch (error) {
            if (!isWrongLastSequence(error)) throw error; // else: not ours any more
          }
        },
      );
    },

    list(prefix: string, callOptions?: StoreCallOptions): Promise<LeaseInfo[]> {
      return tracked(
        "list leases",
        callOptions?.signal,
        () => checkPrefix(prefix),
        async (kv, signal) => {
          // The live keys, all at once, from the stream's subjects (what
          // max_age expired is gone from them): a consumer over keys that
          // are renewed while it reads can end early or repeat some.
          const { jsm } = await orAbort(opening!, signal);
          const subjectPrefix = `$KV.${bucket}.`;
          const info = await orAbort(
            jsm.streams.info(`KV_${bucket}`, {
              subjects_filter: `${subjectPrefix}${keysFilter(prefix)}`,
            }),
            signal,
          );
          const names = Object.keys(info.state.subjects ?? {})
            .map((subject) => decodeKey(subject.slice(subjectPrefix.length)))
            .filter((name) => name.startsWith(prefix));
          const found = await Promise.all(names.map(async (name) => {
            // A key may expire or be deleted between the two reads.
            const entry = await kv.get(encodeKey(name));
            if (entry === null || entry.operation !== "PUT") return undefined;
            const { holder, data } = entry.json<
              { holder: string; data: string }
            >();
            return { name, holder, data };
          }));
          return byName(
            found.filter((lease): lease is LeaseInfo => lease !== undefined),
          );
        },
      );
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...pending]);
      const opened = await opening?.catch(() => undefined);
      opening = undefined;
      await opened?.link.release();
    },
  };
}
