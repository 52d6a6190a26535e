// Copyright 2026 the @ca/streams authors. MIT license.

import { beginCommit } from "../../src/checkpoint/begin_commit.ts";
import { beginStoreCall } from "../../src/checkpoint/begin_store_call.ts";
import type {
  Checkpoint,
  CheckpointStore,
  StoreCallOptions,
} from "../../src/checkpoint/checkpoint_store.ts";
import { FencedError } from "../../src/checkpoint/fenced_error.ts";
import type { Position } from "../../src/checkpoint/position.ts";
import { importOptional } from "../runtime/import_optional.ts";

/**
 * The one method of a Redis client the store uses: a connected client of
 * the `redis` package (node-redis 5 or 6, `createClient()`) fits, and so
 * does its `RedisClientPool`. Replies must be plain RESP (no type mapping
 * of integers or arrays).
 *
 * @example A stand-in client, as a unit test injects one
 * ```ts
 * import { redisStore } from "@ca/streams/redis";
 * import type { RedisCommandClient } from "@ca/streams/redis";
 *
 * const sent: string[][] = [];
 * const client: RedisCommandClient = {
 *   async sendCommand(args) {
 *     sent.push(args);
 *     return [1]; // the acquire script's reply: generation 1, no position yet
 *   },
 * };
 * const { generation, position } = await redisStore(client).acquire("orders");
 * if (generation !== 1 || position !== undefined || sent[0]?.[0] !== "EVALSHA") {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export interface RedisCommandClient {
  /** Sends one command, such as `["HGET", key, field]`, and resolves to its reply. */
  sendCommand(
    args: string[],
    options?: { abortSignal?: AbortSignal },
  ): Promise<unknown>;
}

/**
 * Options for {@linkcode redisStore}.
 *
 * @example Keys under a prefix of your own
 * ```ts
 * import { redisStore } from "@ca/streams/redis";
 * import type { RedisStoreOptions } from "@ca/streams/redis";
 *
 * const sent: string[] = [];
 * const client = { // a stand-in for a client of the redis package
 *   async sendCommand(args: string[]) {
 *     sent.push(args.join(" "));
 *     return [null, null]; // HMGET of a key that does not exist
 *   },
 * };
 * const options: RedisStoreOptions = { prefix: "shop:checkpoints:" };
 * const { generation } = await redisStore(client, options).get("orders");
 * if (generation !== 0 || sent[0] !== "HMGET shop:checkpoints:orders generation position") {
 *   throw new Error(`unexpected ${sent}`);
 * }
 * ```
 */
export interface RedisStoreOptions {
  /** Prepended to every id to make its key (default `"ca:checkpoint:"`). */
  prefix?: string;
  /** Aborting it makes every call of the store, pending or later, give up. */
  signal?: AbortSignal;
}

/** A Lua script run with EVALSHA, falling back to EVAL when not cached. */
interface Script {
  source: string;
  sha?: Promise<string>;
}

// Each script touches one key, so the store works on Redis Cluster too.
const ACQUIRE: Script = {
  source: `local g = redis.call('HINCRBY', KEYS[1], 'generation', 1)
local p = redis.call('HGET', KEYS[1], 'position')
if p then return {g, p} end
return {g}`,
};

const COMMIT: Script = {
  source: `local g = tonumber(redis.call('HGET', KEYS[1], 'generation') or '0')
if g == 0 or g ~= tonumber(ARGV[1]) then return {0, g} end
redis.call('HSET', KEYS[1], 'position', ARGV[2])
return {1}`,
};

const DELETE: Script = {
  source: `if redis.call('HEXISTS', KEYS[1], 'generation') == 1 then
  redis.call('HDEL', KEYS[1], 'position')
  redis.call('HINCRBY', KEYS[1], 'generation', 1)
end
return 0`,
};

const DEFAULT_PREFIX = "ca:checkpoint:";
const decoder = new TextDecoder();

