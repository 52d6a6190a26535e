// Copyright 2026 the @ca/streams authors. MIT license.

import type { Position } from "../../src/checkpoint/position.ts";
import type { ConnectionHealth } from "../../src/health/connection_health.ts";
import {
  type ResumableSource,
  resumableSource,
} from "../../src/sources/resumable_source.ts";
import {
  CONNECTOR,
  parseTable,
  SLOT_NAME,
  type TableName,
} from "./_pg_change_link.ts";
import { parseLsn } from "./_pgoutput_decoder.ts";
import { ChangeReader, type ReaderSettings } from "./_pg_replication.ts";
import type { PostgresChange } from "./postgres_change.ts";

/**
 * Options for {@linkcode postgresChangeSource}.
 *
 * @example Two tables, with an initial snapshot
 * ```ts
 * import { postgresChangeSource } from "@ca/streams/postgres";
 * import type { PostgresChangeSourceOptions } from "@ca/streams/postgres";
 *
 * const options: PostgresChangeSourceOptions = {
 *   url: "postgres://replicator@127.0.0.1:5432/shop",
 *   slot: "shop_to_search",
 *   tables: ["public.orders", "public.customers"],
 *   snapshot: true,
 * };
 * const source = postgresChangeSource(options); // connects on the first read
 * if (typeof source[Symbol.asyncIterator] !== "function") throw new Error("unexpected");
 * ```
 */
export interface PostgresChangeSourceOptions {
  /**
   * The server, `postgres://user:password@host:port/database`. The user
   * needs the `REPLICATION` attribute (or superuser), and, to create the
   * publication, ownership of the tables (or `CREATE` on the database).
   */
  url: string;
  /**
   * More options for the `postgres` package's client (`ssl`, `password`,
   * `connect_timeout`, ...), for both connections the source opens.
   */
  clientOptions?: Record<string, unknown>;
  /**
   * The persistent logical replication slot (lower-case letters, digits
   * and `_`, at most 58): it keeps the source's position on the server,
   * and the WAL from there on, across restarts. Created when missing
   * (unless `createSlot` is `false`). Drop it with
   * `dropPostgresChangeSlot()` when the pipeline is deleted: a slot nobody
   * reads keeps WAL forever.
   */
  slot: string;
  /**
   * The tables to capture, `"schema.table"` or `"table"` (schema
   * `public`), quoted as given (so case-sensitive). They must exist. For
   * `before` images of updates and deletes, give each `REPLICA IDENTITY
   * FULL`.
   */
  tables: string[];
  /** The publication (default: the slot's name): created, or completed with missing tables, unless `createPublication` is `false`. */
  publication?: string;
  /** Create the slot when it is missing (default `true`); `false` fails instead. */
  createSlot?: boolean;
  /** Create the publication, or add missing tables to it (default `true`). */
  createPublication?: boolean;
  /**
   * Read the tables' rows as they are when the slot is created, as `op:
   * "read"` records, before the changes from then on (default `false`).
   * Only a slot the source creates gets a snapshot. A snapshot not wholly
   * stored when the source stops (or crashes) is taken again on the next
   * run, on a new slot: its rows may come twice, no change is lost.
   */
  snapshot?: boolean;
  /**
   * Moves the slot forward when the source opens: to `{ lsn: "0/16B3748" }`,
   * or to the server's current WAL position (`"latest"`), skipping the
   * changes in between. A slot cannot go back: an LSN before the slot's
   * confirmed position fails with reason `"reset-before-slot"`. Every open
   * resets: run once with it, then remove it.
   */
  reset?: "latest" | { lsn: string };
  /** Most changes per batch (default 512): a big transaction spans batches. */
  batchSize?: number;
  /**
   * How often the source tells the server how far it is stored, in ms
   * (default 10000), besides each acknowledgement. Keep it well under the
   * server's `wal_sender_timeout` (60 s by default).
   */
  statusIntervalMs?: number;
  /** Aborting it stops the source and closes its connections. */
  signal?: AbortSignal;
}

