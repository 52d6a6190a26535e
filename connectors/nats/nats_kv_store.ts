// Copyright 2026 the @ca/streams authors. MIT license.

import type { KV } from "@nats-io/kv";
import { beginCommit } from "../../src/checkpoint/begin_commit.ts";
import { beginStoreCall } from "../../src/checkpoint/begin_store_call.ts";
import type {
  Checkpoint,
  CheckpointStore,
  StoreCallOptions,
} from "../../src/checkpoint/checkpoint_store.ts";
import { FencedError } from "../../src/checkpoint/fenced_error.ts";
import type { Position } from "../../src/checkpoint/position.ts";
import { sleep } from "../../src/util/sleep.ts";
import { importOptional } from "../runtime/import_optional.ts";
import {
  checkConnectionOptions,
  type NatsLink,
  openNats,
} from "./connect_nats.ts";
import type { NatsConnectionOptions } from "./nats_connection_options.ts";
import { NatsConnectError } from "./nats_connect_error.ts";
import { orAbort } from "../../src/util/or_abort.ts";
import { base64url } from "./_base64url.ts";
import { isWrongLastSequence } from "./_wrong_last_sequence.ts";

const decoder = new TextDecoder();

const CONNECTOR = "the nats-kv checkpoint store";
const DEFAULT_BUCKET = "ca_checkpoints";
/** A compare-and-set lost this many times in a row gives up. */
const MAX_ATTEMPTS = 100;

/**
 * Options for {@linkcode natsKvStore}: how to reach NATS (a ready
 * `connection`, or `url` and `connectOptions`), the bucket, and a signal
 * that stops the whole store.
 *
 * @example A bucket of its own, replicated on a three-server cluster
 * ```ts
 * import { natsKvStore } from "@ca/streams/nats";
 * import type { NatsKvStoreOptions } from "@ca/streams/nats";
 *
 * const options: NatsKvStoreOptions = {
 *   url: ["nats://n1:4222", "nats://n2:4222", "nats://n3:4222"],
 *   bucket: "shop_checkpoints",
 *   replicas: 3,
 * };
 * const store = natsKvStore(options); // connects on the first call
 * await store.close?.();
 * ```
 */
export interface NatsKvStoreOptions extends NatsConnectionOptions {
  /**
   * The KV bucket (default `"ca_checkpoints"`): letters, digits, `-` and
   * `_`. Created on first use when missing (history 1, file storage, reads
   * from the stream's leader); an existing bucket is used as it is.
   */
  bucket?: string;
  /** Replicas of a bucket the store creates (default 1; 3 or 5 on a cluster). */
  replicas?: number;
  /** Aborting it makes every call of the store, pending or later, give up. */
  signal?: AbortSignal;
}

/**
 * The checkpoint key's value as the store reads it: revision 0 for a key
 * never written.
 */
interface Entry {
  revision: number;
  /** The generation that sealed it: the newest whose commits it takes. */
  generation: number;
  /** The position's JSON text; `undefined` for none. */
  position: string | undefined;
}

/** The generation key's value: revision 0 for a key never written. */
interface Ticket {
  revision: number;
  /** The newest generation handed out. */
  generation: number;
  /** The generation of the last `delete()` (0 for none). */
  cleared: number;
}

/**
 * The keys of `id`: `c_` (the checkpoint) and `g_` (the generation counter)
 * before the base64url of the id, so any id, the empty one too, makes
 * valid keys and keys of different ids differ.
 */
function keysOf(id: string): { checkpoint: string; ticket: string } {
  const encoded = base64url(id);
  return { checkpoint: `c_${encoded}`, ticket: `g_${encoded}` };
}

/** The checkpoint key's value for a generation and a position (JSON text or none). */
function valueOf(generation: number, position: string | undefined): string {
  return position === undefined
    ? `{"generation":${generation}}`
    : `{"generation":${generation},"position":${position}}`;
}

