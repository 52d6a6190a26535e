// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

// What the PostgreSQL stores (checkpoints, definitions) share: a query a
// signal cancels, and their table created once, safely when two sessions
// race. Not part of the public API.

import { describeValue } from "../../src/util/describe_value.ts";
import type { PostgresSql } from "./postgres_store.ts";

const POSTGRES_URL = /^postgres(?:ql)?:\/\//;

/**
 * Checks what a PostgreSQL store or engine was given: a `postgres`
 * instance (anything with `unsafe()`) or a postgres:// URL.
 *
 * @throws {TypeError} "Cannot create WHERE: ..." otherwise.
 */
export function checkClient(client: unknown, where: string): void {
  if (typeof client === "string") {
    if (!URL.canParse(client) || !POSTGRES_URL.test(client)) {
      throw new TypeError(
        `Cannot create ${where}: the url must be a postgres:// or postgresql:// URL`,
      );
    }
  } else if (
    typeof client !== "function" &&
      (typeof client !== "object" || client === null) ||
    typeof (client as { unsafe?: unknown }).unsafe !== "function"
  ) {
    throw new TypeError(
      `Cannot create ${where}: give a postgres instance (postgres(url)) or a postgres:// URL, got ${
        describeValue(client)
      }`,
    );
  }
}

/**
 * The quoted table of `name` (`"etl.checkpoints"` -> `"etl"."checkpoints"`).
 *
 * @throws {TypeError} "Cannot create WHERE: table must be a name such as
 * "EXAMPLE" or "schema.EXAMPLE", ..." for anything but dot-separated parts.
 */
export function checkedTable(
  name: unknown,
  where: string,
  example: string,
): string {
  if (
    typeof name !== "string" || name.split(".").some((part) => part === "")
  ) {
    throw new TypeError(
      `Cannot create ${where}: table must be a name such as "${example}" or "schema.${example}", got ${
        describeValue(name)
      }`,
    );
  }
  return quoteTableName(name);
}

/**
 * What CREATE TABLE IF NOT EXISTS raises when another session creates the
 * same table at the same moment (unique_violation on the catalog,
 * duplicate_object, duplicate_table): the table exists afterwards.
 */
const CREATE_RACE_CODES = new Set(["23505", "42710", "42P07"]);

/** `"etl.checkpoints"` -> `"etl"."checkpoints"`: each part quoted as given. */
export function quoteTableName(name: string): string {
  return name.split(".").map((part) => `"${part.replaceAll('"', '""')}"`)
    .join(".");
}

/** Runs a query; when `signal` aborts, cancels it and rejects with the reason. */
export async function cancellableQuery(
  sql: PostgresSql | Promise<PostgresSql>,
  text: string,
  parameters: (string | number | null)[],
  signal: AbortSignal | undefined,
): Promise<readonly object[]> {
  signal?.throwIfAborted();
  const running = (await sql).unsafe(text, parameters);
  if (signal === undefined) return await running;
  return await new Promise((resolve, reject) => {
    const onAbort = () => {
      running.cancel();
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    running.then((rows) => {
      signal.removeEventListener("abort", onAbort);
      resolve(rows);
    }, (error) => {
      signal.removeEventListener("abort", onAbort);
      reject(error);
    });
  });
}

/**
 * Creates `table` (quoted) with `columns` on first use, once: the
 * returned function resolves once it exists. A call's own signal stops
 * only its wait; `storeSignal` stops the creation.
 */
export function tableCreator(
  query: (
    text: string,
    parameters: (string | number | null)[],
    signal: AbortSignal | undefined,
  ) => Promise<readonly object[]>,
  table: string,
  columns: string,
  storeSignal: AbortSignal | undefined,
): (signal: AbortSignal | undefined) => Promise<void> {
  const exists = async (signal: AbortSignal | undefined) => {
    const [found] = await query(
      "SELECT to_regclass($1) IS NOT NULL AS present",
      [table],
      signal,
    ) as { present: boolean }[];
    return found!.present;
  };
  const create = async (signal: AbortSignal | undefined) => {
    if (await exists(signal)) return;
    try {
      await query(
        `CREATE TABLE IF NOT EXISTS ${table} (${columns})`,
        [],
        signal,
      );
    } catch (error) {
      const code = (error as { code?: unknown } | undefined)?.code;
      if (!CREATE_RACE_CODES.has(String(code)) || !(await exists(signal))) {
        throw error;
      }
    }
  };
  let ready: Promise<void> | undefined;
  return async (signal) => {
    ready ??= create(storeSignal).catch((error) => {
      ready = undefined;
      throw error;
    });
    if (signal === undefined || signal === storeSignal) return await ready;
    const creating = ready;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      creating.then(resolve, reject).finally(() =>
        signal.removeEventListener("abort", onAbort)
      );
    });
  };
}
