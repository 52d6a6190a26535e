// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

// The batch sink behind every SQL sink (postgresSink, mariadbSink): records
// to rows, one statement per batch, retries of lost connections, and the
// search for the records that do not fit. Each sink brings a dialect: how
// its database describes a table, writes rows, opens a transaction and
// says whose fault an error is. Not part of the public API.

import { describeError } from "../../src/errors/describe_error.ts";
import type { ConnectionHealth } from "../../src/health/connection_health.ts";
import { batchSink } from "../../src/sinks/batch_sink.ts";
import type {
  BatchSink,
  BatchWriteContext,
} from "../../src/sinks/batch_sink.ts";
import { describeValue } from "../../src/util/describe_value.ts";
import { sleep } from "../../src/util/sleep.ts";
import type { SqlSinkSettings } from "./_sql_sink_options.ts";
import { SqlRecordError } from "./sql_record_error.ts";
import { SqlTableError } from "./sql_table_error.ts";
import type { CheckpointStore } from "../../src/checkpoint/checkpoint_store.ts";
import type { Position } from "../../src/checkpoint/position.ts";
import type { SinkCheckpoint } from "../../src/checkpoint/sink_checkpoint.ts";
import { ExactlyOnceError } from "./exactly_once_error.ts";
import { FencedError } from "../../src/checkpoint/fenced_error.ts";

/**
 * Whose fault a failed statement is: a record's (a value that does not
 * fit, a constraint), the table's (missing, a missing column, no rights),
 * the connection's (worth another attempt), or unknown.
 */
export type SqlFault = "record" | "table" | "transient" | "other";

/** What to do about a value its column's type cannot take. */
export const VALUE_HINT =
  "convert the field before the sink, or change the column's type";

/** A column of the target table, as a dialect describes it. */
export interface SqlColumn {
  readonly name: string;
  /** The type as the database shows it (`integer`, `varchar(20)`). */
  readonly type: string;
  /** False for a column the database computes (generated, identity always). */
  readonly writable: boolean;
}

/** The target table: its columns and the column sets of its unique keys. */
export interface SqlTable<C extends SqlColumn> {
  readonly columns: ReadonlyMap<string, C>;
  readonly uniqueKeys: readonly (readonly string[])[];
}

/** Rows for one statement: the columns, and each row's converted values. */
export interface SqlRows<C extends SqlColumn> {
  readonly columns: readonly C[];
  readonly values: readonly (readonly unknown[])[];
}

/** A transaction a dialect opened, on a connection of its own. */
export interface SqlTransaction<C extends SqlColumn> {
  /**
   * Writes rows in one statement behind a savepoint: when the statement
   * fails, what it did is undone and the transaction goes on.
   */
  tryWrite(rows: SqlRows<C>, signal: AbortSignal): Promise<void>;
  /**
   * Writes rows in one statement, with no savepoint: when it fails, the
   * transaction can only be rolled back.
   */
  write(rows: SqlRows<C>, signal: AbortSignal): Promise<void>;
  /** `COMMIT`, and gives the connection back. */
  commit(): Promise<void>;
  /** `ROLLBACK`, and gives the connection back; never rejects. */
  rollback(): Promise<void>;
}

/** What a database brings to {@linkcode sqlBatchSink}. */
export interface SqlDialect<
  C extends SqlColumn,
  Tx extends SqlTransaction<C>,
> {
  /** Reads the table's columns and unique keys; a missing table is a SqlTableError. */
  describe(signal: AbortSignal): Promise<SqlTable<C>>;
  /** A record's value as the dialect sends it for `column`; throws for one it cannot send. */
  convert(column: C, value: unknown): unknown;
  /** Writes rows in one statement, atomically (outside any transaction of ours). */
  write(rows: SqlRows<C>, signal: AbortSignal): Promise<void>;
  /** Opens a transaction. */
  begin(signal: AbortSignal): Promise<Tx>;
  /** Whose fault an error is. */
  fault(error: unknown): SqlFault;
  /** A table-level error, in words with what to do. */
  tableError(error: unknown): SqlTableError;
  /** The SQLSTATE of a server error. */
  sqlState(error: unknown): string | undefined;
  /**
   * Why one row was refused, and in which column: `tx` is open for probes
   * that need the server.
   */
  explain(
    error: unknown,
    row: SqlRows<C>,
    tx: Tx,
    signal: AbortSignal,
  ): Promise<{ column?: string; reason: string }>;
  /**
   * For `exactlyOnce`: how to store the pipeline's position inside one of
   * this dialect's transactions, in `store` (the pipeline's checkpoint
   * store). Throws an {@linkcode ExactlyOnceError} when `store` cannot: not
   * a store of this database, or on another client.
   */
  bindStore(
    store: CheckpointStore,
  ): (
    tx: Tx,
    id: string,
    position: Position,
    generation: number,
  ) => Promise<void>;
  /** Ends a client the sink opened (none for one it was given). */
  close(): Promise<void>;
  /** Ends it at once, dropping what is in flight. */
  destroy(): Promise<void>;
}

