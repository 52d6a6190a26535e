// Copyright 2026 the @ca/streams authors. MIT license.

// How postgresSink() speaks to PostgreSQL, for the shared SQL batch sink:
// the table from the catalog, each batch as one INSERT ... SELECT FROM
// unnest(...), and what each SQLSTATE says about whose fault an error is.
// Not part of the public API.

import { describeError } from "../../src/errors/describe_error.ts";
import { describeValue } from "../../src/util/describe_value.ts";
import {
  type SqlColumn,
  type SqlDialect,
  type SqlFault,
  type SqlRows,
  type SqlTransaction,
  VALUE_HINT,
} from "./_sql_batch_sink.ts";
import type {
  PostgresSinkSql,
  PostgresSinkTransaction,
} from "./postgres_sink.ts";
import type { PostgresQuery } from "./postgres_store.ts";
import { SqlTableError } from "./sql_table_error.ts";
import type { CheckpointStore } from "../../src/checkpoint/checkpoint_store.ts";
import type { SqlCheckpointHook, SqlQuery } from "./_sql_checkpoint_hook.ts";

/** A column as the sink writes it. */
export interface PgColumn extends SqlColumn {
  /** The type without modifiers (`character varying`), what each value is cast to. */
  readonly base: string;
  /** How a JavaScript value becomes the column's text. */
  readonly kind: "json" | "array" | "scalar";
  /** The longest text a `varchar(n)` or `char(n)` column takes. */
  readonly maxChars: number | undefined;
}

interface PgTransaction extends SqlTransaction<PgColumn> {
  /** Runs a query behind a savepoint. */
  tryQuery(
    text: string,
    parameters: (string | null)[],
    signal: AbortSignal,
  ): Promise<readonly object[]>;
  /** Runs a query in the transaction, with no savepoint. */
  query: SqlQuery;
}

/** What the sink knows of its target, and how it gets its client. */
export interface PgTarget {
  connector: string;
  table: string;
  mode: "insert" | "upsert";
  key: readonly string[];
  /** The client: the caller's, or one the sink opens on first use. */
  client(): Promise<PostgresSinkSql>;
  /** Ends a client the sink opened; `timeout` 0 drops what is in flight. */
  end(timeout: number): Promise<void>;
  /**
   * For exactlyOnce: the hook of `store` when it is a postgresStore the
   * sink can write through (the client the sink writes with from then
   * on); throws an ExactlyOnceError saying why not.
   */
  bind(store: CheckpointStore): SqlCheckpointHook;
}

const ROLLBACK = Symbol("rollback");

/** `"etl.orders"` -> `"etl"."orders"`: each part quoted as given. */
export function quoteName(name: string): string {
  return name.split(".").map(quoteIdentifier).join(".");
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Runs a query; when `signal` aborts, cancels it and rejects with the reason. */
function run(
  pending: PostgresQuery,
  signal: AbortSignal,
): Promise<readonly object[]> {
  // postgres.js rejects what cancel() returns, and the query, when it had
  // not started yet: the abort's reason is the error that matters.
  const cancel = () => void Promise.resolve(pending.cancel()).catch(() => {});
  if (signal.aborted) {
    cancel();
    // Promise's own then: the query's would start it if it had not.
    Promise.prototype.then.call(pending, undefined, () => {});
    return Promise.reject(signal.reason);
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      cancel();
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    pending.then((rows) => {
      signal.removeEventListener("abort", onAbort);
      resolve(rows);
    }, (error) => {
      signal.removeEventListener("abort", onAbort);
      reject(error);
    });
  });
}

const HEX = Array.from(
  { length: 256 },
  (_, b) => b.toString(16).padStart(2, "0"),
);

function noNul(text: string): string {
  if (text.includes("\0")) {
    throw new TypeError(
      "PostgreSQL text cannot hold the NUL character (\\u0000)",
    );
  }
  return text;
}

/** A scalar as PostgreSQL's text input reads it. */
function scalar(value: unknown): string {
  switch (typeof value) {
    case "string":
      return noNul(value);
    case "number":
    case "bigint":
      return String(value);
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) {
          throw new RangeError("it is an invalid Date");
        }
        return value.toISOString();
      }
      if (value instanceof Uint8Array) {
        let text = "\\x";
        for (const byte of value) text += HEX[byte];
        return text;
      }
      return noNul(JSON.stringify(value));
    }
    default:
      throw new TypeError(`a ${typeof value} cannot be written`);
  }
}