/**
 * Creates a checkpoint store in a NATS KV bucket (JetStream), so a cluster
 * of hosts needs nothing but NATS. Each pipeline id has two keys (`c_` and
 * `g_` before the base64url of the id, so ids may hold any character): the
 * checkpoint, `{"generation":n,"position":...}`, where `generation` is the
 * one whose commits it takes, and the generation counter, written only by
 * `acquire()` and `delete()`.
 *
 * Every write is a compare-and-set on the key's revision (JetStream's
 * expected last subject sequence), read again and retried when another
 * change came first. `acquire()` takes the next generation from the
 * counter, then seals the checkpoint with it, keeping its position;
 * `commit()` writes only over a checkpoint sealed by its own generation, so
 * once `acquire()` returned, an older generation's commit finds the seal
 * and throws {@linkcode FencedError}. Commits check the counter beside
 * their write (no extra round trip) and stop once a newer generation is
 * taken, so an instance committing without pause cannot keep a new one
 * from sealing. Fencing holds across any number of processes, and a call
 * resolves once the server stored the change (as durable as the bucket's
 * storage and replicas make it). A call given up by `signal` stops
 * waiting; a change already sent may still be stored.
 *
 * Pass a `connection` (the store uses it and leaves it open) or `url` and
 * `connectOptions` (the store connects on first use with
 * `@nats-io/transport-node` and closes the connection in `close()`). The
 * `@nats-io/kv` package loads on first use. An unreachable server, refused
 * credentials or a server without JetStream fail the call with a
 * `NatsConnectError` (`CA_ERR_NATS_CONNECT`).
 *
 * @param options The connection, `bucket`, `replicas` and a `signal`.
 * @returns A {@linkcode CheckpointStore} backed by the bucket.
 *
 * @example Keep checkpoints in NATS
 * ```ts ignore
 * import { natsKvStore } from "@ca/streams/nats";
 *
 * const store = natsKvStore({ url: "nats://127.0.0.1:4222" });
 * const { position, generation } = await store.acquire("orders");
 * console.log("resume after", position);
 * await store.commit("orders", { offset: 42 }, generation);
 * await store.close?.(); // closes the connection it opened
 * ```
 *
 * @example Share the program's connection
 * ```ts ignore
 * import { connect } from "@nats-io/transport-node";
 * import { natsKvStore } from "@ca/streams/nats";
 *
 * const nc = await connect({ servers: "127.0.0.1:4222" });
 * const store = natsKvStore({ connection: nc, bucket: "shop_checkpoints" });
 * const { generation } = await store.acquire("orders");
 * await store.commit("orders", 7, generation);
 * await store.close?.(); // leaves nc open
 * await nc.close();
 * ```
 */
