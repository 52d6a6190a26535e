// Copyright 2026 the @ca/streams authors. MIT license.
// The connection behind a Redis Streams source or sink: an injected client,
// or one opened from a URL and owned. Commands that fail because the
// connection is down are sent again with backoff while the client
// reconnects, up to reconnectTimeoutMs; errors Redis replies with are not.

import { sleep } from "../../src/util/sleep.ts";
import { importOptional } from "../runtime/import_optional.ts";
import type { RedisStreamClient } from "./redis_stream_client.ts";
import type { RedisStreamConnection } from "./redis_stream_connection.ts";
import { RedisStreamError } from "./redis_stream_error.ts";

/** What an owned client of the `redis` package offers besides sendCommand. */
interface OwnedClient extends RedisStreamClient {
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
  on(event: "error", listener: (error: unknown) => void): unknown;
}

/** How to send a command. */
export interface SendOptions {
  /** Gives up at once when it aborts (the command may still run). */
  signal?: AbortSignal;
  /** Bulk strings as bytes. */
  bytes?: boolean;
  /** Send again on connection errors (default true). */
  retry?: boolean;
  /** Called before the command is sent again after a connection error. */
  onRetry?: () => void;
}

const DEFAULT_RECONNECT_TIMEOUT_MS = 60_000;
// RESP_TYPES.BLOB_STRING of node-redis: the code of "$".
const BLOB_STRING = 36;

/** A URL with its password replaced by `***`, for messages. */
export function redactUrl(url: string | URL): string {
  if (!URL.canParse(String(url))) return "<an invalid URL>";
  const parsed = new URL(String(url));
  if (parsed.password !== "") parsed.password = "***";
  return parsed.href;
}

/**
 * Whether Redis replied with this error (`ERR ...`, `NOGROUP ...`,
 * `WRONGPASS ...`), as opposed to the connection failing.
 */
export function isReplyError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  for (
    let c = error.constructor;
    c && c !== Error;
    c = Object.getPrototypeOf(c)
  ) {
    if (c.name === "ErrorReply") return true;
  }
  return /^[A-Z][A-Z_]+ /.test(error.message);
}

/** Checks the connection options of a source or sink. */
export function checkConnection(
  what: string,
  options: RedisStreamConnection,
): void {
  const { client, url } = options;
  if (client !== undefined) {
    if (
      client === null || typeof client !== "object" ||
      typeof client.sendCommand !== "function"
    ) {
      throw new TypeError(
        `Cannot create ${what}: client must be a connected client of the redis package (createClient()), got ${
          client === null ? "null" : typeof client
        }`,
      );
    }
    if (url !== undefined) {
      throw new TypeError(
        `Cannot create ${what}: give either client or url, not both`,
      );
    }
  } else if (url === undefined) {
    throw new TypeError(
      `Cannot create ${what}: client or url is required (a connected redis client, or a redis:// URL)`,
    );
  } else {
    const text = String(url);
    if (
      !URL.canParse(text) ||
      !["redis:", "rediss:"].includes(new URL(text).protocol)
    ) {
      throw new TypeError(
        `Cannot create ${what}: url must be a redis:// or rediss:// URL, got ${
          JSON.stringify(redactUrl(text))
        }`,
      );
    }
  }
  const { clientOptions, reconnectTimeoutMs } = options;
  if (
    clientOptions !== undefined &&
    (clientOptions === null || typeof clientOptions !== "object")
  ) {
    throw new TypeError(
      `Cannot create ${what}: clientOptions must be an object`,
    );
  }
  if (
    reconnectTimeoutMs !== undefined &&
    (typeof reconnectTimeoutMs !== "number" || !(reconnectTimeoutMs >= 0))
  ) {
    throw new RangeError(
      `Cannot create ${what}: reconnectTimeoutMs must be a number of ms (0 or more), got ${reconnectTimeoutMs}`,
    );
  }
}

interface BufferClass {
  from(buffer: ArrayBufferLike, offset: number, length: number): Uint8Array;
}
let bufferClass: Promise<BufferClass> | undefined;

/** One connection of a connector: lazily opened, sent on, released. */
export class RedisLink {
  readonly #connector: string;
  readonly #options: RedisStreamConnection;
  readonly #reconnectTimeoutMs: number;
  #owned: Promise<OwnedClient> | undefined;
  /** Commands in flight. */
  #busy = 0;
  /** destroy() was called: no connection is opened any more. */
  #destroyed = false;

  constructor(connector: string, options: RedisStreamConnection) {
    this.#connector = connector;
    this.#options = options;
    this.#reconnectTimeoutMs = options.reconnectTimeoutMs ??
      DEFAULT_RECONNECT_TIMEOUT_MS;
  }

