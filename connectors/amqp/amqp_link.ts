// Copyright 2026 the @ca/streams authors. MIT license.
// Internal to the AMQP connectors: the connection they use (given or owned),
// the parts of amqplib's channels they call, and reconnect backoff.

import { importOptional } from "../runtime/import_optional.ts";
import type { AmqpConnectionLike } from "./amqp_connection_like.ts";
import { AmqpError } from "./amqp_error.ts";
import { orAbort } from "../../src/util/or_abort.ts";

/** Message properties, as amqplib gives and takes them. */
export interface AmqpProperties {
  contentType?: string;
  contentEncoding?: string;
  headers?: Record<string, unknown>;
  messageId?: string;
  timestamp?: number;
  persistent?: boolean;
  mandatory?: boolean;
}

/** A delivered message, as amqplib gives it. */
export interface AmqpDelivery {
  content: Uint8Array;
  fields: {
    deliveryTag: number;
    redelivered: boolean;
    exchange: string;
    routingKey: string;
  };
  properties: AmqpProperties;
}

/** An event emitter, as amqplib's channels and connections are. */
interface Emitter {
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
}

/** The channel methods the connectors call. */
export interface AmqpChannel extends Emitter {
  close(): Promise<void>;
  prefetch(count: number, global?: boolean): Promise<unknown>;
  assertQueue(queue: string, options?: Record<string, unknown>): Promise<
    { queue: string; messageCount: number; consumerCount: number }
  >;
  checkQueue(queue: string): Promise<
    { queue: string; messageCount: number; consumerCount: number }
  >;
  consume(
    queue: string,
    onMessage: (message: AmqpDelivery | null) => void,
    options?: Record<string, unknown>,
  ): Promise<{ consumerTag: string }>;
  cancel(consumerTag: string): Promise<unknown>;
  ack(message: { fields: { deliveryTag: number } }, allUpTo?: boolean): void;
  nack(
    message: { fields: { deliveryTag: number } },
    allUpTo?: boolean,
    requeue?: boolean,
  ): void;
  reject(message: { fields: { deliveryTag: number } }, requeue?: boolean): void;
}

/** The confirm channel methods the sink calls. */
export interface AmqpConfirmChannel extends Emitter {
  close(): Promise<void>;
  publish(
    exchange: string,
    routingKey: string,
    content: Uint8Array,
    options?: AmqpProperties,
  ): boolean;
  waitForConfirms(): Promise<void>;
}

/** How the connectors reach the broker. */
export interface AmqpLinkOptions {
  /** A connection to use (never closed by the connector). */
  connection?: AmqpConnectionLike;
  /** Or a URL to open a connection from (closed by the connector). */
  url?: string | URL;
  /** amqplib's socket options for an owned connection (TLS, credentials...). */
  clientOptions?: Record<string, unknown>;
  /** Reconnect backoff of an owned connection, in ms. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
}

/** A connection the connector uses, and whether it must close it. */
export interface AmqpLink {
  /** The broker's address, password redacted, for errors. */
  readonly address: string;
  /** Opens a channel (waits while an owned connection reconnects). */
  channel(confirm: boolean, signal: AbortSignal): Promise<unknown>;
  /** Set once the connection is gone for good: reopening cannot help. */
  readonly failure: Error | undefined;
  /** Makes a bytes buffer amqplib accepts. */
  buffer(bytes: Uint8Array | string): Uint8Array;
  /** Closes an owned connection; leaves a given one open. */
  close(): Promise<void>;
}

/** The default first and longest wait between reconnect attempts, in ms. */
export const RECONNECT_DEFAULTS = { initialDelayMs: 100, maxDelayMs: 5000 };

/** The URL with its password replaced by `***`. */
export function redactUrl(url: string | URL): string {
  try {
    const parsed = new URL(String(url));
    if (parsed.password !== "") parsed.password = "***";
    return parsed.href.replace(/\/$/, "");
  } catch {
    return "an AMQP URL that does not parse";
  }
}

/** Checks the connection options of a connector at creation. */
export function checkLinkOptions(
  connector: string,
  options: AmqpLinkOptions,
): void {
  const { connection, url } = options;
  if ((connection === undefined) === (url === undefined)) {
    throw new TypeError(
      `Cannot create ${connector}: give exactly one of connection (an amqplib connection) or url (an amqp:// or amqps:// URL)`,
    );
  }
  if (connection !== undefined) {
    if (
      connection === null || typeof connection !== "object" ||
      typeof connection.createChannel !== "function" ||
      typeof connection.createConfirmChannel !== "function"
    ) {
      throw new TypeError(
        `Cannot create ${connector}: connection must be an amqplib connection (what connect() resolves to)`,
      );
    }
  }
  if (url !== undefined) {
    const text = String(url);
    if (
      !URL.canParse(text) ||
      !["amqp:", "amqps:"].includes(new URL(text).protocol)
    ) {
      throw new TypeError(
        `Cannot create ${connector}: url must be an amqp:// or amqps:// URL, got ${
          JSON.stringify(redactUrl(text))
        }`,
      );
    }
  }
  const { clientOptions } = options;
  if (
    clientOptions !== undefined &&
    (clientOptions === null || typeof clientOptions !== "object")
  ) {
    throw new TypeError(
      `Cannot create ${connector}: clientOptions must be an object of amqplib socket options`,
    );
  }
  for (const name of ["initialDelayMs", "maxDelayMs"] as const) {
    const value = options.reconnect?.[name];
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      throw new RangeError(
        `Cannot create ${connector}: reconnect.${name} must be a non-negative number of milliseconds, got ${value}`,
      );
    }
  }
}