async function sha1(text: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-1",
    new TextEncoder().encode(text),
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/** A bulk-string reply as text (a client may map them to buffers). */
function text(reply: unknown): string | undefined {
  if (reply === null || reply === undefined) return undefined;
  if (typeof reply === "string") return reply;
  if (reply instanceof Uint8Array) return decoder.decode(reply);
  return String(reply);
}

function integer(reply: unknown): number {
  const n = typeof reply === "number" ? reply : Number(text(reply));
  if (!Number.isSafeInteger(n)) {
    throw new TypeError(
      `Cannot read checkpoint: Redis replied ${
        String(reply)
      } where an integer was expected`,
    );
  }
  return n;
}

function parsePosition(json: string | undefined): Position | undefined {
  return json === undefined ? undefined : JSON.parse(json);
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}

/**
 * Creates a checkpoint store in Redis: one hash per pipeline id, at
 * `prefix + id`, with fields `generation` and `position` (JSON text). Each
 * change is one Lua script (EVALSHA, then EVAL when the script is not
 * cached), so fencing is atomic however many processes share the server.
 *
 * Pass a connected client of the `redis` package: the store sends commands
 * on it and leaves it open on `close()`. Or pass a `redis://` URL: the
 * store then loads the `redis` package, connects on first use and closes
 * the connection in `close()`.
 *
 * A commit is as durable as the server makes it: for commits that survive
 * a Redis crash, run it with `appendonly yes` and `appendfsync always`.
 *
 * @param client A connected `redis` client, or a URL to connect to.
 * @param options `prefix`, and a `signal` that stops the whole store.
 * @returns A {@linkcode CheckpointStore} backed by Redis.
 *
 * @example Share one client with the rest of the program
 * ```ts ignore
 * import { createClient } from "redis";
 * import { redisStore } from "@ca/streams/redis";
 *
 * const client = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
 * const store = redisStore(client, { prefix: "shop:checkpoints:" });
 * const { position, generation } = await store.acquire("orders");
 * console.log("resume after", position);
 * await store.commit("orders", { offset: 42 }, generation);
 * await client.close();
 * ```
 *
 * @example Let the store own its connection
 * ```ts ignore
 * import { redisStore } from "@ca/streams/redis";
 *
 * const store = redisStore("redis://127.0.0.1:6379");
 * const { generation } = await store.acquire("orders");
 * await store.commit("orders", 7, generation);
 * await store.close?.(); // closes the connection it opened
 * ```
 */
export function redisStore(
  client: RedisCommandClient | string | URL,
  options: RedisStoreOptions = {},
): CheckpointStore {
  const ownsClient = typeof client === "string" || client instanceof URL;
  if (
    !ownsClient &&
    (client === null || typeof client !== "object" ||
      typeof client.sendCommand !== "function")
  ) {
    throw new TypeError(
      "Cannot create Redis store: client must be a connected redis client (createClient() from the redis package) or a redis:// URL",
    );
  }
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== "string") {
    throw new TypeError("Cannot create Redis store: prefix must be a string");
  }
  const storeSignal = options.signal;
  let closed = false;
  const shas = new Map<Script, Promise<string>>();

  type OwnedClient = RedisCommandClient & { close(): Promise<void> };
  let owned: Promise<OwnedClient> | undefined;
  function connection(): Promise<RedisCommandClient> {
    if (!ownsClient) return Promise.resolve(client as RedisCommandClient);
    owned ??= (async () => {
      const { createClient } = await importOptional(
        () => import("redis"),
        "redis",
        "open the redis store",
      );
      let connected = false;
      const made = createClient({
        url: String(client),
        socket: {
          // The first connection fails fast (after 3 tries); once connected,
          // the client reconnects for as long as it takes, queueing commands.
          reconnectStrategy: (retries: number, cause: Error) =>
            !connected && retries >= 2
              ? cause
              : Math.min(50 * 2 ** retries, 2000),
        },
      });
      // Without a listener an "error" event would end the process; the
      // failed command rejects anyway.
      made.on("error", () => {});
      await made.connect();
      connected = true;
      return made as unknown as OwnedClient;
    })().catch((error) => {
      owned = undefined;
      throw error;
    });
    return owned;
  }

  function start(verb: string, id: string, callSignal?: AbortSignal) {
    return beginStoreCall(verb, id, closed, storeSignal, callSignal);
  }

  /**
   * Sends a command, giving up when `signal` aborts: a command not yet
   * written is dropped by the client; one already sent may still apply.
   */
  async function send(
    args: string[],
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const redis = await connection();
    if (signal === undefined) return await redis.sendCommand(args);
    signal.throwIfAborted();
    return await new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      redis.sendCommand(args, { abortSignal: signal }).then(resolve, reject)
        .finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  async function run(
    script: Script,
    key: string,
    args: string[],
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    let sha = shas.get(script);
    if (sha === undefined) {
      sha = sha1(script.source);
      shas.set(script, sha);
    }
    try {
      return await send(["EVALSHA", await sha, "1", key, ...args], signal);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return await send(["EVAL", script.source, "1", key, ...args], signal);
    }
  }

  return {
    async get(id: string, options?: StoreCallOptions): Promise<Checkpoint> {
      const signal = start("read", id, options?.signal);
      const reply = await send(
        ["HMGET", prefix + id, "generation", "position"],
        signal,
      ) as unknown[];
      const generation = text(reply[0]);
      return {
        position: parsePosition(text(reply[1])),
        generation: generation === undefined ? 0 : integer(generation),
      };
    },

    async acquire(id: string, options?: StoreCallOptions): Promise<Checkpoint> {
      const signal = start("acquire", id, options?.signal);
      const reply = await run(ACQUIRE, prefix + id, [], signal) as unknown[];
      return {
        position: parsePosition(text(reply[1])),
        generation: integer(reply[0]),
      };
    },

    async commit(
      id: string,
      position: Position,
      generation: number,
      options?: StoreCallOptions,
    ): Promise<void> {
      const call = beginCommit(start, id, position, options, generation);
      const reply = await run(
        COMMIT,
        prefix + id,
        [String(generation), call.json],
        call.signal,
      ) as unknown[];
      if (integer(reply[0]) !== 1) {
        throw new FencedError(id, generation, integer(reply[1]));
      }
    },

    async delete(id: string, options?: StoreCallOptions): Promise<void> {
      const signal = start("delete", id, options?.signal);
      await run(DELETE, prefix + id, [], signal);
    },

    async close(): Promise<void> {
      closed = true;
      const pending = owned;
      owned = undefined;
      if (pending) await (await pending.catch(() => undefined))?.close();
    },
  };
}
