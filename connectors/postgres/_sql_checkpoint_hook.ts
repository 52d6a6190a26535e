// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

// How an exactly-once SQL sink (postgresSink, mariadbSink with
// exactlyOnce: true) commits the pipeline's position inside its own
// transaction: the checkpoint store of its database (postgresStore,
// mariadbStore) carries this hook under SQL_CHECKPOINT. Not part of the
// public API.

import type { CheckpointStore } from "../../src/checkpoint/checkpoint_store.ts";
import type { Position } from "../../src/checkpoint/position.ts";
import { ExactlyOnceError } from "./exactly_once_error.ts";

/** The key of {@linkcode SqlCheckpointHook} on a SQL checkpoint store. */
export const SQL_CHECKPOINT: unique symbol = Symbol(
  "@ca/streams/sql-checkpoint",
) as never;

/** A query run inside the sink's transaction (`$1` or `?` placeholders, per dialect). */
export type SqlQuery = (
  text: string,
  parameters: (string | number | null)[],
) => Promise<readonly object[]>;

/** What a SQL checkpoint store lends an exactly-once sink. */
export interface SqlCheckpointHook {
  /** `"postgres"` or `"mariadb"`: the dialect of `commitIn`'s statements. */
  readonly dialect: string;
  /** The client the store runs on (a postgres.js `sql`, a mysql2 pool). */
  readonly client: unknown;
  /**
   * Stores `position` for `id` with `query`, a query inside the sink's
   * transaction, fenced by `generation`: throws a `FencedError` when a
   * newer instance acquired `id`.
   */
  commitIn(
    query: SqlQuery,
    id: string,
    position: Position,
    generation: number,
  ): Promise<void>;
}

/** The hook of `store`, when it is a SQL store of `dialect`. */
export function sqlCheckpointHook(
  store: CheckpointStore,
  dialect: string,
): SqlCheckpointHook | undefined {
  const hook = (store as { [SQL_CHECKPOINT]?: SqlCheckpointHook })[
    SQL_CHECKPOINT
  ];
  return hook?.dialect === dialect ? hook : undefined;
}

/** How a SQL sink names its database, its client and its store, for messages. */
export interface SqlStoreBinding {
  connector: string;
  table: string;
  /** `"postgres"` or `"mariadb"`. */
  dialect: string;
  /** `"PostgreSQL"`, `"MariaDB"`. */
  database: string;
  /** What to set the store to: `"postgresStore(sql) on the sink's sql client"`. */
  store: string;
  /** The kind of client: `"postgres client"`, `"mysql2 pool"`. */
  client: string;
  /** How to share one: `"give postgresStore() and the sink the same postgres instance"`. */
  share: string;
  /** The client the sink was given; `undefined` when it has a url. */
  given: unknown;
  /** With a url: whether a store's client is connected to the url's database. */
  sameDatabase(client: unknown): boolean;
}

/**
 * For an exactly-once sink: the hook of `store` when the sink can write
 * through it (the same client, or with a url a client of the same
 * database); throws an ExactlyOnceError saying why not.
 */
export function bindSqlStore(
  store: CheckpointStore,
  binding: SqlStoreBinding,
): SqlCheckpointHook {
  const fail = (reason: string, todo: string): never => {
    throw new ExactlyOnceError({
      connector: binding.connector,
      table: binding.table,
      reason,
      todo,
    });
  };
  const hook = sqlCheckpointHook(store, binding.dialect) ??
    fail(
      `the pipeline's checkpoint store is not a ${binding.database} store`,
      `set options.checkpoint.store to ${binding.store} (in a config: checkpoint.store type ${binding.dialect}, the same url)`,
    );
  if (binding.given !== undefined) {
    if (hook.client !== binding.given) {
      fail(
        `the pipeline's checkpoint store runs on another ${binding.client}`,
        binding.share,
      );
    }
  } else if (!binding.sameDatabase(hook.client)) {
    fail(
      "the pipeline's checkpoint store is in another database than the sink's url",
      "point the sink's url and the checkpoint store at the same host, port and database",
    );
  }
  return hook;
}
