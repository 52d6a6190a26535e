// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

// How mariadbSink() speaks to MariaDB, for the shared SQL batch sink (in
// connectors/postgres/): the table from information_schema, each batch as
// one INSERT ... VALUES (...), (...) (more only past max_allowed_packet,
// then in one transaction), and what each error number says about whose
// fault it is. Not part of the public API.

import { describeError } from "../../src/errors/describe_error.ts";
import { describeValue } from "../../src/util/describe_value.ts";
import {
  type SqlColumn,
  type SqlDialect,
  type SqlFault,
  type SqlRows,
  type SqlTable,
  type SqlTransaction,
  VALUE_HINT,
} from "../postgres/_sql_batch_sink.ts";
import { SqlTableError } from "../postgres/sql_table_error.ts";
import type { CheckpointStore } from "../../src/checkpoint/checkpoint_store.ts";
import type {
  SqlCheckpointHook,
  SqlQuery,
} from "../postgres/_sql_checkpoint_hook.ts";
import {
  isConnectionError,
  resultRows,
  withConnection,
} from "./_mariadb_connection.ts";
import type { MariadbPool, MariadbPoolConnection } from "./mariadb_pool.ts";

/** A column as the sink writes it. */
export interface MyColumn extends SqlColumn {
  /** A JSON column (MariaDB: LONGTEXT with a json_valid() check): every value as JSON. */
  readonly json: boolean;
}

/** A transaction of the sink, on a connection of its own. */
export interface MyTransaction extends SqlTransaction<MyColumn> {
  /**
   * Runs a query in the transaction: the rows of a `SELECT`, or for
   * another statement its result (`affectedRows`, `info`) as the one element.
   */
  query: SqlQuery;
}

/** What the sink knows of its target, and how it gets its pool. */
export interface MyTarget {
  connector: string;
  table: string;
  mode: "insert" | "upsert";
  key: readonly string[];
  /** The pool: the caller's, or one the sink opens on first use. */
  pool(): Promise<MariadbPool>;
  /** Ends a pool the sink opened. */
  end(): Promise<void>;
  /**
   * For exactlyOnce: the hook of `store` when it is a mariadbStore the
   * sink can write through (the pool the sink writes with from then on);
   * throws an ExactlyOnceError saying why not.
   */
  bind(store: CheckpointStore): SqlCheckpointHook;
}

function quoteIdentifier(name: string): string {
  return `\`${name.replaceAll("`", "``")}\``;
}

/** `"shop.orders"` -> `` `shop`.`orders` ``: each part quoted as given. */
function quoteName(name: string): string {
  return name.split(".").map(quoteIdentifier).join(".");
}

/** Column names compare without case in MariaDB. */
class ColumnMap<C> extends Map<string, C> {
  override get(name: string): C | undefined {
    return super.get(name.toLowerCase());
  }
  override set(name: string, column: C): this {
    return super.set(name.toLowerCase(), column);
  }
}

/** Server errors worth another attempt: lost connections, deadlocks, lock waits. */
const TRANSIENT_ERRNOS = new Set([
  1040, // too many connections
  1053, // server shutdown in progress
  1205, // lock wait timeout
  1213, // deadlock
  1927, // connection killed
  2002,
  2003,
  2006, // server has gone away
  2013, // lost connection during query
  4031, // disconnected for inactivity
]);
/** A record's fault: a value that does not fit, a constraint. */
const RECORD_ERRNOS = new Set([
  1048, // column cannot be null
  1062, // duplicate entry
  1264, // out of range
  1265, // data truncated
  1292, // incorrect value (dates, numbers)
  1366, // incorrect value for a column
  1367, // illegal value
  1406, // data too long
  1451,
  1452, // foreign key
  1690, // value out of range
  3819, // check constraint (MySQL)
  4025, // check constraint (MariaDB)
]);
/** The table's fault: missing, no rights, a computed column, read-only. */
const TABLE_ERRNOS = new Set([
  1044,
  1046, // no database selected
  1049, // unknown database
  1054, // unknown column
  1142,
  1143, // command denied
  1146, // no such table
  1290, // read-only server
  1471, // not insertable
  1792, // read-only transaction
  1906, // value for a generated column
  3105, // value for a generated column (MySQL)
]);
/** Errors of a value in a column, phrased "column x cannot take v". */
const VALUE_ERRNOS = new Set([1264, 1265, 1292, 1366, 1367, 1406, 1690]);

