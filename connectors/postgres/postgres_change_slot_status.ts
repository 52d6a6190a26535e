// Copyright 2026 the @ca/streams authors. MIT license.

import {
  CONNECTOR,
  markerOf,
  openClient,
  serverError,
  serverOf,
  SLOT_NAME,
  slotRow,
} from "./_pg_change_link.ts";
import type { PostgresChangeSlotOptions } from "./postgres_change_slot_options.ts";

/**
 * What {@linkcode postgresChangeSlotStatus} reports about a slot.
 *
 * @example Alert when a slot keeps more than 1 GiB of WAL
 * ```ts
 * import type { PostgresChangeSlotStatus } from "@ca/streams/postgres";
 *
 * const status: PostgresChangeSlotStatus = {
 *   slot: "orders_archive",
 *   active: false,
 *   confirmedLsn: "0/16B3748",
 *   restartLsn: "0/16B3710",
 *   retainedWalBytes: 2 ** 31,
 *   snapshotPending: false,
 * };
 * const alert = status.retainedWalBytes > 2 ** 30;
 * if (!alert) throw new Error("unexpected");
 * ```
 */
export interface PostgresChangeSlotStatus {
  /** The slot's name. */
  slot: string;
  /** Whether a reader is connected to it now. */
  active: boolean;
  /** The process id of that reader, when active. */
  activePid?: number;
  /** Where the slot has confirmed: changes committed before are never sent again. */
  confirmedLsn: string | null;
  /** The oldest WAL the slot still needs. */
  restartLsn: string | null;
  /**
   * The WAL the server keeps for the slot, in bytes:
   * `pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)`. It grows while
   * the source is stopped or falls behind; it is the gauge to alert on.
   */
  retainedWalBytes: number;
  /** An initial snapshot was started and is not wholly stored yet. */
  snapshotPending: boolean;
}

/**
 * Reads the state of a `postgresChangeSource` slot from
 * `pg_replication_slots`: mainly how much WAL the server keeps for it
 * (`retainedWalBytes`, a gauge to export as a metric such as
 * `ca_postgres_slot_retained_wal_bytes` and alert on), and whether a
 * reader holds it.
 *
 * @param options The server and `slot`.
 * @returns The slot's status, or `undefined` when there is no such slot.
 *
 * @example Log how much WAL a slot keeps (needs a server)
 * ```ts ignore
 * import { postgresChangeSlotStatus } from "@ca/streams/postgres";
 *
 * const status = await postgresChangeSlotStatus({
 *   url: "postgres://replicator@127.0.0.1:5432/shop",
 *   slot: "orders_archive",
 * });
 * console.log(status?.retainedWalBytes ?? "no such slot");
 * ```
 *
 * @example The slot name is checked before connecting
 * ```ts
 * import { postgresChangeSlotStatus } from "@ca/streams/postgres";
 *
 * const error = await postgresChangeSlotStatus({ url: "postgres://127.0.0.1/shop", slot: "" })
 *   .catch((e: unknown) => e);
 * if (!(error instanceof TypeError)) throw new Error("expected a TypeError");
 * ```
 */
export async function postgresChangeSlotStatus(
  options: PostgresChangeSlotOptions,
): Promise<PostgresChangeSlotStatus | undefined> {
  const slot = options?.slot;
  if (typeof slot !== "string" || !SLOT_NAME.test(slot)) {
    throw new TypeError(
      `Cannot read the slot of ${CONNECTOR}: slot must be 1 to 58 lower-case letters, digits or _, got ${
        JSON.stringify(slot)
      }`,
    );
  }
  const sql = await openClient(options, false);
  try {
    const row = await slotRow(sql, slot);
    if (row === undefined) return undefined;
    const marker = await slotRow(sql, markerOf(slot));
    const status: PostgresChangeSlotStatus = {
      slot,
      active: row.active_pid != null,
      confirmedLsn: row.confirmed_flush_lsn,
      restartLsn: row.restart_lsn,
      retainedWalBytes: Number(row.retained_bytes ?? 0),
      snapshotPending: marker !== undefined,
    };
    if (row.active_pid != null) status.activePid = row.active_pid;
    return status;
  } catch (error) {
    throw serverError(
      error,
      `read replication slot "${slot}" of ${CONNECTOR} on ${
        serverOf(options.url)
      }`,
    );
  } finally {
    await sql.end({ timeout: 1 });
  }
}
