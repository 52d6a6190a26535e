// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

// How an exactly-once SQL sink (postgresSink, mariadbSink with
// exactlyOnce: true) commits the pipeline's position inside its own
// transaction: the checkpoint store of its database (postgresStore,
// mariadbStore) carries this hook under SQL_CHECKPOINT. Not part of the
// public API.

import type { CheckpointStore } from "../../src/checkpoint/checkpoint_store.ts";
import type { Position } from "../../src/checkpoint/position.ts";

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
