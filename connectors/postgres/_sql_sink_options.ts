// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

// The options every SQL sink shares (postgresSink, mariadbSink), checked
// the same way. Not part of the public API.

import { checkRetryPolicy } from "../../src/failures/retrying.ts";
import type { RetryPolicy } from "../../src/failures/retry_policy.ts";
import type { FieldSelector } from "../../src/messages/message_encoder.ts";
import { describeValue } from "../../src/util/describe_value.ts";
import { pointerReader } from "../../src/util/json_pointer.ts";

/** The shared options, as a sink's options interface declares them. */
export interface SqlSinkOptionsLike<T> {
  table?: unknown;
  mode?: unknown;
  key?: unknown;
  columns?: Record<string, FieldSelector<T, unknown>>;
  retry?: RetryPolicy;
  signal?: AbortSignal;
  exactlyOnce?: unknown;
}

/** The shared options, checked and with their defaults. */
export interface SqlSinkSettings<T> {
  table: string;
  mode: "insert" | "upsert";
  /** The key columns, empty for none. */
  key: readonly string[];
  /** Each column's selector, or `undefined` for the records' own fields. */
  columns: ReadonlyMap<string, (record: T) => unknown> | undefined;
  retry: Required<Omit<RetryPolicy, "retryable">> & {
    retryable?: (error: unknown) => boolean;
  };
  signal: AbortSignal | undefined;
  /** Store each batch and the pipeline's position in one transaction. */
  exactlyOnce: boolean;
}

/**
 * Retries of a statement that failed for want of a connection (refused,
 * cut, the server restarting) or on a deadlock: about 3 s in all.
 */
const DEFAULT_RETRY = { maxAttempts: 6, initialDelayMs: 100, maxDelayMs: 5000 };

/** Checks the shared options of `where` (`"postgresSink()"`). */
export function sqlSinkSettings<T>(
  where: string,
  options: SqlSinkOptionsLike<T>,
): SqlSinkSettings<T> {
  const fail = (message: string): never => {
    throw new TypeError(`Cannot create ${where}: ${message}`);
  };
  const {
    table,
    mode = "insert",
    key,
    columns,
    retry,
    signal,
    exactlyOnce = false,
  } = options;
  if (
    typeof table !== "string" || table === "" ||
    table.split(".").some((part) => part === "")
  ) {
    fail(
      `table must be a name such as "orders" or "schema.orders", got ${
        describeValue(table)
      }`,
    );
  }
  if (mode !== "insert" && mode !== "upsert") {
    fail(`mode must be "insert" or "upsert", got ${describeValue(mode)}`);
  }
  const keys = key === undefined ? [] : Array.isArray(key) ? key : [key];
  if (
    keys.some((name) => typeof name !== "string" || name === "") ||
    (key !== undefined && keys.length === 0)
  ) {
    fail(
      `key must be a column name or a non-empty array of them, got ${
        describeValue(key)
      }`,
    );
  }
  if (new Set(keys).size !== keys.length) {
    fail(`key names a column twice: ${JSON.stringify(keys)}`);
  }
  if (mode === "upsert" && keys.length === 0) {
    fail(
      'mode "upsert" needs key: the column(s) of a primary key or unique index to update by',
    );
  }
  let selectors: Map<string, (record: T) => unknown> | undefined;
  if (columns !== undefined) {
    if (
      columns === null || typeof columns !== "object" || Array.isArray(columns)
    ) {
      fail(
        `columns must be an object of column name to field (a function of the record, or a JSON pointer such as "/id"), got ${
          describeValue(columns)
        }`,
      );
    }
    selectors = new Map();
    for (const [name, selector] of Object.entries(columns)) {
      if (typeof selector === "function") {
        selectors.set(name, selector as (record: T) => unknown);
      } else if (
        typeof selector === "string" &&
        (selector === "" || selector.startsWith("/"))
      ) {
        selectors.set(name, pointerReader(selector) as (record: T) => unknown);
      } else {
        fail(
          `columns.${name} must be a function of the record or a JSON pointer such as "/id", got ${
            describeValue(selector)
          }`,
        );
      }
    }
    if (selectors.size === 0) fail("columns must name at least one column");
    for (const name of keys) {
      if (!selectors.has(name)) {
        fail(
          `key column ${JSON.stringify(name)} must be one of the columns (${
            [...selectors.keys()].join(", ")
          })`,
        );
      }
    }
  }
  if (retry !== undefined) checkRetryPolicy(where, retry);
  if (typeof exactlyOnce !== "boolean") {
    fail(
      `exactlyOnce must be true or false, got ${describeValue(exactlyOnce)}`,
    );
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    fail(`signal must be an AbortSignal, got ${describeValue(signal)}`);
  }
  return {
    table: table as string,
    mode: mode as "insert" | "upsert",
    key: keys as string[],
    columns: selectors,
    retry: {
      maxAttempts: retry?.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
      initialDelayMs: retry?.initialDelayMs ?? DEFAULT_RETRY.initialDelayMs,
      maxDelayMs: retry?.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
      retryable: retry?.retryable,
    },
    signal,
    exactlyOnce: exactlyOnce as boolean,
  };
}