const DEFAULT_BATCH_SIZE = 512;
const DEFAULT_STATUS_INTERVAL_MS = 10_000;

/**
 * Change data capture from PostgreSQL: reads the changes to `tables`
 * through logical replication (`pgoutput`) on a persistent slot, as
 * {@linkcode PostgresChange} records `{ op, schema, table, key, before?,
 * after?, lsn, commitTime }`: whole transactions, in commit order.
 *
 * Needs `wal_level = logical` on the server and a user with the
 * `REPLICATION` attribute. On the first read the source checks both, that
 * the tables exist, creates the publication and the slot when missing
 * (see {@linkcode PostgresChangeSourceOptions}), and, with `snapshot:
 * true` on a new slot, first reads the tables as they are in the slot's
 * exported snapshot (`op: "read"`); then it streams the changes committed
 * after the slot's position. Each problem is a
 * {@linkcode PostgresChangeError} naming the server, the slot or table and
 * what to do.
 *
 * Positions are `{ lsn, index }`: the transaction's commit LSN and the
 * change's index in it, so several small transactions go in one batch and
 * a big one spans batches, and a pipeline with a checkpoint store resumes
 * right after the last change stored, inside a transaction if need be
 * (snapshot batches have `{ snapshot, row }`). The slot's confirmed
 * position (sent in standby status updates) moves only in the source's
 * `ack()`, past transactions whose changes are all stored: after a crash,
 * PostgreSQL sends again the transactions not wholly acknowledged, and
 * the source skips what the checkpoint says was stored. Without a
 * checkpoint store it is at-least-once per transaction.
 *
 * `before` holds the old row only with `REPLICA IDENTITY FULL` on the
 * table (`ALTER TABLE orders REPLICA IDENTITY FULL`); with the default
 * identity, only a delete or an update of the key has one, with the key
 * columns alone. The WAL the slot keeps is reported by
 * `postgresChangeSlotStatus()`. A lost connection fails the read with a
 * `PostgresChangeError` (reason `"server"`); the next run resumes.
 *
 * @typeParam Row The shape of the tables' rows.
 * @param options The server, the slot, the tables, and how to read.
 * @returns A resumable source of changes; it runs until stopped.
 *
 * @example Capture the changes of one table into a file (needs a server with wal_level = logical)
 * ```ts ignore
 * import { memoryStore, pipeline } from "@ca/streams";
 * import { fileSink } from "@ca/streams/file";
 * import { postgresChangeSource } from "@ca/streams/postgres";
 *
 * const source = postgresChangeSource<{ id: number; total: string }>({
 *   url: "postgres://replicator@127.0.0.1:5432/shop",
 *   slot: "orders_archive",
 *   tables: ["public.orders"],
 *   snapshot: true,
 * });
 * const running = pipeline(source, fileSink("orders-changes.ndjson"), {
 *   id: "orders-archive",
 *   checkpoint: { store: memoryStore() }, // a durable store in production
 * });
 * setTimeout(() => running.stop(), 10_000);
 * await running;
 * ```
 *
 * @example Options are checked when the source is made
 * ```ts
 * import { postgresChangeSource } from "@ca/streams/postgres";
 *
 * try {
 *   postgresChangeSource({ url: "postgres://127.0.0.1/shop", slot: "Orders-Slot", tables: ["orders"] });
 *   throw new Error("expected a TypeError");
 * } catch (error) {
 *   if (!(error instanceof TypeError) || !error.message.includes("slot")) throw error;
 * }
 * ```
 */
export function postgresChangeSource<Row = Record<string, unknown>>(
  options: PostgresChangeSourceOptions,
): ResumableSource<PostgresChange<Row>> {
  const settings = checkOptions(options);
  let reader: ChangeReader | undefined;
  const created = new Date().toISOString();
  return resumableSource<PostgresChange<Row>>({
    name: `${CONNECTOR} ${settings.slot}`,
    async *open(after, { signal }) {
      const stop = options.signal === undefined
        ? signal
        : AbortSignal.any([signal, options.signal]);
      const opened = new ChangeReader(settings, stop);
      reader = opened;
      try {
        await opened.open(after);
        for (;;) {
          const batch = await opened.take();
          if (batch === null) return;
          yield batch as {
            records: PostgresChange<Row>[];
            position: Position;
          };
        }
      } catch (error) {
        await opened.release(error);
        throw error;
      } finally {
        await opened.release();
      }
    },
    ack(position: Position) {
      return reader?.ack(position);
    },
    health: (): ConnectionHealth =>
      reader?.health() ?? { state: "connecting", since: created },
  });
}