interface MyError {
  errno?: unknown;
  sqlState?: unknown;
  sqlMessage?: unknown;
  code?: unknown;
}

function fault(error: unknown): SqlFault {
  const { errno, sqlState } = (error ?? {}) as MyError;
  if (typeof errno === "number") {
    if (TRANSIENT_ERRNOS.has(errno)) return "transient";
    if (RECORD_ERRNOS.has(errno)) return "record";
    if (TABLE_ERRNOS.has(errno)) return "table";
  }
  if (typeof sqlState === "string") {
    if (sqlState.startsWith("22") || sqlState.startsWith("23")) return "record";
    if (sqlState.startsWith("08") || sqlState.startsWith("40")) {
      return "transient";
    }
    if (sqlState.startsWith("42")) return "table";
  }
  if (isConnectionError(error)) return "transient";
  return "other";
}

function messageOf(error: unknown): string {
  const { sqlMessage } = (error ?? {}) as MyError;
  return typeof sqlMessage === "string" ? sqlMessage : describeError(error);
}

/** The column a server message names, unquoted. */
function columnIn(message: string): string | undefined {
  const found =
    /column (?:(?:`(?:[^`]|``)*`\.)*`((?:[^`]|``)*)`|'((?:[^']|'')*)')/i
      .exec(message);
  if (found === null) return undefined;
  return found[1] !== undefined
    ? found[1].replaceAll("``", "`")
    : found[2]!.replaceAll("''", "'");
}