/** An array element of a PostgreSQL array literal: quoted, `"` and `\` escaped. */
function element(text: string | null): string {
  return text === null ? "NULL" : `"${text.replace(/["\\]/g, "\\$&")}"`;
}

/** A JavaScript array as a PostgreSQL array literal (`{"1","2"}`), nested as given. */
function arrayLiteral(values: readonly unknown[]): string {
  return `{${
    values.map((value) =>
      Array.isArray(value)
        ? arrayLiteral(value)
        : element(value === undefined || value === null ? null : scalar(value))
    ).join(",")
  }}`;
}

const COLUMNS_SQL = `
  SELECT a.attname AS name,
    format_type(a.atttypid, a.atttypmod) AS type,
    format_type(a.atttypid, NULL) AS base,
    format_type(COALESCE(NULLIF(t.typbasetype, 0), a.atttypid), NULL) AS root,
    COALESCE(b.typcategory, t.typcategory) AS category,
    CASE WHEN a.attgenerated <> '' OR a.attidentity = 'a'
      THEN 'n' ELSE 'y' END AS writable,
    CASE WHEN a.atttypid IN (1042, 1043) AND a.atttypmod > 4
      THEN (a.atttypmod - 4)::text END AS maxchars
  FROM pg_attribute a
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_type b ON b.oid = NULLIF(t.typbasetype, 0)
  WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
  ORDER BY a.attnum`;

/** The column sets of the primary key and the plain unique indexes. */
const KEYS_SQL = `
  SELECT json_agg(a.attname)::text AS names
  FROM pg_index i
  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
  WHERE i.indrelid = $1::oid AND i.indisunique
    AND i.indpred IS NULL AND i.indexprs IS NULL
  GROUP BY i.indexrelid`;

/** A server error's fields, as the `postgres` package gives them. */
interface PgError {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
  column_name?: unknown;
}

/** Errors of the client or the network (not SQLSTATEs) worth another attempt. */
const TRANSIENT_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

