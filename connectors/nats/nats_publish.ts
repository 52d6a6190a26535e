// Copyright 2026 the @ca/streams authors. MIT license.
// Internal: what the NATS sinks share.

import type { MsgHdrs } from "@nats-io/transport-node";
import type { ConnectionHealth } from "../../src/health/connection_health.ts";
import type { EncodedMessage } from "../../src/messages/message_encoder.ts";
import { MessageError } from "../../src/messages/message_error.ts";
import { importOptional } from "../runtime/import_optional.ts";
import { connectingHealth, type NatsLink, openNats } from "./connect_nats.ts";
import type { NatsConnectionOptions } from "./nats_connection_options.ts";

/** Makes the client's headers from a record of strings (none for `undefined`). */
export type ToHeaders = (
  record: Record<string, string> | undefined,
) => MsgHdrs | undefined;

/** Loads the client's `headers()` and returns a converter around it. */
export async function loadHeaders(connector: string): Promise<ToHeaders> {
  const { headers } = await importOptional(
    () => import("@nats-io/transport-node"),
    "@nats-io/transport-node",
    `open ${connector}`,
  );
  return (record) => {
    if (record === undefined) return undefined;
    const names = Object.keys(record);
    if (names.length === 0) return undefined;
    const made = headers();
    for (const name of names) made.set(name, record[name]!);
    return made;
  };
}

/** Checks a subject to publish to: no spaces, no wildcards, no empty tokens. */
export function checkSubject(
  subject: unknown,
  connector: string,
  field: string,
): void {
  if (
    typeof subject !== "string" || subject === "" || /[\s*>]/.test(subject) ||
    subject.split(".").includes("")
  ) {
    throw new TypeError(
      `Cannot create ${connector}: ${field} must be a subject such as "orders.created" (no spaces or wildcards), got ${
        JSON.stringify(subject)
      }`,
    );
  }
}

/** A sink's connection, opened on the first write and kept until released. */
export interface PublishLink<X> {
  /** The connection, the header converter and `extra`'s part, opened once. */
  open(): Promise<{ link: NatsLink; toHeaders: ToHeaders } & X>;
  /** Closes it (with `flush: false`, at once); a write after this fails. */
  release(options?: { flush?: boolean }): Promise<void>;
  /** The connection's health (`"connecting"` until it is open). */
  health(): ConnectionHealth;
}

/**
 * The connection a NATS sink writes through: opened on the first write
 * (a failed open is tried again on the next), with what `extra` adds to it
 * (the JetStream client), let go of on `release()`.
 */
export function publishLink<X extends object = Record<never, never>>(
  options: NatsConnectionOptions,
  connector: string,
  extra?: (link: NatsLink) => Promise<X>,
): PublishLink<X> {
  type Opened = { link: NatsLink; toHeaders: ToHeaders } & X;
  let pending: Promise<Opened> | undefined;
  let opened: NatsLink | undefined;
  let closed = false;
  const created = new Date().toISOString();
  return {
    open() {
      pending ??= (async () => {
        const link = opened = await openNats(options, connector);
        if (closed) {
          await link.release();
          throw new Error(`Cannot write to ${connector}: the sink is closed`);
        }
        const more = extra ? await extra(link) : {} as X;
        return { ...more, link, toHeaders: await loadHeaders(connector) };
      })().catch((error) => {
        pending = undefined;
        throw error;
      });
      return pending;
    },
    async release(options) {
      closed = true;
      const open = pending;
      pending = undefined;
      if (open) {
        await (await open.catch(() => undefined))?.link.release(options);
      }
    },
    health: () => opened?.health() ?? connectingHealth(created),
  };
}

/**
 * Encodes a batch, each message with its subject: the record's `topic`,
 * else `subject`. Every record first, so that a bad one fails the write
 * (with a `MessageError`) before anything is sent.
 */
export function encodeWithSubjects<T>(
  records: readonly T[],
  encode: (record: T) => EncodedMessage,
  subject: string | undefined,
  connector: string,
): Array<EncodedMessage & { subject: string }> {
  return records.map((record) => {
    const encoded = encode(record);
    const to = encoded.topic ?? subject;
    if (to === undefined) {
      throw new MessageError(
        connector,
        "encode a record",
        "no subject: set the subject option, or a topic that picks one",
        record,
      );
    }
    return { ...encoded, subject: to };
  });
}
