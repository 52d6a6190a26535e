// Copyright 2026 the @ca/streams authors. MIT license.

import {
  CONNECTOR,
  dropSlot,
  markerOf,
  openClient,
  quoteIdentifier,
  serverError,
  serverOf,
  SLOT_NAME,
} from "./_pg_change_link.ts";
import type { PostgresChangeSlotOptions } from "./postgres_change_slot_options.ts";

/**
 * Options for {@linkcode dropPostgresChangeSlot}.
 *
 * @example Drop the slot and the publication the source made
 * ```ts
 * import type { DropPostgresChangeSlotOptions } from "@ca/streams/postgres";
 *
 * const options: DropPostgresChangeSlotOptions = {
 *   url: "postgres://replicator@127.0.0.1:5432/shop",
 *   slot: "orders_archive",
 *   dropPublication: true,
 * };
 * if (options.dropPublication !== true) throw new Error("unexpected");
 * ```
 */
export interface DropPostgresChangeSlotOptions
  extends PostgresChangeSlotOptions {
  /**
   * Drop the publication too (default `false`: another reader may use
   * it). Only do so when the source created it.
   */
  dropPublication?: boolean;
  /** The publication's name, when not the slot's (the source's default). */
  publication?: string;
}

/**
 * Drops the replication slot of a `postgresChangeSource` (and the marker
 * slot of an unfinished snapshot, `<slot>_snap`), so the server no longer
 * keeps WAL for it; call it when the pipeline is deleted. Its position is
 * lost: a source on the same slot name starts again from the changes made
 * after it is created. A slot still read by a running source fails with a
 * `PostgresChangeError` of reason `"slot-active"`: stop the pipeline first.
 *
 * @param options The server, `slot`, and `dropPublication`.
 * @returns Whether the slot existed.
 *
 * @example Drop a deleted pipeline's slot (needs a server)
 * ```ts ignore
 * import { dropPostgresChangeSlot } from "@ca/streams/postgres";
 *
 * const existed = await dropPostgresChangeSlot({
 *   url: "postgres://replicator@127.0.0.1:5432/shop",
 *   slot: "orders_archive",
 *   dropPublication: true,
 * });
 * console.log(existed ? "dropped" : "there was no such slot");
 * ```
 *
 * @example The slot name is checked before connecting
 * ```ts
 * import { dropPostgresChangeSlot } from "@ca/streams/postgres";
 *
 * const error = await dropPostgresChangeSlot({ url: "postgres://127.0.0.1/shop", slot: "no spaces" })
 *   .catch((e: unknown) => e);
 * if (!(error instanceof TypeError)) throw new Error("expected a TypeError");
 * ```
 */
export async function dropPostgresChangeSlot(
  options: DropPostgresChangeSlotOptions,
): Promise<boolean> {
  const slot = options?.slot;
  if (typeof slot !== "string" || !SLOT_NAME.test(slot)) {
    throw new TypeError(
      `Cannot drop the slot of ${CONNECTOR}: slot must be 1 to 58 lower-case letters, digits or _, got ${
        JSON.stringify(slot)
      }`,
    );
  }
  const action = `drop replication slot "${slot}" of ${CONNECTOR} on ${
    serverOf(options.url)
  }`;
  const sql = await openClient(options, false);
  try {
    await dropSlot(sql, markerOf(slot), action);
    const existed = await dropSlot(sql, slot, action);
    if (options.dropPublication === true) {
      await sql.unsafe(
        `DROP PUBLICATION IF EXISTS ${
          quoteIdentifier(options.publication ?? slot)
        }`,
      );
    }
    return existed;
  } catch (error) {
    throw serverError(error, action);
  } finally {
    await sql.end({ timeout: 1 });
  }
}