/** An error of the broker closing a channel on purpose (a 4xx reply code). */
export function isChannelRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" && code >= 400 && code < 600;
}

/** Waits `ms`, or less when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** The wait before reconnect attempt `attempt` (from 1), with jitter. */
export function backoff(
  attempt: number,
  options: AmqpLinkOptions["reconnect"],
): number {
  const initial = options?.initialDelayMs ?? RECONNECT_DEFAULTS.initialDelayMs;
  const max = Math.max(
    initial,
    options?.maxDelayMs ?? RECONNECT_DEFAULTS.maxDelayMs,
  );
  const base = Math.min(max, initial * 2 ** (attempt - 1));
  return Math.round(base * (0.8 + Math.random() * 0.2));
}

/** A channel being opened; closed when it comes after `signal` aborted. */
function openChannel(
  opening: Promise<unknown>,
  signal: AbortSignal,
): Promise<unknown> {
  opening.then((channel) => {
    if (signal.aborted) {
      (channel as AmqpChannel).close().catch(() => {});
    }
  }, () => {});
  return orAbort(opening, signal);
}

interface AmqplibModule {
  connect(url: string, options?: Record<string, unknown>): Promise<unknown>;
}

/**
 * Opens the connection of a connector: the given one, or a connection from
 * the URL with amqplib's own recovery (it reconnects with backoff for as
 * long as it takes once connected, but fails at once when the first
 * attempt fails: an unreachable broker or wrong credentials at start are
 * an {@linkcode AmqpError}).
 */
export async function openLink(
  connector: string,
  options: AmqpLinkOptions,
  signal: AbortSignal,
): Promise<AmqpLink> {
  signal.throwIfAborted();
  const { Buffer } = await import("node:buffer");
  const buffer = (bytes: Uint8Array | string) =>
    typeof bytes === "string"
      ? Buffer.from(bytes, "utf8")
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (options.connection !== undefined) {
    const connection = options.connection;
    let failure: Error | undefined;
    const recovering =
      typeof (connection as { waitForConnect?: unknown }).waitForConnect ===
        "function";
    const emitter = connection as unknown as Partial<Emitter>;
    const onClose = (error?: unknown) => {
      failure = new AmqpError(
        connector,
        "use the connection it was given",
        `it closed${
          error ? ` (${String((error as Error).message ?? error)})` : ""
        }; pass a connection made with connect(url, { recovery: true }), or a url, to reconnect`,
      );
    };
    const onReconnectFailed = (error: unknown) =>
      failure = new AmqpError(connector, "reconnect", error);
    if (!recovering) emitter.once?.("close", onClose as never);
    else emitter.once?.("reconnect-failed", onReconnectFailed as never);
    return {
      address: "the connection it was given",
      get failure() {
        return failure;
      },
      buffer,
      channel(confirm, channelSignal) {
        if (failure) return Promise.reject(failure);
        return openChannel(
          confirm
            ? connection.createConfirmChannel()
            : connection.createChannel(),
          channelSignal,
        );
      },
      close() {
        emitter.removeListener?.("close", onClose as never);
        emitter.removeListener?.(
          "reconnect-failed",
          onReconnectFailed as never,
        );
        return Promise.resolve();
      },
    };
  }
  const address = redactUrl(options.url!);
  const amqplib = await importOptional(
    () => import("amqplib"),
    "amqplib",
    `open the ${connector}`,
  ) as unknown as AmqplibModule & { default?: AmqplibModule };
  const connect = amqplib.connect ?? amqplib.default!.connect;
  const reconnect = options.reconnect;
  let model: AmqpConnectionLike & Emitter;
  try {
    const connecting = connect(String(options.url), {
      ...options.clientOptions,
      recovery: {
        // Fail fast at start; once connected, retry for as long as it takes.
        initialMaxRetries: 0,
        calculateDelay: (attempt: number) => backoff(attempt, reconnect),
      },
    }) as Promise<AmqpConnectionLike & Emitter>;
    // Given up on while connecting: close it once it is there.
    connecting.then((late) => {
      if (signal.aborted) late.close().catch(() => {});
    }, () => {});
    model = await orAbort(connecting, signal);
  } catch (error) {
    if (signal.aborted) throw error;
    throw new AmqpError(connector, `connect to ${address}`, error);
  }
  let failure: Error | undefined;
  let closed = false;
  // Without listeners these events would end the process; recovery handles
  // what they report.
  model.on("error", () => {});
  model.on(
    "reconnect-failed",
    ((error: unknown) => {
      if (!closed) {
        failure = new AmqpError(
          connector,
          `reconnect to ${address}`,
          error,
        );
      }
    }) as never,
  );
  return {
    address,
    get failure() {
      return failure;
    },
    buffer,
    channel(confirm, channelSignal) {
      if (failure) return Promise.reject(failure);
      return openChannel(
        confirm ? model.createConfirmChannel() : model.createChannel(),
        channelSignal,
      );
    },
    async close() {
      if (closed) return;
      closed = true;
      await model.close().catch(() => {});
    },
  };
}