export function natsKvStore(options: NatsKvStoreOptions = {}): CheckpointStore {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      "Cannot create the nats-kv checkpoint store: options must be an object",
    );
  }
  checkConnectionOptions(options, "the nats-kv checkpoint store");
  const bucket = options.bucket ?? DEFAULT_BUCKET;
  if (typeof bucket !== "string" || !/^[-\w]+$/.test(bucket)) {
    throw new TypeError(
      `Cannot create the nats-kv checkpoint store: bucket must be a name of letters, digits, - and _, got ${
        JSON.stringify(bucket)
      }`,
    );
  }
  const replicas = options.replicas ?? 1;
  if (!Number.isSafeInteger(replicas) || replicas < 1 || replicas > 5) {
    throw new RangeError(
      `Cannot create the nats-kv checkpoint store: replicas must be an integer from 1 to 5, got ${replicas}`,
    );
  }
  const storeSignal = options.signal;
  let closed = false;
  let link: Promise<NatsLink> | undefined;
  /** Whether `link` has its connection. */
  let connected = false;
  let opened: Promise<KV> | undefined;
  /** What this store last wrote or read of each checkpoint key: a commit tries it first. */
  const known = new Map<string, Entry>();
  /** A generation newer than those this store's commits may write, per id. */
  const fencedBy = new Map<string, number>();

  function start(verb: string, id: string, callSignal?: AbortSignal) {
    return beginStoreCall(verb, id, closed, storeSignal, callSignal);
  }

  /** The bucket, opened (and created when missing) on first use. */
  function kv(): Promise<KV> {
    opened ??= (async () => {
      link ??= openNats(options, CONNECTOR).then((made) => {
        connected = true;
        return made;
      }, (error) => {
        link = undefined; // the next call tries again
        throw error;
      });
      const { nc, server } = await link;
      const { Kvm } = await importOptional(
        () => import("@nats-io/kv"),
        "@nats-io/kv",
        "open the nats-kv checkpoint store",
      );
      try {
        return await new Kvm(nc).create(bucket, {
          history: 1,
          replicas,
          // Reads from the leader: a get right after a change sees it.
          allow_direct: false,
        });
      } catch (error) {
        throw new NatsConnectError(
          CONNECTOR,
          `${server} (bucket "${bucket}")`,
          error,
        );
      }
    })();
    opened.catch(() => opened = undefined);
    return opened;
  }

  /** Reads a key: its revision and its JSON value; revision 0 and `undefined` for none. */
  async function readKey(
    bucketKv: KV,
    id: string,
    key: string,
    signal: AbortSignal | undefined,
  ): Promise<{ revision: number; value: Record<string, unknown> | undefined }> {
    const entry = await orAbort(bucketKv.get(key), signal);
    if (entry === null) return { revision: 0, value: undefined };
    // Deleted or purged by someone else: the key starts again.
    if (entry.operation !== "PUT") {
      return { revision: entry.revision, value: undefined };
    }
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(entry.value));
    } catch {
      value = undefined;
    }
    const generation = (value as { generation?: unknown } | null)?.generation;
    if (!Number.isSafeInteger(generation)) {
      throw new TypeError(
        `Cannot read checkpoint of "${id}": the key ${key} of bucket "${bucket}" holds no checkpoint`,
      );
    }
    return {
      revision: entry.revision,
      value: value as Record<string, unknown>,
    };
  }

  /** The checkpoint key of `id`. */
  async function readCheckpoint(
    bucketKv: KV,
    id: string,
    signal: AbortSignal | undefined,
  ): Promise<Entry> {
    const { revision, value } = await readKey(
      bucketKv,
      id,
      keysOf(id).checkpoint,
      signal,
    );
    const entry: Entry = {
      revision,
      generation: (value?.generation as number | undefined) ?? 0,
      position: value !== undefined && "position" in value
        ? JSON.stringify(value.position)
        : undefined,
    };
    known.set(id, entry);
    return entry;
  }

  /** The generation key of `id`. */
  async function readTicket(
    bucketKv: KV,
    id: string,
    signal: AbortSignal | undefined,
  ): Promise<Ticket> {
    const { revision, value } = await readKey(
      bucketKv,
      id,
      keysOf(id).ticket,
      signal,
    );
    const cleared = value?.cleared;
    return {
      revision,
      generation: (value?.generation as number | undefined) ?? 0,
      cleared: Number.isSafeInteger(cleared) ? cleared as number : 0,
    };
  }

  /**
   * Writes `value` at `key` if the key is still at `revision` (0: the key
   * does not exist). Resolves to the new revision, or `undefined` when
   * another change came first.
   */
  async function put(
    bucketKv: KV,
    key: string,
    revision: number,
    value: string,
    signal: AbortSignal | undefined,
  ): Promise<number | undefined> {
    try {
      return await orAbort(
        bucketKv.put(key, value, { previousSeq: revision }),
        signal,
      );
    } catch (error) {
      if (isWrongLastSequence(error)) return undefined;
      throw error;
    }
  }

  /** Writes the checkpoint key over `entry`; the entry written, or `undefined` when another change came first. */
  async function putCheckpoint(
    bucketKv: KV,
    id: string,
    over: Entry,
    generation: number,
    position: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Entry | undefined> {
    const revision = await put(
      bucketKv,
      keysOf(id).checkpoint,
      over.revision,
      valueOf(generation, position),
      signal,
    );
    if (revision === undefined) return undefined;
    const entry = { revision, generation, position };
    known.set(id, entry);
    return entry;
  }

  /**
   * Runs a compare-and-set `step` until it settles: each lost race waits
   * a moment (longer the more it lost), then reads and tries again.
   */
  async function untilSettled<T>(
    verb: string,
    id: string,
    signal: AbortSignal | undefined,
    step: (attempt: number) => Promise<{ done: T } | undefined>,
  ): Promise<T> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (attempt > 1) {
        await sleep(Math.random() * Math.min(2 ** attempt, 100), signal);
      }
      const result = await step(attempt);
      if (result !== undefined) return result.done;
    }
    throw new Error(
      `Cannot ${verb} checkpoint of "${id}": another change came first ${MAX_ATTEMPTS} times in a row`,
    );
  }

  /**
   * Takes the next generation of `id` from its generation key (only
   * `acquire()` and `delete()` write it), marking it a delete when
   * `clearing`. Resolves to the generation and the last delete's.
   */
  function takeGeneration(
    bucketKv: KV,
    verb: string,
    id: string,
    clearing: boolean,
    signal: AbortSignal | undefined,
  ): Promise<{ generation: number; cleared: number } | undefined> {
    return untilSettled(verb, id, signal, async () => {
      const ticket = await readTicket(bucketKv, id, signal);
      // Deleting an id never acquired changes nothing.
      if (clearing && ticket.revision === 0) return { done: undefined };
      const generation = ticket.generation + 1;
      const cleared = clearing ? generation : ticket.cleared;
      const written = await put(
        bucketKv,
        keysOf(id).ticket,
        ticket.revision,
        cleared === 0
          ? `{"generation":${generation}}`
          : `{"generation":${generation},"cleared":${cleared}}`,
        signal,
      );
      return written === undefined
        ? undefined
        : { done: { generation, cleared } };
    });
  }

  /**
   * Seals the checkpoint key with `generation`: from then on it refuses
   * commits of older generations. Keeps the stored position, unless a
   * delete came after it was written. Resolves to the checkpoint as the
   * holder of `generation` finds it.
   */
  function seal(
    bucketKv: KV,
    verb: string,
    id: string,
    taken: { generation: number; cleared: number },
    signal: AbortSignal | undefined,
  ): Promise<Entry> {
    return untilSettled(verb, id, signal, async () => {
      const entry = await readCheckpoint(bucketKv, id, signal);
      // A newer generation sealed it already: this one is fenced anyway.
      if (entry.generation >= taken.generation) return { done: entry };
      const position = taken.cleared > entry.generation
        ? undefined
        : entry.position;
      const written = await putCheckpoint(
        bucketKv,
        id,
        entry,
        taken.generation,
        position,
        signal,
      );
      return written && { done: written };
    });
  }

  return {
    async get(id: string, callOptions?: StoreCallOptions): Promise<Checkpoint> {
      const signal = start("read", id, callOptions?.signal);
      const entry = await readCheckpoint(
        await orAbort(kv(), signal),
        id,
        signal,
      );
      return {
        position: entry.position === undefined
          ? undefined
          : JSON.parse(entry.position),
        generation: entry.generation,
      };
    },

    async acquire(
      id: string,
      callOptions?: StoreCallOptions,
    ): Promise<Checkpoint> {
      const signal = start("acquire", id, callOptions?.signal);
      const bucketKv = await orAbort(kv(), signal);
      const taken = await takeGeneration(
        bucketKv,
        "acquire",
        id,
        false,
        signal,
      );
      const entry = await seal(bucketKv, "acquire", id, taken!, signal);
      return {
        position: entry.position === undefined
          ? undefined
          : JSON.parse(entry.position),
        generation: taken!.generation,
      };
    },

    async commit(
      id: string,
      position: Position,
      generation: number,
      callOptions?: StoreCallOptions,
    ): Promise<void> {
      const call = beginCommit(start, id, position, callOptions, generation);
      const bucketKv = await orAbort(kv(), call.signal);
      await untilSettled("commit", id, call.signal, async (attempt) => {
        const newer = fencedBy.get(id) ?? 0;
        if (newer > generation) throw new FencedError(id, generation, newer);
        // The generation key says whether a newer instance is taking over;
        // read beside the write, it costs no round trip.
        const ticket = readTicket(bucketKv, id, call.signal);
        ticket.catch(() => {});
        // First over the revision this store last saw, when it was sealed
        // by this generation: one round trip while nobody else writes.
        const last = known.get(id);
        const entry = attempt === 0 && last?.generation === generation
          ? last
          : await readCheckpoint(bucketKv, id, call.signal);
        // No store hands out generation 0, so no instance holds it.
        if (entry.generation !== generation || generation < 1) {
          const current = Math.max(
            entry.generation,
            (await ticket).generation,
          );
          throw new FencedError(id, generation, current);
        }
        const written = await putCheckpoint(
          bucketKv,
          id,
          entry,
          generation,
          call.json,
          call.signal,
        );
        // A newer instance took a generation: it seals the checkpoint
        // soon. Commits that would compete with it are refused from now on,
        // so it does not wait behind them.
        const taken = (await ticket).generation;
        if (taken > generation) fencedBy.set(id, taken);
        return written && { done: undefined };
      });
    },

    async delete(id: string, callOptions?: StoreCallOptions): Promise<void> {
      const signal = start("delete", id, callOptions?.signal);
      const bucketKv = await orAbort(kv(), signal);
      const taken = await takeGeneration(bucketKv, "delete", id, true, signal);
      if (taken !== undefined) {
        await seal(bucketKv, "delete", id, taken, signal);
      }
    },

    async close(): Promise<void> {
      closed = true;
      known.clear();
      fencedBy.clear();
      const pending = link;
      link = undefined;
      opened = undefined;
      if (pending === undefined) return;
      // Every call waited for its reply: nothing to flush.
      const released = pending.then(
        (made) => made.release({ flush: false }),
        () => {},
      );
      // A connect still under way is let go of once it ends: close() does
      // not wait out the client's connect timeout.
      if (connected) await released;
    },
  };
}