  /** Where it connects, for messages (the password redacted). */
  get address(): string {
    return this.#options.url === undefined
      ? "the Redis client given"
      : redactUrl(this.#options.url);
  }

  /** Whether commands are in flight. */
  get busy(): boolean {
    return this.#busy > 0;
  }

  /** The client: the injected one, or the owned one, connected on first use. */
  client(): Promise<RedisStreamClient> {
    const { client, url } = this.#options;
    if (client !== undefined) return Promise.resolve(client);
    if (this.#destroyed) {
      return Promise.reject(
        new RedisStreamError(
          this.#connector,
          `connect to ${this.address}`,
          "the connection was closed (the run was aborted)",
        ),
      );
    }
    this.#owned ??= this.#open(String(url)).catch((error) => {
      this.#owned = undefined;
      throw error;
    });
    return this.#owned;
  }

  async #open(url: string): Promise<OwnedClient> {
    const { createClient } = await importOptional(
      () => import("redis"),
      "redis",
      `run the ${this.#connector}`,
    );
    const extra = this.#options.clientOptions ?? {};
    let connected = false;
    const made = createClient({
      ...extra,
      url,
      socket: {
        ...(extra.socket as Record<string, unknown> | undefined),
        // The first connection fails fast (after 3 tries); once connected,
        // the client reconnects with backoff for as long as it takes.
        reconnectStrategy: (retries: number, cause: Error) =>
          !connected && retries >= 2
            ? cause
            : Math.min(50 * 2 ** retries, 2000),
      },
    }) as unknown as OwnedClient;
    // Without a listener an "error" event would end the process; the
    // failed commands reject anyway.
    made.on("error", () => {});
    try {
      await made.connect();
    } catch (error) {
      throw new RedisStreamError(
        this.#connector,
        `connect to ${redactUrl(url)}`,
        error,
      );
    }
    connected = true;
    return made;
  }

  /** Node's `Buffer`, which node-redis wants for bytes, loaded once. */
  #buffer(): Promise<BufferClass> {
    bufferClass ??= import("node:buffer").then(({ Buffer }) =>
      Buffer as unknown as BufferClass
    );
    return bufferClass;
  }

  /** The type mapping for bulk strings as bytes. */
  async #bytes(): Promise<object> {
    return { [BLOB_STRING]: await this.#buffer() };
  }

  /** Bytes as an argument node-redis takes (a `Buffer` over the same memory). */
  async bytesArgument(bytes: Uint8Array): Promise<Uint8Array> {
    const Buffer = await this.#buffer();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /**
   * Sends a command. Connection errors are retried with backoff (unless
   * `retry: false`) until `reconnectTimeoutMs` passed since the first one;
   * then, and for an error Redis replied with, it throws a
   * {@linkcode RedisStreamError} whose `cause` is the client's error.
   */
  async send(
    args: Array<string | Uint8Array>,
    options: SendOptions = {},
  ): Promise<unknown> {
    const { signal, retry = true } = options;
    this.#busy++;
    try {
      let deadline: number | undefined;
      for (let attempt = 0;; attempt++) {
        signal?.throwIfAborted();
        try {
          return await this.#sendOnce(args, options, deadline);
        } catch (error) {
          if (signal?.aborted) throw signal.reason;
          if (error instanceof RedisStreamError) throw error;
          const name = String(args[0]);
          if (isReplyError(error)) {
            throw new RedisStreamError(
              this.#connector,
              `run ${name} on ${this.address}`,
              error,
            );
          }
          deadline ??= Date.now() + this.#reconnectTimeoutMs;
          if (!retry || Date.now() >= deadline) {
            throw new RedisStreamError(
              this.#connector,
              `run ${name} on ${this.address}: the connection is down`,
              error,
            );
          }
          await sleep(
            Math.min(25 * 2 ** attempt, 1000, deadline - Date.now()),
            signal,
          );
          options.onRetry?.();
        }
      }
    } finally {
      this.#busy--;
    }
  }

  async #sendOnce(
    args: Array<string | Uint8Array>,
    options: SendOptions,
    deadline: number | undefined,
  ): Promise<unknown> {
    const client = await this.client();
    const { signal } = options;
    const commandOptions: { abortSignal?: AbortSignal; typeMapping?: object } =
      {};
    if (signal) commandOptions.abortSignal = signal;
    if (options.bytes) commandOptions.typeMapping = await this.#bytes();
    const sent = client.sendCommand(args, commandOptions);
    if (signal === undefined && deadline === undefined) return await sent;
    // Give up when the signal aborts, or (after a connection error) when
    // the client stays offline past the deadline.
    return await new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => reject(signal!.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (deadline !== undefined) {
        timer = setTimeout(
          () => reject(new Error("still offline")),
          Math.max(0, deadline - Date.now()),
        );
      }
      sent.then(resolve, reject).finally(() => {
        signal?.removeEventListener("abort", onAbort);
        clearTimeout(timer);
      });
    });
  }

  /** Closes an owned connection once its commands are answered. */
  async close(): Promise<void> {
    const owned = this.#owned;
    this.#owned = undefined;
    if (owned) {
      await (await owned.catch(() => undefined))?.close().catch(() => {});
    }
  }

  /**
   * Closes an owned connection at once, failing what is in flight; no
   * connection is opened after.
   */
  async destroy(): Promise<void> {
    this.#destroyed = true;
    const owned = this.#owned;
    this.#owned = undefined;
    if (owned) (await owned.catch(() => undefined))?.destroy();
  }
}