/** The dialect of mariadbSink(). */
export function mariadbDialect(
  target: MyTarget,
): SqlDialect<MyColumn, MyTransaction> {
  const { connector, table, mode, key } = target;
  const relation = quoteName(table);
  const [schema, bare] = table.includes(".")
    ? table.split(".") as [string, string]
    : [null, table];
  /** The longest statement, in UTF-16 code units: a third of max_allowed_packet. */
  let maxLength = 1 << 20;
  /** Connections of writes given up, being killed and dropped. */
  const dropping = new Set<Promise<void>>();

  function tableError(
    reason: string,
    todo: string,
    column?: string,
    cause?: unknown,
  ): SqlTableError {
    return new SqlTableError(
      {
        connector,
        table,
        reason,
        todo,
        ...(column === undefined ? {} : { column }),
      },
      cause === undefined ? undefined : { cause },
    );
  }

  /**
   * The statements for rows: one multi-row `INSERT ... VALUES`, the values
   * escaped by the pool (as `pool.query(sql, values)` would), split only
   * where a statement would pass max_allowed_packet.
   */
  function statements(pool: MariadbPool, rows: SqlRows<MyColumn>): string[] {
    const names = rows.columns.map((c) => quoteIdentifier(c.name));
    const head = `INSERT INTO ${relation} (${names.join(", ")}) VALUES `;
    let tail = "";
    if (mode === "upsert") {
      const others = rows.columns.filter((c) =>
        !key.some((k) => k.toLowerCase() === c.name.toLowerCase())
      ).map((c) => quoteIdentifier(c.name));
      const first = quoteIdentifier(key[0]!);
      tail = ` ON DUPLICATE KEY UPDATE ${
        others.length === 0
          ? `${first} = ${first}`
          : others.map((c) => `${c} = VALUES(${c})`).join(", ")
      }`;
    }
    const texts: string[] = [];
    let text = "";
    for (const values of rows.values) {
      const tuple = `(${values.map((value) => pool.escape(value)).join(", ")})`;
      if (
        text !== "" &&
        text.length + tuple.length + tail.length + 2 > maxLength
      ) {
        texts.push(text + tail);
        text = "";
      }
      text += text === "" ? head + tuple : `, ${tuple}`;
    }
    if (text !== "") texts.push(text + tail);
    return texts;
  }

  /** Runs statements; several in one transaction, so that a batch stays whole. */
  async function execute(
    connection: MariadbPoolConnection,
    texts: string[],
  ): Promise<void> {
    if (texts.length === 1) {
      await connection.query(texts[0]!);
      return;
    }
    await connection.query("START TRANSACTION");
    try {
      for (const text of texts) await connection.query(text);
      await connection.query("COMMIT");
    } catch (error) {
      await connection.query("ROLLBACK").catch(() => {});
      throw error;
    }
  }

  return {
    async describe(signal) {
      const pool = await target.pool();
      return await withConnection(pool, signal, async (connection) => {
        const [[settings]] = await connection.query(
          "SELECT DATABASE() AS db, @@max_allowed_packet AS packet",
        ) as [{ db: string | null; packet: unknown }[], unknown];
        const database = schema ?? settings?.db ?? null;
        if (database === null) {
          throw tableError(
            "no database is selected",
            "put the database in the url (mysql://host:3306/database), or give table as database.table",
          );
        }
        maxLength = Math.max(
          1 << 16,
          Math.floor((Number(settings?.packet ?? 0) - 4096) / 3),
        );
        const [rows] = await connection.query(
          `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type,
             DATA_TYPE AS data, EXTRA AS extra
           FROM information_schema.COLUMNS
           WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
           ORDER BY ORDINAL_POSITION`,
          [database, bare],
        ) as [Record<string, string>[], unknown];
        if (rows.length === 0) {
          throw tableError(
            `the table does not exist in database "${database}"`,
            "create it, or give table as database.table",
          );
        }
        const [indexes] = await connection.query(
          `SELECT INDEX_NAME AS name, COLUMN_NAME AS col
           FROM information_schema.STATISTICS
           WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0
           ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
          [database, bare],
        ) as [{ name: string; col: string }[], unknown];
        // MariaDB's JSON is LONGTEXT with a json_valid() check.
        const checked = new Set<string>();
        try {
          const [checks] = await connection.query(
            `SELECT CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS
             WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?`,
            [database, bare],
          ) as [{ clause: string }[], unknown];
          for (const { clause } of checks) {
            const found = /^json_valid\(`((?:[^`]|``)*)`\)$/i.exec(clause);
            if (found) {
              checked.add(found[1]!.replaceAll("``", "`").toLowerCase());
            }
          }
        } catch {
          // MySQL names no table in CHECK_CONSTRAINTS: its JSON type says it.
        }
        const columns = new ColumnMap<MyColumn>();
        for (const row of rows) {
          columns.set(row.name!, {
            name: row.name!,
            type: row.type!,
            writable: !/GENERATED/i.test(row.extra ?? ""),
            json: row.data === "json" || checked.has(row.name!.toLowerCase()),
          });
        }
        const keys = new Map<string, string[]>();
        for (const { name, col } of indexes) {
          keys.set(name, [
            ...(keys.get(name) ?? []),
            columns.get(col)?.name ?? col,
          ]);
        }
        return {
          columns,
          uniqueKeys: [...keys.values()],
        } satisfies SqlTable<MyColumn>;
      }, dropping);
    },

    convert(column, value) {
      if (value === undefined || value === null) return null;
      if (column.json) {
        const text = JSON.stringify(value);
        if (text === undefined) throw new TypeError("JSON cannot hold it");
        return text;
      }
      switch (typeof value) {
        case "string":
        case "boolean":
          return value;
        case "number":
          // NaN and Infinity as text: the server refuses them for the column.
          return Number.isFinite(value) ? value : String(value);
        case "bigint":
          return String(value);
        case "object":
          if (value instanceof Date) {
            if (Number.isNaN(value.getTime())) {
              throw new RangeError("it is an invalid Date");
            }
            return value;
          }
          if (value instanceof Uint8Array) return value;
          return JSON.stringify(value);
        default:
          throw new TypeError(`a ${typeof value} cannot be written`);
      }
    },

    async write(rows, signal) {
      const pool = await target.pool();
      const texts = statements(pool, rows);
      await withConnection(
        pool,
        signal,
        (connection) => execute(connection, texts),
        dropping,
      );
    },

    async begin(signal) {
      const pool = await target.pool();
      signal.throwIfAborted();
      const connection = await pool.getConnection();
      try {
        await connection.query("START TRANSACTION");
      } catch (error) {
        connection.destroy();
        throw error;
      }
      let open = true;
      const finish = async (statement: string) => {
        if (!open) return;
        open = false;
        try {
          await connection.query(statement);
          connection.release();
        } catch (error) {
          connection.destroy();
          throw error;
        }
      };
      return {
        async write(rows, writeSignal) {
          // Several statements past max_allowed_packet: the transaction
          // keeps them whole.
          for (const text of statements(pool, rows)) {
            writeSignal.throwIfAborted();
            await connection.query(text);
          }
        },
        query: (text, values) =>
          connection.query(text, values).then(([result]) => resultRows(result)),
        async tryWrite(rows, writeSignal) {
          writeSignal.throwIfAborted();
          await connection.query("SAVEPOINT ca_sink");
          try {
            for (const text of statements(pool, rows)) {
              await connection.query(text);
            }
          } catch (error) {
            await connection.query("ROLLBACK TO SAVEPOINT ca_sink")
              .catch(() => {});
            throw error;
          }
          await connection.query("RELEASE SAVEPOINT ca_sink");
        },
        commit: () => finish("COMMIT"),
        rollback: () => finish("ROLLBACK").catch(() => {}),
      };
    },

    fault,

    bindStore(store) {
      const hook = target.bind(store);
      return (tx, id, position, generation) =>
        hook.commitIn(tx.query, id, position, generation);
    },

    sqlState(error) {
      const { sqlState } = (error ?? {}) as MyError;
      return typeof sqlState === "string" ? sqlState : undefined;
    },

    tableError(error) {
      const { errno } = (error ?? {}) as MyError;
      const message = messageOf(error);
      switch (errno) {
        case 1146:
          return tableError(
            "the table does not exist",
            "create it, or give table as database.table",
            undefined,
            error,
          );
        case 1054:
          return tableError(
            message,
            "add the column, or choose the columns to write with the sink's columns option",
            /Unknown column '((?:[^']|'')*)'/.exec(message)?.[1],
            error,
          );
        case 1046:
          return tableError(
            "no database is selected",
            "put the database in the url (mysql://host:3306/database), or give table as database.table",
            undefined,
            error,
          );
        case 1142:
        case 1143:
        case 1044:
          return tableError(
            message,
            `grant INSERT${
              mode === "upsert" ? " and UPDATE" : ""
            } on the table to the sink's user`,
            undefined,
            error,
          );
        case 1290:
        case 1792:
          return tableError(
            message,
            "connect to the primary server, not a read-only one",
            undefined,
            error,
          );
        default:
          return tableError(message, "", undefined, error);
      }
    },

    explain(error, row) {
      const { errno } = (error ?? {}) as MyError;
      const message = messageOf(error).replace(/ at row \d+$/, "");
      let name = columnIn(message);
      if (name === undefined && errno === 4025) {
        // CONSTRAINT `t.doc` failed: a column's own check is named after it.
        const check = /CONSTRAINT `((?:[^`]|``)*)` failed/.exec(message)?.[1];
        const own = check?.slice(check.lastIndexOf(".") + 1);
        if (own !== undefined) name = own;
      }
      const at = name === undefined
        ? -1
        : row.columns.findIndex((c) =>
          c.name.toLowerCase() === name!.toLowerCase()
        );
      const column = at < 0 ? undefined : row.columns[at]!;
      if (column === undefined) return Promise.resolve({ reason: message });
      const value = row.values[0]![at];
      return Promise.resolve({
        column: column.name,
        reason: VALUE_ERRNOS.has(errno as number) || errno === 4025
          ? `column "${column.name}" (${column.type}) cannot take ${
            describeValue(value)
          }: ${message}; ${VALUE_HINT}`
          : `column "${column.name}" (${column.type}): ${message}`,
      });
    },

    async close() {
      await Promise.all(dropping);
      await target.end();
    },
    async destroy() {
      await Promise.all(dropping);
      await target.end();
    },
  };
}
