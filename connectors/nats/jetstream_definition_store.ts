// Copyright 2026 the @ca/streams authors. MIT license.

import type {
  JetStreamClient,
  JetStreamManager,
  StoredMsg,
  StreamConfig,
} from "@nats-io/jetstream";
import type { StoreCallOptions } from "../../src/checkpoint/checkpoint_store.ts";
import {
  beginDefinitionCall,
  byConnector,
  checkConnectorId,
} from "../../src/definition_store/begin_definition_call.ts";
import type { DefinitionEvent } from "../../src/definition_store/definition_event.ts";
import type { DefinitionStore } from "../../src/definition_store/definition_store.ts";
import type { DefinitionStreamInfo } from "../../src/definition_store/definition_stream_info.ts";
import {
  encodeDefinitionEvents,
  storedEvent,
} from "../../src/definition_store/encode_definition_events.ts";
import type { StoredDefinitionEvent } from "../../src/definition_store/stored_definition_event.ts";
import { WrongExpectedVersionError } from "../../src/definition_store/wrong_expected_version_error.ts";
import { importOptional } from "../runtime/import_optional.ts";
import {
  checkConnectionOptions,
  type NatsLink,
  openNats,
} from "./connect_nats.ts";
import type { NatsConnectionOptions } from "./nats_connection_options.ts";
import { NatsConnectError } from "./nats_connect_error.ts";
import { orAbort } from "../../src/util/or_abort.ts";
import { base64url, fromBase64url } from "./_base64url.ts";
import { isWrongLastSequence } from "./_wrong_last_sequence.ts";

const CONNECTOR = "the jetstream definition store";
const DEFAULT_STREAM = "CA_DEFINITIONS";
const DEFAULT_PREFIX = "ca.definitions";
/** How many last messages `list()` asks for at once. */
const LIST_CONCURRENCY = 16;

/**
 * Options for {@linkcode jetStreamDefinitionStore}: how to reach NATS (a
 * ready `connection`, or `url` and `connectOptions`), the stream and its
 * subjects, and a signal that stops the whole store.
 *
 * @example A stream of its own, replicated on a three-server cluster
 * ```ts
 * import { jetStreamDefinitionStore } from "@ca/streams/nats";
 * import type { JetStreamDefinitionStoreOptions } from "@ca/streams/nats";
 *
 * const options: JetStreamDefinitionStoreOptions = {
 *   url: ["nats://n1:4222", "nats://n2:4222", "nats://n3:4222"],
 *   stream: "SHOP_CONNECTORS",
 *   subjectPrefix: "shop.connectors",
 *   replicas: 3,
 * };
 * const store = jetStreamDefinitionStore(options); // connects on the first call
 * await store.close();
 * ```
 */
export interface JetStreamDefinitionStoreOptions extends NatsConnectionOptions {
  /**
   * The stream (default `"CA_DEFINITIONS"`). Created on first use when
   * missing, taking `<subjectPrefix>.>` (file storage, no limits, messages
   * may not be deleted or purged); an existing stream is used as it is, and
   * must take those subjects.
   */
  stream?: string;
  /**
   * The subjects' prefix (default `"ca.definitions"`): a connector's events
   * go to `<subjectPrefix>.<the id in base64url>`.
   */
  subjectPrefix?: string;
  /** Replicas of a stream the store creates (default 1; 3 or 5 on a cluster). */
  replicas?: number;
  /** Aborting it makes every call of the store, pending or later, give up. */
  signal?: AbortSignal;
}

/** The last message of a connector's subject, as `append()` and `list()` need it. */
interface Last {
  /** Its sequence in the stream. */
  seq: number;
  /** The stream's version: the version of the message's last event. */
  version: number;
  deleted: boolean;
}

