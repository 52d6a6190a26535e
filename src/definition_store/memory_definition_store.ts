// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { StoreCallOptions } from "../checkpoint/checkpoint_store.ts";
import {
  beginDefinitionCall,
  byConnector,
  checkConnectorId,
} from "./begin_definition_call.ts";
import type { DefinitionEvent } from "./definition_event.ts";
import type { DefinitionStore } from "./definition_store.ts";
import type { DefinitionStreamInfo } from "./definition_stream_info.ts";
import {
  encodeDefinitionEvents,
  storedEvent,
} from "./encode_definition_events.ts";
import type { StoredDefinitionEvent } from "./stored_definition_event.ts";
import { WrongExpectedVersionError } from "./wrong_expected_version_error.ts";

/**
 * Creates a definition store that keeps every connector's stream in memory:
 * for tests, and for a host whose connectors may be forgotten when it
 * stops. Events are kept as JSON, so later changes by the caller do not
 * leak in, and what `read()` returns is the caller's to change.
 *
 * @returns A {@linkcode DefinitionStore} that forgets everything when the
 * process ends.
 *
 * @example Create a connector, then change it from a stale version
 * ```ts
 * import { memoryDefinitionStore, WrongExpectedVersionError } from "@ca/streams/host";
 *
 * const store = memoryDefinitionStore();
 * const at = new Date().toISOString();
 * const version = await store.append("orders", [
 *   { type: "created", connector: "orders", at, data: { config: { id: "orders" } } },
 *   { type: "started", connector: "orders", at, data: {} },
 * ], 0);
 * await store.append("orders", [{ type: "stopped", connector: "orders", at, data: {} }], version);
 * const stale = await store
 *   .append("orders", [{ type: "started", connector: "orders", at, data: {} }], version)
 *   .then(() => undefined, (e: unknown) => e);
 * if (!(stale instanceof WrongExpectedVersionError)) throw new Error("expected a conflict");
 * ```
 */
export function memoryDefinitionStore(): DefinitionStore {
  /** Each connector's events, as JSON, in order, and whether the last is `deleted`. */
  const streams = new Map<string, { events: string[]; deleted: boolean }>();
  let closed = false;

  /** Runs `body` as an async call: checks the store, turns throws into rejections. */
  function call<T>(
    doing: string,
    options: StoreCallOptions | undefined,
    body: () => T,
  ): Promise<T> {
    try {
      beginDefinitionCall(doing, closed, undefined, options?.signal);
      return Promise.resolve(body());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  return {
    append(
      connector: string,
      events: readonly DefinitionEvent[],
      expectedVersion: number,
      options?: StoreCallOptions,
    ): Promise<number> {
      return call(`append to connector "${connector}"`, options, () => {
        const encoded = encodeDefinitionEvents(
          connector,
          events,
          expectedVersion,
        );
        const stream = streams.get(connector) ?? { events: [], deleted: false };
        if (stream.events.length !== expectedVersion) {
          throw new WrongExpectedVersionError(
            connector,
            expectedVersion,
            stream.events.length,
          );
        }
        stream.events.push(...encoded);
        stream.deleted = events.at(-1)!.type === "deleted";
        streams.set(connector, stream);
        return stream.events.length;
      });
    },

    read(
      connector: string,
      options?: StoreCallOptions,
    ): Promise<StoredDefinitionEvent[]> {
      return call(`read connector "${connector}"`, options, () => {
        checkConnectorId(connector, "read");
        return (streams.get(connector)?.events ?? []).map((json, index) =>
          storedEvent(JSON.parse(json), index + 1)
        );
      });
    },

    list(options?: StoreCallOptions): Promise<DefinitionStreamInfo[]> {
      return call("list connectors", options, () =>
        byConnector(
          [...streams].map(([connector, { events, deleted }]) => ({
            connector,
            version: events.length,
            deleted,
          })),
        ));
    },

    close(): Promise<void> {
      closed = true;
      return Promise.resolve();
    },
  };
}