/** The batch as rows, with the records that cannot be rows set apart. */
interface Prepared<C extends SqlColumn> {
  rows: SqlRows<C>;
  /** The batch index of each row. */
  indexes: number[];
  /** Each row's key values, for messages. */
  keys: (Record<string, unknown> | undefined)[];
  /** Records refused before any statement (a selector threw, a value cannot be sent). */
  bad: Map<number, SqlRecordError>;
}

/** A batch that failed for some of its records, until the pipeline writes it again. */
interface Failed<T, Tx> {
  records: readonly T[];
  /** The records refused, by batch index. */
  bad: Map<number, SqlRecordError>;
  /** The transaction holding the rest of the batch, not committed yet. */
  tx: Tx | undefined;
  /** The index of the record the pipeline writes next. */
  next: number;
  /** Set when committing the rest failed: the records' fate is unknown. */
  error?: unknown;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** With exactlyOnce: stores the position in the transaction. */
  fence: Fence<Tx> | undefined;
}

/** Stores the pipeline's position inside a transaction (exactlyOnce). */
type Fence<Tx> = (tx: Tx) => Promise<void>;

/**
 * How long a failed batch's transaction waits for the pipeline to write
 * the batch again one record at a time (it does at once when it has a dead
 * letter) before it is rolled back. Later, the batch is searched again.
 */
const HOLD_MS = 2000;

/** Undefined and null: nothing to write. */
function isNothing(value: unknown): value is null | undefined {
  return value === undefined || value === null;
}

/**
 * A batch sink that writes each batch as one multi-row statement through
 * `dialect`. When the statement fails for a record's fault, the batch is
 * searched for the records at fault by halving it inside one transaction
 * (each half behind a savepoint: a half that fails is undone and halved
 * again), so k bad records among n cost about 2k·log2(n) statements rather
 * than n. The rest of the batch waits in that transaction, and the write
 * throws the first bad record's {@linkcode SqlRecordError}. With a dead
 * letter the pipeline then writes the batch again one record per call: the
 * first call commits the transaction, the others answer from what the
 * search found (stored, or refused with its error). Without one the
 * pipeline fails, aborts the sink, and the transaction is rolled back:
 * nothing of the batch is stored.
 *
 * A table that is not ready (SqlTableError), or a connection still lost
 * after the retries, is no record's fault: the pipeline fails through the
 * batch's deferred acknowledgement, never into the dead letter.
 */
export function sqlBatchSink<
  T,
  C extends SqlColumn,
  Tx extends SqlTransaction<C>,