function checkOptions(options: PostgresChangeSourceOptions): ReaderSettings {
  const what = `Cannot create ${CONNECTOR}`;
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `${what}: options must be an object with url, slot and tables`,
    );
  }
  const { url, slot, tables } = options;
  let scheme = "";
  try {
    scheme = new URL(url).protocol;
  } catch {
    // reported below
  }
  if (scheme !== "postgres:" && scheme !== "postgresql:") {
    throw new TypeError(
      `${what}: url must be a postgres:// or postgresql:// URL, got ${
        typeof url === "string"
          ? JSON.stringify(url.replace(/:[^:@/]*@/, ":***@"))
          : typeof url
      }`,
    );
  }
  if (typeof slot !== "string" || !SLOT_NAME.test(slot)) {
    throw new TypeError(
      `${what}: slot must be 1 to 58 lower-case letters, digits or _, got ${
        JSON.stringify(slot)
      }`,
    );
  }
  if (!Array.isArray(tables) || tables.length === 0) {
    throw new TypeError(
      `${what}: tables must be a non-empty array of "schema.table" names`,
    );
  }
  const parsed: TableName[] = tables.map((name) => {
    const table = parseTable(name);
    if (table === undefined) {
      throw new TypeError(
        `${what}: tables must hold names such as "public.orders" or "orders", got ${
          JSON.stringify(name)
        }`,
      );
    }
    return table;
  });
  const publication = options.publication ?? slot;
  if (typeof publication !== "string" || publication === "") {
    throw new TypeError(
      `${what}: publication must be a non-empty string, got ${
        JSON.stringify(publication)
      }`,
    );
  }
  for (const flag of ["createSlot", "createPublication", "snapshot"] as const) {
    const value = options[flag];
    if (value !== undefined && typeof value !== "boolean") {
      throw new TypeError(
        `${what}: ${flag} must be true or false, got ${JSON.stringify(value)}`,
      );
    }
  }
  let reset: ReaderSettings["reset"];
  if (options.reset === "latest") reset = "latest";
  else if (options.reset !== undefined) {
    reset = parseLsn(
      (options.reset as { lsn?: unknown } | null)?.lsn,
    );
    if (reset === undefined) {
      throw new TypeError(
        `${what}: reset must be "latest" or { lsn: "X/Y" } (an LSN such as "0/16B3748"), got ${
          JSON.stringify(options.reset)
        }`,
      );
    }
  }
  const batchSize = integer(what, "batchSize", options.batchSize, 1) ??
    DEFAULT_BATCH_SIZE;
  const statusIntervalMs =
    integer(what, "statusIntervalMs", options.statusIntervalMs, 100) ??
      DEFAULT_STATUS_INTERVAL_MS;
  const clientOptions = options.clientOptions;
  if (
    clientOptions !== undefined &&
    (clientOptions === null || typeof clientOptions !== "object")
  ) {
    throw new TypeError(`${what}: clientOptions must be an object`);
  }
  if (
    options.signal !== undefined && !(options.signal instanceof AbortSignal)
  ) {
    throw new TypeError(`${what}: signal must be an AbortSignal`);
  }
  return {
    url,
    clientOptions,
    slot,
    publication,
    tables: parsed,
    createSlot: options.createSlot ?? true,
    createPublication: options.createPublication ?? true,
    snapshot: options.snapshot ?? false,
    reset,
    batchSize,
    statusIntervalMs,
  };
}

function integer(
  what: string,
  field: string,
  value: number | undefined,
  min: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(
      `${what}: ${field} must be an integer of at least ${min}, got ${value}`,
    );
  }
  return value;
}