function codeOf(error: unknown): string | undefined {
  const code = (error as PgError | null | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Whose fault an error is, by its SQLSTATE class. */
function fault(error: unknown): SqlFault {
  const code = codeOf(error);
  if (code === undefined) return "other";
  if (TRANSIENT_CODES.has(code)) return "transient";
  if (!/^[0-9A-Z]{5}$/.test(code)) return "other";
  const kind = code.slice(0, 2);
  // Data exceptions, integrity constraints, cardinality (a row updated
  // twice), WITH CHECK OPTION, a row too large for an index.
  if (["21", "22", "23", "44"].includes(kind) || code === "54000") {
    return "record";
  }
  // Connection exceptions, serialization failures and deadlocks, too many
  // connections, the server shutting down or starting, I/O errors.
  if (
    ["08", "40", "53", "58"].includes(kind) ||
    (kind === "57" && code !== "57P04")
  ) return "transient";
  // Undefined table or column, no rights, a read-only server, no such
  // schema or database, not supported.
  if (["42", "28", "3D", "3F", "0A"].includes(kind) || code === "25006") {
    return "table";
  }
  return "other";
}

/** The dialect of postgresSink(). */
export function postgresDialect(
  target: PgTarget,
): SqlDialect<PgColumn, PgTransaction> {
  const { connector, table, mode, key } = target;
  const relation = quoteName(table);
  const statements = new Map<string, string>();

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
   * The statement for a set of columns: each column comes as one text
   * array (`$n::text[]`), unnest() turns the arrays into rows, and each
   * value is cast to its column's type. Whatever the batch size, the text
   * is the same for the same columns, so the server parses and plans it
   * once per connection (the client prepares it), and a batch of n rows
   * is c parameters rather than n * c: this is why the form is fast
   * (about 1.5x a multi-row VALUES list, see the docs).
   */
  function statement(columns: readonly PgColumn[]): string {
    const id = columns.map((c) => c.name).join("\0");
    let text = statements.get(id);
    if (text !== undefined) return text;
    const names = columns.map((c) => quoteIdentifier(c.name)).join(", ");
    const values = columns.map((c, i) =>
      c.base === "text" ? `u.c${i + 1}` : `u.c${i + 1}::${c.base}`
    ).join(", ");
    const arrays = columns.map((_, i) => `$${i + 1}::text[]`).join(", ");
    const aliases = columns.map((_, i) => `c${i + 1}`).join(", ");
    text =
      `INSERT INTO ${relation} (${names}) SELECT ${values} FROM unnest(${arrays}) AS u(${aliases})`;
    if (mode === "upsert") {
      const others = columns.filter((c) => !key.includes(c.name));
      text += ` ON CONFLICT (${key.map(quoteIdentifier).join(", ")}) ${
        others.length === 0
          ? "DO NOTHING"
          : `DO UPDATE SET ${
            others.map((c) =>
              `${quoteIdentifier(c.name)} = EXCLUDED.${quoteIdentifier(c.name)}`
            ).join(", ")
          }`
      }`;
    }
    statements.set(id, text);
    return text;
  }

  /** One text array literal per column. */
  function parameters(rows: SqlRows<PgColumn>): string[] {
    return rows.columns.map((_, c) => {
      let literal = "{";
      for (let r = 0; r < rows.values.length; r++) {
        if (r > 0) literal += ",";
        literal += element(rows.values[r]![c] as string | null);
      }
      return literal + "}";
    });
  }

  function transaction(
    tx: PostgresSinkTransaction,
    decide: (commit: boolean) => void,
    finished: () => Promise<void>,
  ): PgTransaction {
    // The postgres package fails a whole transaction when any query in it
    // failed, caught or not, unless the query ran in a savepoint() scope.
    const behindSavepoint = (
      text: string,
      values: (string | null)[],
      signal: AbortSignal,
    ) => {
      let rows: readonly object[] = [];
      return Promise.resolve(tx.savepoint(async (scope) => {
        rows = await run(scope.unsafe(text, values), signal);
      })).then(() => rows);
    };
    return {
      tryWrite: (rows, signal) =>
        behindSavepoint(statement(rows.columns), parameters(rows), signal)
          .then(() => {}),
      tryQuery: behindSavepoint,
      write: (rows, signal) =>
        run(tx.unsafe(statement(rows.columns), parameters(rows)), signal)
          .then(() => {}),
      query: (text, values) => Promise.resolve(tx.unsafe(text, values)),
      async commit() {
        decide(true);
        await finished();
      },
      async rollback() {
        decide(false);
        await finished().catch(() => {});
      },
    };
  }

  return {
    async describe(signal) {
      const client = await target.client();
      const [found] = await run(
        client.unsafe("SELECT to_regclass($1)::oid::text AS oid", [relation]),
        signal,
      ) as { oid: string | null }[];
      if (found?.oid === null || found?.oid === undefined) {
        throw tableError(
          "the table does not exist",
          `create it, or name its schema ("schema.table") when it is not on the search_path`,
        );
      }
      const rows = await run(
        client.unsafe(COLUMNS_SQL, [found.oid]),
        signal,
      ) as Record<string, string | null>[];
      const keys = await run(
        client.unsafe(KEYS_SQL, [found.oid]),
        signal,
      ) as { names: string }[];
      const columns = new Map<string, PgColumn>();
      for (const row of rows) {
        const root = row.root!;
        columns.set(row.name!, {
          name: row.name!,
          type: row.type!,
          base: row.base!,
          kind: root === "json" || root === "jsonb"
            ? "json"
            : row.category === "A"
            ? "array"
            : "scalar",
          writable: row.writable === "y",
          maxChars: row.maxchars === null ? undefined : Number(row.maxchars),
        });
      }
      return {
        columns,
        uniqueKeys: keys.map((k) => JSON.parse(k.names) as string[]),
      };
    },

    convert(column, value) {
      if (value === undefined || value === null) return null;
      if (column.kind === "json") {
        const text = JSON.stringify(value);
        if (text === undefined) {
          throw new TypeError("JSON cannot hold it");
        }
        return text;
      }
      if (column.kind === "array" && Array.isArray(value)) {
        return arrayLiteral(value);
      }
      return scalar(value);
    },

    async write(rows, signal) {
      const client = await target.client();
      await run(
        client.unsafe(statement(rows.columns), parameters(rows)),
        signal,
      );
    },

    async begin(signal) {
      const client = await target.client();
      signal.throwIfAborted();
      return await new Promise<PgTransaction>((resolve, reject) => {
        let decide!: (commit: boolean) => void;
        const decided = new Promise<boolean>((done) => decide = done);
        let opened = false;
        const finished = Promise.resolve(
          client.begin(async (tx) => {
            opened = true;
            resolve(transaction(tx, decide, () => finished));
            if (!(await decided)) throw ROLLBACK;
          }),
        ).then(() => {}, (error) => {
          if (error === ROLLBACK) return;
          if (!opened) reject(error);
          throw error;
        });
        finished.catch(() => {});
      });
    },

    fault,

    bindStore(store) {
      const hook = target.bind(store);
      return (tx, id, position, generation) =>
        hook.commitIn(tx.query, id, position, generation);
    },

    sqlState(error) {
      const code = codeOf(error);
      return code !== undefined && /^[0-9A-Z]{5}$/.test(code) &&
          !TRANSIENT_CODES.has(code)
        ? code
        : undefined;
    },

    tableError(error) {
      const code = codeOf(error);
      const message = describeError(error);
      switch (code) {
        case "42P01":
          return tableError(
            "the table does not exist",
            `create it, or name its schema ("schema.table") when it is not on the search_path`,
            undefined,
            error,
          );
        case "3F000":
          return tableError(
            "its schema does not exist",
            "create the schema and the table, or fix the table option",
            undefined,
            error,
          );
        case "42703": {
          const column = /column "((?:[^"]|"")*)"/.exec(message)?.[1];
          return tableError(
            message,
            "add the column, or choose the columns to write with the sink's columns option",
            column,
            error,
          );
        }
        case "42P10":
          return tableError(
            `mode "upsert" needs a primary key or unique index on exactly (${
              key.join(", ")
            })`,
            "create one, or set key to the columns of one the table has",
            undefined,
            error,
          );
        case "42501":
          return tableError(
            message,
            `grant INSERT${
              mode === "upsert" ? " and UPDATE" : ""
            } on the table to the sink's user`,
            undefined,
            error,
          );
        case "25006":
          return tableError(
            message,
            "connect to the primary server, not a standby",
            undefined,
            error,
          );
        default:
          return tableError(message, "", undefined, error);
      }
    },

    async explain(error, row, tx, signal) {
      const e = (error ?? {}) as PgError;
      const code = codeOf(error) ?? "";
      const message = describeError(error);
      if (code === "23502" && typeof e.column_name === "string") {
        const column = row.columns.find((c) => c.name === e.column_name);
        return {
          column: e.column_name,
          reason: `column "${e.column_name}"${
            column ? ` (${column.type})` : ""
          } cannot be NULL: ${message}`,
        };
      }
      if (code.startsWith("23")) {
        const detail = typeof e.detail === "string" ? e.detail : "";
        const column = /^Key \((.+?)\)=/.exec(detail)?.[1];
        return {
          ...(column === undefined ? {} : { column }),
          reason: detail === "" ? message : `${message} (${detail})`,
        };
      }
      // Which value: cast each to its column's type, each on its own.
      const values = row.values[0]!;
      for (const [i, column] of row.columns.entries()) {
        const text = values[i] as string | null;
        if (text === null) continue;
        const shown = describeValue(text);
        try {
          await tx.tryQuery(`SELECT $1::${column.type}`, [text], signal);
        } catch (probe) {
          if (fault(probe) !== "record") throw probe;
          return {
            column: column.name,
            reason:
              `column "${column.name}" (${column.type}) cannot take ${shown}: ${
                describeError(probe)
              }; ${VALUE_HINT}`,
          };
        }
        if (
          column.maxChars !== undefined && [...text].length > column.maxChars
        ) {
          return {
            column: column.name,
            reason:
              `column "${column.name}" (${column.type}) cannot take ${shown}: it is longer than ${column.maxChars} characters; ${VALUE_HINT}`,
          };
        }
      }
      return { reason: message };
    },

    // Nothing of the sink is in flight by then: a second is plenty (the
    // postgres package may wait for the whole timeout after a lost connection).
    close: () => target.end(1),
    destroy: () => target.end(0),
  };
}