>(
  connector: string,
  dialect: SqlDialect<C, Tx>,
  settings: SqlSinkSettings<T>,
): BatchSink<T> {
  const { table: tableName, mode, key, columns, retry, exactlyOnce } = settings;
  const closing = new AbortController();
  const sinkSignal = settings.signal
    ? AbortSignal.any([settings.signal, closing.signal])
    : closing.signal;

  let health: ConnectionHealth = {
    state: "connecting",
    since: new Date().toISOString(),
  };
  function report(state: ConnectionHealth["state"], error?: unknown): void {
    if (health.state === state && error === undefined) return;
    health = { state, since: new Date().toISOString() };
    if (error !== undefined) health.error = describeError(error, 300);
  }

  let described: Promise<SqlTable<C>> | undefined;
  function describe(signal: AbortSignal): Promise<SqlTable<C>> {
    described ??= dialect.describe(signal).then(checkTable);
    described.catch(() => described = undefined);
    return described;
  }

  function tableError(
    reason: string,
    todo: string,
    column?: string,
  ): SqlTableError {
    return new SqlTableError({
      connector,
      table: tableName,
      reason,
      todo,
      ...(column === undefined ? {} : { column }),
    });
  }

  /** Checks what the options ask of the table, once it is described. */
  function checkTable(table: SqlTable<C>): SqlTable<C> {
    for (const name of columns?.keys() ?? []) checkColumn(table, name);
    for (const name of key) checkColumn(table, name);
    if (mode === "upsert") {
      // By the table's own spelling of each name (MariaDB's compare
      // without case).
      const spelled = (names: readonly string[]) =>
        names.map((name) => table.columns.get(name)?.name ?? name).sort()
          .join("\0");
      const wanted = spelled(key);
      if (!table.uniqueKeys.some((names) => spelled(names) === wanted)) {
        throw tableError(
          `mode "upsert" needs a primary key or unique index on exactly (${
            key.join(", ")
          }), and the table has none`,
          `add one (ALTER TABLE ${tableName} ADD UNIQUE (${
            key.join(", ")
          })), or set key to the columns of one it has`,
        );
      }
    }
    return table;
  }

  function checkColumn(
    table: SqlTable<C>,
    name: string,
    field?: number,
  ): C {
    const column = table.columns.get(name);
    if (column === undefined) {
      throw tableError(
        `it has no column ${JSON.stringify(name)}${
          field === undefined ? "" : ` (a field of record ${field})`
        }`,
        field === undefined
          ? "add the column, or fix the name in the sink's columns or key"
          : "add the column, or choose the columns to write with the sink's columns option",
        name,
      );
    }
    if (!column.writable) {
      throw tableError(
        `its column ${JSON.stringify(name)} is computed by the database`,
        "leave it out of the records, or choose the columns to write with the sink's columns option",
        name,
      );
    }
    return column;
  }

  function recordError(
    index: number,
    record: unknown,
    rowKey: Record<string, unknown> | undefined,
    reason: string,
    extra: { column?: string; sqlState?: string } = {},
    cause?: unknown,
  ): SqlRecordError {
    return new SqlRecordError({
      connector,
      table: tableName,
      index,
      ...(rowKey === undefined ? {} : { key: rowKey }),
      ...(extra.column === undefined ? {} : { column: extra.column }),
      ...(extra.sqlState === undefined ? {} : { sqlState: extra.sqlState }),
      record,
      reason,
    }, cause === undefined ? undefined : { cause });
  }

  /**
   * The columns of a batch, each with how to take its value from a record:
   * the option's, or the records' own fields.
   */
  function columnsOf(
    records: readonly T[],
    table: SqlTable<C>,
  ): { column: C; select: (record: T) => unknown }[] {
    if (columns !== undefined) {
      return [...columns].map(([name, select]) => ({
        column: checkColumn(table, name),
        select,
      }));
    }
    const seen = new Map<string, number>();
    for (const [i, record] of records.entries()) {
      if (!isFields(record)) continue;
      for (const name of Object.keys(record)) {
        if (!seen.has(name)) seen.set(name, i);
      }
    }
    const mapped: { column: C; select: (record: T) => unknown }[] = [];
    for (const [name, i] of seen) {
      const column = checkColumn(table, name, i);
      const select = (record: T) => (record as Record<string, unknown>)[name];
      // Two spellings of one column (MariaDB's names ignore case): the
      // first that a record has.
      const same = mapped.find((m) => m.column === column);
      if (same === undefined) mapped.push({ column, select });
      else {
        const before = same.select;
        same.select = (record) => before(record) ?? select(record);
      }
    }
    // Key columns no record has: their empty values name the records.
    for (const name of key) {
      const column = checkColumn(table, name);
      if (!mapped.some((m) => m.column === column)) {
        mapped.push({ column, select: () => undefined });
      }
    }
    return mapped;
  }

  /** Records to rows; throws a SqlTableError for a field with no column. */
  function prepare(records: readonly T[], table: SqlTable<C>): Prepared<C> {
    const mapped = columnsOf(records, table);
    const cols = mapped.map((m) => m.column);
    const select = mapped.map((m) => m.select);
    const keyAt = key.map((name) =>
      cols.findIndex((column) => column === table.columns.get(name))
    );
    const values: unknown[][] = [];
    const indexes: number[] = [];
    const keys: (Record<string, unknown> | undefined)[] = [];
    const bad = new Map<number, SqlRecordError>();
    for (const [index, record] of records.entries()) {
      let rowKey: Record<string, unknown> | undefined;
      let column: C | undefined;
      try {
        if (columns === undefined && !isFields(record)) {
          throw new TypeError(
            `it is ${
              describeValue(record)
            }, not an object of fields: map it to columns with the sink's columns option`,
          );
        }
        if (cols.length === 0) {
          throw new TypeError("it has no field to write");
        }
        const raw = select.map((selector) => selector(record));
        if (key.length > 0) {
          rowKey = Object.fromEntries(
            key.map((name, i) => [name, raw[keyAt[i]!]]),
          );
          const empty = key.find((_, i) => isNothing(raw[keyAt[i]!]));
          if (empty !== undefined) {
            column = cols[keyAt[key.indexOf(empty)]!];
            throw new TypeError(`it has no value for key column "${empty}"`);
          }
        }
        const row = raw.map((value, i) => {
          column = cols[i]!;
          try {
            return dialect.convert(column, value);
          } catch (error) {
            throw new TypeError(
              `column "${column.name}" (${column.type}) cannot take ${
                describeValue(value)
              }: ${describeError(error)}`,
            );
          }
        });
        values.push(row);
        indexes.push(index);
        keys.push(rowKey);
      } catch (error) {
        bad.set(
          index,
          recordError(
            index,
            record,
            rowKey,
            describeError(error),
            column === undefined ? {} : { column: column.name },
          ),
        );
      }
    }
    if (mode === "upsert" && values.length > 1) {
      // One statement may not update a row twice (PostgreSQL refuses it):
      // of records with the same key, the last one wins, as it would
      // written one after the other.
      const last = new Map<string, number>();
      values.forEach((row, i) =>
        last.set(JSON.stringify(keyAt.map((at) => row[at])), i)
      );
      if (last.size < values.length) {
        const kept = [...last.values()].sort((a, b) => a - b);
        return {
          rows: { columns: cols, values: kept.map((i) => values[i]!) },
          indexes: kept.map((i) => indexes[i]!),
          keys: kept.map((i) => keys[i]),
          bad,
        };
      }
    }
    return { rows: { columns: cols, values }, indexes, keys, bad };
  }

  function slice(rows: SqlRows<C>, from: number, to: number): SqlRows<C> {
    return { columns: rows.columns, values: rows.values.slice(from, to) };
  }

  /**
   * Finds the rows the database refuses, by halving inside a transaction;
   * returns it holding every other row.
   */
  async function isolate(
    records: readonly T[],
    prepared: Prepared<C>,
    signal: AbortSignal,
    wholeFailed: boolean,
  ): Promise<{ tx: Tx; bad: Map<number, SqlRecordError> }> {
    const bad = new Map(prepared.bad);
    const tx = await dialect.begin(signal);
    const search = async (from: number, to: number, failed: boolean) => {
      if (from >= to) return;
      if (!failed || to - from === 1) {
        try {
          await tx.tryWrite(slice(prepared.rows, from, to), signal);
          return;
        } catch (error) {
          if (dialect.fault(error) !== "record") throw error;
          if (to - from === 1) {
            const { column, reason } = await dialect.explain(
              error,
              slice(prepared.rows, from, to),
              tx,
              signal,
            ).catch((): { column?: string; reason: string } => ({
              reason: describeError(error),
            }));
            const sqlState = dialect.sqlState(error);
            const index = prepared.indexes[from]!;
            bad.set(
              index,
              recordError(
                index,
                records[index],
                prepared.keys[from],
                reason,
                {
                  ...(column === undefined ? {} : { column }),
                  ...(sqlState === undefined ? {} : { sqlState }),
                },
                error,
              ),
            );
            return;
          }
        }
      }
      const middle = from + Math.ceil((to - from) / 2);
      await search(from, middle, false);
      await search(middle, to, false);
    };
    try {
      await search(0, prepared.rows.values.length, wholeFailed);
    } catch (error) {
      await tx.rollback();
      throw error;
    }
    return { tx, bad };
  }

  let failed: Failed<T, Tx> | undefined;
  /** Why the sink cannot go on, and whether the pipeline was told. */
  let failure: { error: unknown; told: boolean } | undefined;

  /**
   * Stores a batch: one statement, or the search for the records that do
   * not fit. With `fence` (exactlyOnce) the rows and the pipeline's
   * position go in one transaction.
   */
  async function store(
    records: readonly T[],
    signal: AbortSignal,
    fence?: Fence<Tx>,
  ) {
    const table = await describe(signal);
    const prepared = prepare(records, table);
    let wholeFailed = false;
    if (prepared.bad.size === 0 && fence !== undefined) {
      const tx = await dialect.begin(signal);
      try {
        if (prepared.rows.values.length > 0) {
          await tx.write(prepared.rows, signal);
        }
        await fence(tx);
      } catch (error) {
        await tx.rollback();
        if (dialect.fault(error) !== "record") throw error;
        wholeFailed = true;
      }
      if (!wholeFailed) return await tx.commit();
    } else if (prepared.bad.size === 0) {
      if (prepared.rows.values.length === 0) return;
      try {
        await dialect.write(prepared.rows, signal);
        return;
      } catch (error) {
        if (dialect.fault(error) !== "record") throw error;
        wholeFailed = true;
      }
    }
    const { tx, bad } = await isolate(records, prepared, signal, wholeFailed);
    if (fence !== undefined) {
      await fence(tx).catch(async (error) => {
        await tx.rollback();
        throw error;
      });
    }
    if (bad.size === 0) {
      await tx.commit();
      return;
    }
    hold(records, bad, tx, fence);
    throw bad.get(Math.min(...bad.keys()));
  }

  function hold(
    records: readonly T[],
    bad: Map<number, SqlRecordError>,
    tx: Tx | undefined,
    fence: Fence<Tx> | undefined,
  ): void {
    const held: Failed<T, Tx> = {
      records,
      bad,
      tx,
      next: 0,
      timer: undefined,
      fence,
    };
    if (tx !== undefined) {
      held.timer = setTimeout(() => {
        held.timer = undefined;
        const open = held.tx;
        held.tx = undefined;
        void open?.rollback();
      }, HOLD_MS);
    }
    failed = held;
  }

  /**
   * Ends a failed batch's transaction: rolled back, unless the batch was
   * stored exactly once and the pipeline has written it again whole (its
   * dead letters are stored by now): then committed, rows and position.
   */
  async function discard(aborting = false): Promise<void> {
    const held = failed;
    if (held === undefined) return;
    failed = undefined;
    clearTimeout(held.timer);
    const open = held.tx;
    held.tx = undefined;
    if (open === undefined) return;
    if (
      !aborting && held.fence !== undefined &&
      held.next === held.records.length
    ) {
      try {
        await open.commit();
      } catch (error) {
        failure ??= { error, told: false };
      }
      return;
    }
    await open.rollback();
  }

  /** Runs `fn`, again after a lost connection or a deadlock, with backoff. */
  async function attempt(
    fn: () => Promise<void>,
    signal: AbortSignal,
  ): Promise<void> {
    for (let attempts = 1;; attempts++) {
      try {
        await fn();
        report("connected");
        return;
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (
          error instanceof SqlRecordError || error instanceof SqlTableError ||
          error instanceof FencedError
        ) {
          if (error instanceof SqlRecordError) report("connected");
          throw error;
        }
        const fault = dialect.fault(error);
        if (fault === "table") throw dialect.tableError(error);
        if (
          fault !== "transient" || attempts >= retry.maxAttempts ||
          !(retry.retryable?.(error) ?? true)
        ) {
          throw new Error(
            `Cannot write to table ${
              JSON.stringify(tableName)
            } (${connector}): ${describeError(error)}${
              attempts > 1 ? ` (after ${attempts} attempts)` : ""
            }`,
            { cause: error },
          );
        }
        report("reconnecting", error);
        const ceiling = Math.min(
          retry.maxDelayMs,
          retry.initialDelayMs * 2 ** (attempts - 1),
        );
        await sleep(ceiling / 2 + Math.random() * ceiling / 2, signal);
      }
    }
  }

  /** The pipeline writes a failed batch again, one record per call. */
  async function rewrite(signal: AbortSignal): Promise<void> {
    const held = failed!;
    const index = held.next++;
    if (held.next === held.records.length) failed = undefined;
    if (index === 0) {
      clearTimeout(held.timer);
      held.timer = undefined;
      try {
        if (held.tx !== undefined) {
          // Exactly once, the transaction holds the position too: it
          // commits once the pipeline has stored the dead letters (at the
          // next write, at close, or HOLD_MS after the last record).
          if (held.fence === undefined) {
            const tx = held.tx;
            held.tx = undefined;
            await tx.commit();
          }
        } else {
          // Rolled back while waiting: search the batch again.
          await attempt(async () => {
            const table = await describe(signal);
            const prepared = prepare(held.records, table);
            const { tx, bad } = await isolate(
              held.records,
              prepared,
              signal,
              false,
            );
            held.bad = bad;
            if (held.fence === undefined) return await tx.commit();
            await held.fence(tx).catch(async (error) => {
              await tx.rollback();
              throw error;
            });
            held.tx = tx;
          }, signal);
        }
      } catch (error) {
        // Whether the rest of the batch is stored is unknown: each record
        // fails (the pipeline takes them as dead letters, as it must take
        // every record of a rewrite that throws), and the next batch fails
        // the pipeline.
        held.error = error;
        failure ??= { error, told: false };
      }
    }
    if (held.next === held.records.length && held.tx !== undefined) {
      // The last record: commit soon even if no write or close comes.
      held.timer = setTimeout(() => {
        held.timer = undefined;
        if (failed === held) void discard();
      }, HOLD_MS);
      failed = held;
    }
    const refused = held.bad.get(index);
    if (refused !== undefined) throw refused;
    if (held.error !== undefined) throw held.error;
  }

  let bound:
    | {
      store: CheckpointStore;
      commit: ReturnType<SqlDialect<C, Tx>["bindStore"]>;
    }
    | undefined;
  function exactlyOnceError(reason: string, todo: string): ExactlyOnceError {
    return new ExactlyOnceError({
      connector,
      table: tableName,
      reason,
      todo,
    });
  }
  /** The fence of an exactly-once batch: its position, stored in its transaction. */
  function fenceOf(checkpoint: SinkCheckpoint | undefined): Fence<Tx> {
    if (checkpoint === undefined) {
      throw exactlyOnceError(
        "the pipeline gives the sink no checkpoint",
        "run it in pipeline() with options.checkpoint.store the checkpoint store of the sink's database on the same client; an exactly-once sink cannot sit inside fanOut() or route()",
      );
    }
    const { store, id, generation, position } = checkpoint;
    if (position === undefined) {
      throw exactlyOnceError(
        "the batch does not end where a batch of the source ended (a processor holds records back across the source's batches, as a buffering TransformStream does, or the source is a merge())",
        "remove that processor or the merge, or write at-least-once (mode upsert makes a replay harmless)",
      );
    }
    if (bound?.store !== store) {
      bound = { store, commit: dialect.bindStore(store) };
    }
    const commit = bound.commit;
    return (tx) => commit(tx, id, position, generation);
  }

  /**
   * Whether an exactly-once batch is stored already: a retry after a lost
   * COMMIT (which may have landed) finds its position in the store.
   */
  async function committed(checkpoint: SinkCheckpoint): Promise<boolean> {
    const stored = await checkpoint.store.get(checkpoint.id);
    return JSON.stringify(stored.position) ===
      JSON.stringify(checkpoint.position);
  }

  return batchSink<T>({
    async write(records: T[], context: BatchWriteContext): Promise<void> {
      const signal = AbortSignal.any([sinkSignal, context.signal]);
      if (
        failed !== undefined && records.length === 1 &&
        failed.next < failed.records.length &&
        records[0] === failed.records[failed.next]
      ) {
        return await rewrite(signal);
      }
      await discard();
      if (failure !== undefined) {
        if (failure.told) throw failure.error;
        failure.told = true;
        context.defer()(failure.error);
        return;
      }
      try {
        if (exactlyOnce) {
          const checkpoint = context.checkpoint;
          const fence = fenceOf(checkpoint);
          let again = false;
          await attempt(async () => {
            if (again && await committed(checkpoint!)) return;
            again = true;
            await store(records, signal, fence);
          }, signal);
        } else await attempt(() => store(records, signal), signal);
      } catch (error) {
        // A record's fault: the pipeline's dead letter may take it.
        if (error instanceof SqlRecordError) throw error;
        // The pipeline is aborting: no record's fault, nothing stored.
        if (context.signal.aborted) throw context.signal.reason;
        // The table, the connection, the sink's own signal: fail the
        // pipeline (through the deferred acknowledgement, so that no
        // record becomes a dead letter); outside a pipeline the next write
        // or close throws it.
        failure = { error, told: true };
        context.defer()(error);
      }
    },
    async close(): Promise<void> {
      await discard();
      await dialect.close();
      if (failure !== undefined) throw failure.error;
    },
    async abort(): Promise<void> {
      closing.abort();
      await discard(true);
      await dialect.destroy();
    },
    health: () => ({ ...health }),
  });
}

/** A record whose own fields are the columns: a plain object. */
function isFields(record: unknown): record is Record<string, unknown> {
  return record !== null && typeof record === "object" &&
    !Array.isArray(record) && !(record instanceof Date) &&
    !(record instanceof Uint8Array);
}
