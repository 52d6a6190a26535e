// Copyright 2026 the @ca/streams authors. MIT license.
// Internal: what the NATS sinks share.

import type { MsgHdrs } from "@nats-io/transport-node";
import { importOptional } from "../runtime/import_optional.ts";

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