/** What one message holds: the events of one append. */
interface Append {
  /** The version of the first event. */
  first: number;
  events: Array<
    { type: unknown; connector: unknown; at: unknown; data: unknown }
  >;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Whether the subject pattern `pattern` (with `*` and `>`) takes `subject`. */
function takes(pattern: string, subject: string): boolean {
  const want = pattern.split(".");
  const have = subject.split(".");
  for (let i = 0; i < want.length; i++) {
    if (want[i] === ">") return have.length > i;
    if (i >= have.length || want[i] !== "*" && want[i] !== have[i]) {
      return false;
    }
  }
  return want.length === have.length;
}

/**
 * Creates a definition store in a JetStream stream, so a cluster of hosts
 * needs nothing but NATS: a connector's events go to the subject
 * `<subjectPrefix>.<the id in base64url>`, one message per append holding
 * all of its events (`{"first":<version of the first>,"events":[...]}`),
 * so an append of several events is stored whole or not at all.
 *
 * An append at version `n` > 0 reads the subject's last message (its
 * version is the stream's) and publishes with JetStream's expected last
 * subject sequence set to that message's sequence; at version 0 it expects
 * no message on the subject. The server stores a message only when the
 * subject is still where the append found it: of any number of appends at
 * the same version, from any number of hosts, exactly one is stored, and
 * the others get a {@linkcode WrongExpectedVersionError} with the version
 * they lost to. An append is durable when it resolves (as the stream's
 * storage and replicas make it); one that does not fit in a message (the
 * server's `max_payload`, 1 MB by default) is a `RangeError`.
 *
 * `read()` reads the subject with an ordered consumer, up to the last
 * message it found when it started; `list()` asks the stream for its
 * subjects and reads the last message of each. A call given up by
 * `signal` stops waiting; an append already sent may still be stored.
 *
 * Pass a `connection` (the store uses it and leaves it open) or `url` and
 * `connectOptions` (the store connects on first use with
 * `@nats-io/transport-node` and closes the connection in `close()`). The
 * `@nats-io/jetstream` package loads on first use. An unreachable server,
 * refused credentials, a server without JetStream or a stream that does
 * not take the subjects fail the call with a `NatsConnectError`
 * (`CA_ERR_NATS_CONNECT`).
 *
 * @param options The connection, `stream`, `subjectPrefix`, `replicas` and a `signal`.
 * @returns A {@linkcode DefinitionStore} backed by the stream.
 *
 * @example Keep a host's connectors in NATS
 * ```ts ignore
 * import { jetStreamDefinitionStore } from "@ca/streams/nats";
 *
 * const store = jetStreamDefinitionStore({ url: "nats://127.0.0.1:4222" });
 * const at = new Date().toISOString();
 * await store.append("orders", [
 *   { type: "created", connector: "orders", at, data: { config: { id: "orders" } } },
 * ], 0);
 * console.log(await store.list()); // [{ connector: "orders", version: 1, deleted: false }]
 * await store.close(); // closes the connection it opened
 * ```
 */
export function jetStreamDefinitionStore(
  options: JetStreamDefinitionStoreOptions = {},
): DefinitionStore {
  const where = "the jetstream definition store";
  if (options === null || typeof options !== "object") {
    throw new TypeError(`Cannot create ${where}: options must be an object`);
  }
  checkConnectionOptions(options, where);
  const stream = options.stream ?? DEFAULT_STREAM;
  if (typeof stream !== "string" || !/^[^\s.*>/\\]+$/.test(stream)) {
    throw new TypeError(
      `Cannot create ${where}: stream must be a name without spaces, dots, slashes or wildcards, got ${
        JSON.stringify(stream)
      }`,
    );
  }
  const prefix = options.subjectPrefix ?? DEFAULT_PREFIX;
  if (
    typeof prefix !== "string" ||
    !prefix.split(".").every((token) => /^[^\s.*>]+$/.test(token))
  ) {
    throw new TypeError(
      `Cannot create ${where}: subjectPrefix must be a subject such as "ca.definitions" (no spaces, wildcards or empty tokens), got ${
        JSON.stringify(prefix)
      }`,
    );
  }
  const replicas = options.replicas ?? 1;
  if (!Number.isSafeInteger(replicas) || replicas < 1 || replicas > 5) {
    throw new RangeError(
      `Cannot create ${where}: replicas must be an integer from 1 to 5, got ${replicas}`,
    );
  }
  const storeSignal = options.signal;
  let closed = false;
  let link: Promise<NatsLink> | undefined;
  /** Whether `link` has its connection. */
  let connected = false;
  let opened:
    | Promise<
      { js: JetStreamClient; jsm: JetStreamManager; maxPayload: number }
    >
    | undefined;
  const pending = new Set<Promise<unknown>>();
  const subjectOf = (connector: string) => `${prefix}.${base64url(connector)}`;

  /** The stream, checked (and created when missing) on first use. */
  function open(): NonNullable<typeof opened> {
    opened ??= (async () => {
      link ??= openNats(options, CONNECTOR).then((made) => {
        connected = true;
        return made;
      }, (error) => {
        link = undefined; // the next call tries again
        throw error;
      });
      const { nc, server } = await link;
      const { jetstream, jetstreamManager } = await importOptional(
        () => import("@nats-io/jetstream"),
        "@nats-io/jetstream",
        "open the jetstream definition store",
      );
      try {
        const jsm = await jetstreamManager(nc, { checkAPI: true });
        await ensureStream(jsm);
        return {
          js: jetstream(nc),
          jsm,
          maxPayload: (nc as { info?: { max_payload?: number } }).info
            ?.max_payload ?? Infinity,
        };
      } catch (error) {
        throw new NatsConnectError(
          CONNECTOR,
          `${server} (stream "${stream}")`,
          error,
        );
      }
    })();
    opened.catch(() => opened = undefined);
    return opened;
  }

  /** Creates the stream when missing; checks that it takes the subjects. */
  async function ensureStream(jsm: JetStreamManager): Promise<void> {
    const wanted = `${prefix}.>`;
    const config: Partial<StreamConfig> & { name: string } = {
      name: stream,
      subjects: [wanted],
      storage: "file" as StreamConfig["storage"],
      retention: "limits" as StreamConfig["retention"],
      num_replicas: replicas,
      max_msgs_per_subject: -1,
      deny_delete: true,
      deny_purge: true,
    };
    let subjects: string[];
    try {
      subjects = (await jsm.streams.info(stream)).config.subjects ?? [];
    } catch (error) {
      if (!isNotFound(error)) throw error;
      try {
        subjects = (await jsm.streams.add(config)).config.subjects ?? [];
      } catch (addError) {
        // Another host may have made it meanwhile, with other settings.
        subjects = (await jsm.streams.info(stream).catch(() => {
          throw addError;
        })).config.subjects ?? [];
      }
    }
    if (!subjects.some((pattern) => takes(pattern, `${prefix}.x`))) {
      throw new Error(
        `the stream exists and does not take the subjects ${wanted} (it takes ${
          subjects.join(", ") || "none"
        })`,
      );
    }
  }

  /** Runs a call, tracked so that `close()` waits for it. */
  function tracked<T>(
    doing: string,
    callSignal: AbortSignal | undefined,
    body: (signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> {
    let signal: AbortSignal | undefined;
    try {
      signal = beginDefinitionCall(doing, closed, storeSignal, callSignal);
    } catch (error) {
      return Promise.reject(error);
    }
    const call = body(signal);
    pending.add(call);
    const forget = () => pending.delete(call);
    call.then(forget, forget);
    return call;
  }

  /** The events of one stored message, checked to go on from `after`. */
  function decode(
    message: { seq: number; subject: string; data: Uint8Array },
    connector: string,
    after: number | undefined,
  ): Append {
    let append: Append | undefined;
    try {
      append = JSON.parse(decoder.decode(message.data));
    } catch {
      append = undefined;
    }
    if (
      append === null || typeof append !== "object" ||
      !Number.isSafeInteger(append.first) || !Array.isArray(append.events) ||
      append.events.length === 0 ||
      after !== undefined && append.first !== after + 1
    ) {
      throw new Error(
        `Cannot read connector "${connector}": message ${message.seq} of stream ${stream} on ${message.subject} is not the definition append that ${
          after === undefined ? "ends the stream" : `follows version ${after}`
        }`,
      );
    }
    return append;
  }

  /** What `list()` read of each connector, with its subject's message count then. */
  const listed = new Map<
    string,
    { count: number; info: DefinitionStreamInfo }
  >();

  /** The subject's last message, or `undefined` when it has none. */
  async function lastOf(
    jsm: JetStreamManager,
    connector: string,
    signal: AbortSignal | undefined,
  ): Promise<Last | undefined> {
    const message: StoredMsg | null = await orAbort(
      jsm.streams.getMessage(stream, { last_by_subj: subjectOf(connector) }),
      signal,
    );
    if (message === null) return undefined;
    const append = decode(message, connector, undefined);
    return {
      seq: message.seq,
      version: append.first + append.events.length - 1,
      deleted: append.events.at(-1)?.type === "deleted",
    };
  }

  return {
    append(
      connector: string,
      events: readonly DefinitionEvent[],
      expectedVersion: number,
      callOptions?: StoreCallOptions,
    ): Promise<number> {
      let encoded: string[];
      try {
        encoded = encodeDefinitionEvents(connector, events, expectedVersion);
      } catch (error) {
        return Promise.reject(error);
      }
      return tracked(
        `append to connector "${connector}"`,
        callOptions?.signal,
        async (signal) => {
          const { js, jsm, maxPayload } = await orAbort(open(), signal);
          const body = encoder.encode(
            `{"first":${expectedVersion + 1},"events":[${encoded.join(",")}]}`,
          );
          if (body.length > maxPayload) {
            throw new RangeError(
              `Cannot append to connector "${connector}": its ${encoded.length} event(s) take ${body.length} bytes, more than the server's max_payload of ${maxPayload} (an append is one message)`,
            );
          }
          let lastSeq = 0;
          if (expectedVersion > 0) {
            const last = await lastOf(jsm, connector, signal);
            const actual = last?.version ?? 0;
            if (actual !== expectedVersion) {
              throw new WrongExpectedVersionError(
                connector,
                expectedVersion,
                actual,
              );
            }
            lastSeq = last!.seq;
          }
          try {
            await orAbort(
              js.publish(subjectOf(connector), body, {
                expect: { streamName: stream, lastSubjectSequence: lastSeq },
              }),
              signal,
            );
          } catch (error) {
            if (!isWrongLastSequence(error)) throw error;
            // Another append came first: report the version it left.
            const last = await lastOf(jsm, connector, signal);
            throw new WrongExpectedVersionError(
              connector,
              expectedVersion,
              last?.version ?? 0,
            );
          }
          return expectedVersion + encoded.length;
        },
      );
    },

    read(
      connector: string,
      callOptions?: StoreCallOptions,
    ): Promise<StoredDefinitionEvent[]> {
      return tracked(
        `read connector "${connector}"`,
        callOptions?.signal,
        async (signal) => {
          checkConnectorId(connector, "read");
          const { js, jsm } = await orAbort(open(), signal);
          const last = await lastOf(jsm, connector, signal);
          if (last === undefined) return [];
          const out: StoredDefinitionEvent[] = [];
          const consumer = await orAbort(
            js.consumers.get(stream, { filter_subjects: subjectOf(connector) }),
            signal,
          );
          const messages = await orAbort(consumer.consume(), signal);
          const stop = () => messages.stop();
          signal?.addEventListener("abort", stop, { once: true });
          try {
            for await (const message of messages) {
              const append = decode(message, connector, out.length);
              append.events.forEach((event, index) =>
                out.push(storedEvent(event, append.first + index))
              );
              // Up to the last message there was when the read started.
              if (message.seq >= last.seq || message.info.pending === 0) break;
            }
          } finally {
            signal?.removeEventListener("abort", stop);
            messages.stop();
          }
          signal?.throwIfAborted();
          if (out.length < last.version) {
            throw new Error(
              `Cannot read connector "${connector}": stream ${stream} ended at version ${out.length}, before the version ${last.version} of its last message`,
            );
          }
          return out;
        },
      );
    },

    list(callOptions?: StoreCallOptions): Promise<DefinitionStreamInfo[]> {
      return tracked("list connectors", callOptions?.signal, async (signal) => {
        const { jsm } = await orAbort(open(), signal);
        const info = await orAbort(
          jsm.streams.info(stream, { subjects_filter: `${prefix}.>` }),
          signal,
        );
        // A subject's last message is read again only when its count of
        // messages moved since the last list: a host lists every renewal,
        // and most of the time nothing changed (nothing is ever removed
        // from the stream: deny_delete, deny_purge).
        const subjects = info.state.subjects ?? {};
        const connectors = Object.keys(subjects).flatMap((subject) => {
          const token = subject.slice(prefix.length + 1);
          const id = fromBase64url(token);
          return id === undefined ? [] : [{ id, count: subjects[subject]! }];
        });
        const stale = connectors.filter(({ id, count }) =>
          listed.get(id)?.count !== count
        );
        for (let i = 0; i < stale.length; i += LIST_CONCURRENCY) {
          const batch = stale.slice(i, i + LIST_CONCURRENCY);
          const lasts = await Promise.all(
            batch.map(({ id }) => lastOf(jsm, id, signal)),
          );
          lasts.forEach((last, index) => {
            const { id, count } = batch[index]!;
            if (last === undefined) listed.delete(id);
            else {
              listed.set(id, {
                count,
                info: {
                  connector: id,
                  version: last.version,
                  deleted: last.deleted,
                },
              });
            }
          });
        }
        return byConnector(
          connectors.flatMap(({ id }) => {
            const known = listed.get(id);
            return known === undefined ? [] : [{ ...known.info }];
          }),
        );
      });
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...pending]);
      const made = link;
      link = undefined;
      opened = undefined;
      if (made === undefined) return;
      // Every call waited for its reply: nothing to flush.
      const released = made.then(
        (it) => it.release({ flush: false }),
        () => {},
      );
      // A connect still under way is let go of once it ends: close() does
      // not wait out the client's connect timeout.
      if (connected) await released;
    },
  };
}

function isNotFound(error: unknown): boolean {
  const { code, message } = (error ?? {}) as {
    code?: unknown;
    message?: unknown;
  };
  return code === 10059 || message === "stream not found";
}
