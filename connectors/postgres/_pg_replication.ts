// Copyright 2026 the @ca/streams authors. MIT license.
// One open of postgresChangeSource: the catalog checks, the publication and
// the slot, the initial snapshot, and the copy-both stream of
// START_REPLICATION with its pgoutput decoding, batching and standby status
// updates. Private.

import type { Position } from "../../src/checkpoint/position.ts";
import type { ConnectionHealth } from "../../src/health/connection_health.ts";
import type { SourceBatch } from "../../src/sources/resumable_source.ts";
import {
  activeError,
  checkServer,
  CONNECTOR,
  dropSlot,
  markerOf,
  openClient,
  type PgClient,
  type PgConnection,
  type PgCopyStream,
  type PgParser,
  type PgReserved,
  type PgRow,
  quoteIdentifier,
  quoteLiteral,
  serverError,
  serverOf,
  slotRow,
  type TableName,
  waitInactive,
} from "./_pg_change_link.ts";
import {
  decodeCopyData,
  decodePgoutput,
  formatLsn,
  parseLsn,
  type PgRelation,
  type PgTuple,
  standbyStatusUpdate,
} from "./_pgoutput_decoder.ts";
import type { PostgresChange } from "./postgres_change.ts";
import { PostgresChangeError } from "./postgres_change_error.ts";

/** What one open needs, checked and defaulted by postgresChangeSource. */
export interface ReaderSettings extends PgConnection {
  slot: string;
  publication: string;
  tables: TableName[];
  createSlot: boolean;
  createPublication: boolean;
  snapshot: boolean;
  reset: "latest" | bigint | undefined;
  batchSize: number;
  statusIntervalMs: number;
}

/** A batch handed on, waiting for its acknowledgement. */
interface Held {
  position: Position;
  /** The slot may confirm this LSN once the batch is stored (0n: nothing new). */
  confirm: bigint;
  /** The last batch of the snapshot: once stored, the snapshot is complete. */
  snapshotEnd: boolean;
}

/** A batch being filled, or cut and not yet handed on. */
interface Building {
  records: PostgresChange[];
  position: Position | undefined;
  confirm: bigint;
}

/** A relation of the stream, ready to turn tuples into rows. */
interface Relation {
  schema: string;
  table: string;
  names: string[];
  parsers: Array<PgParser | undefined>;
  /** Indexes of the key columns. */
  key: number[];
}

/** The transaction being decoded. */
interface Transaction {
  lsn: bigint;
  lsnText: string;
  commitTime: string;
  /** The index the next change gets. */
  index: number;
}

/** Past this many messages waiting, the socket is paused. */
const HIGH_WATER_BATCHES = 4;
/** After stop(), how long to wait for the next ack of a batch in flight. */
const ACK_IDLE_MS = 2000;
const ACK_WAIT_MS = 10_000;
/** How long a slot still held by a reader that is going away is waited for. */
const ACTIVE_WAIT_MS = 5000;

export class ChangeReader {
  #settings: ReaderSettings;
  #signal: AbortSignal;
  #action: string;
  #sql?: PgClient;
  #rep?: PgClient;
  #stream?: PgCopyStream;
  #released = false;
  #releasing?: Promise<void>;
  #error: unknown;
  #wake?: () => void;
  #onAbort = () => void this.release();
  #health: ConnectionHealth = {
    state: "connecting",
    since: new Date().toISOString(),
  };

  /** Primary keys of the configured tables, by `schema.table`. */
  #keys = new Map<string, string[]>();
  #relations = new Map<number, Relation>();
  /** Resume inside the stream: skip what the checkpoint says is stored. */
  #skip?: ReaderSkip;
  /** open() until it settles: a release waits for it before closing. */
  #opening?: Promise<void>;

  // The snapshot, when one is read.
  #reserved?: PgReserved;
  #snapshotLsn = "";
  #snapshotTime = "";
  #snapshotRows?: AsyncIterator<PostgresChange[]>;
  #snapshotNext?: IteratorResult<PostgresChange[]>;
  #snapshotCount = 0;
  #snapshotHanded = false;
  #markerDropping?: Promise<void>;

  // The stream.
  #queue: Uint8Array[] = [];
  #head = 0;
  #paused = false;
  #txn?: Transaction;
  #building: Building = { records: [], position: undefined, confirm: 0n };
  #ready: Building[] = [];
  #held: Held[] = [];
  /** The slot's confirmed position, as last sent (or read at open). */
  #confirmed = 0n;
  #received = 0n;
  #ticker?: ReturnType<typeof setInterval>;
  #acks = 0;
  #drained?: () => void;

  constructor(settings: ReaderSettings, signal: AbortSignal) {
    this.#settings = settings;
    this.#signal = signal;
    this.#action = `start ${CONNECTOR} on ${
      serverOf(settings.url)
    } (slot "${settings.slot}")`;
  }

  health(): ConnectionHealth {
    return { ...this.#health };
  }

  /** Checks the server, makes what is missing, and prepares the snapshot. */
  open(after: Position | undefined): Promise<void> {
    this.#signal.throwIfAborted();
    const skip = resumeFrom(after);
    this.#signal.addEventListener("abort", this.#onAbort, { once: true });
    this.#opening = this.#open(skip);
    return this.#opening;
  }

  async #open(skip: ReaderSkip | undefined): Promise<void> {
    try {
      const sql = this.#sql = await openClient(this.#settings, false);
      if (this.#released) return;
      await checkServer(sql, this.#action);
      await this.#checkTables();
      await this.#ensurePublication();
      if (this.#released) return;
      const retaken = await this.#ensureSlot();
      if (this.#released) return;
      const reset = this.#settings.reset;
      if (reset !== undefined && !retaken) await this.#reset(reset);
      else if (!retaken) this.#skip = skip;
      if (this.#released) return;
      this.#rep ??= await openClient(this.#settings, true);
      this.#health = { state: "connected", since: new Date().toISOString() };
    } catch (error) {
      throw serverError(error, this.#action);
    }
  }

  async #checkTables(): Promise<void> {
    const sql = this.#sql!;
    for (const table of this.#settings.tables) {
      const [found] = await sql.unsafe(
        "SELECT to_regclass($1)::oid::int8::text AS oid",
        [table.quoted],
      );
      if (found?.oid == null) {
        throw new PostgresChangeError(
          "table-missing",
          this.#action,
          `table "${table.text}" does not exist: create it first, or fix "tables"`,
        );
      }
      const columns = await sql.unsafe(
        `SELECT a.attname AS name
         FROM pg_index i
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
         WHERE i.indrelid = $1::oid AND i.indisprimary
         ORDER BY array_position(i.indkey::int2[], a.attnum)`,
        [found.oid],
      );
      this.#keys.set(table.text, columns.map((row) => String(row.name)));
    }
  }

  async #ensurePublication(): Promise<void> {
    const sql = this.#sql!;
    const { publication, tables, createPublication } = this.#settings;
    const name = quoteIdentifier(publication);
    const [found] = await sql.unsafe(
      "SELECT puballtables FROM pg_publication WHERE pubname = $1",
      [publication],
    );
    if (found === undefined) {
      if (!createPublication) {
        throw new PostgresChangeError(
          "publication-missing",
          this.#action,
          `publication "${publication}" does not exist: create it (CREATE PUBLICATION ${name} FOR TABLE ...) or leave createPublication on`,
        );
      }
      try {
        await sql.unsafe(
          `CREATE PUBLICATION ${name} FOR TABLE ${
            tables.map((table) => table.quoted).join(", ")
          }`,
        );
        return;
      } catch (error) {
        // Created by another process meanwhile: check it as found.
        if ((error as { code?: unknown }).code !== "42710") throw error;
      }
    }
    if (found?.puballtables === true) return;
    const rows = await sql.unsafe(
      "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1",
      [publication],
    );
    const has = new Set(
      rows.map((row) => `${row.schemaname}.${row.tablename}`),
    );
    const missing = tables.filter((table) => !has.has(table.text));
    if (missing.length === 0) return;
    if (!createPublication) {
      throw new PostgresChangeError(
        "publication-missing",
        this.#action,
        `publication "${publication}" does not include table "${
          missing[0]!.text
        }": add it (ALTER PUBLICATION ${name} ADD TABLE ...) or leave createPublication on`,
      );
    }
    await sql.unsafe(
      `ALTER PUBLICATION ${name} ADD TABLE ${
        missing.map((table) => table.quoted).join(", ")
      }`,
    );
  }

  /**
   * Finds or creates the slot. Returns whether a snapshot is read (the slot
   * was created, or an unfinished snapshot is taken again).
   */
  async #ensureSlot(): Promise<boolean> {
    const sql = this.#sql!;
    const { slot, snapshot, createSlot } = this.#settings;
    let row = await slotRow(sql, slot);
    // The marker exists from before a snapshot is taken until it is stored.
    const unfinished = snapshot &&
      (await slotRow(sql, markerOf(slot))) !== undefined;
    if (row !== undefined && unfinished) {
      await dropSlot(sql, slot, this.#action);
      row = undefined;
    }
    if (row === undefined) {
      if (!createSlot && !unfinished) {
        throw new PostgresChangeError(
          "slot-missing",
          this.#action,
          `replication slot "${slot}" does not exist: create it (SELECT pg_create_logical_replication_slot('${slot}', 'pgoutput')) or leave createSlot on`,
        );
      }
      await this.#createSlot();
      return snapshot;
    }
    if (
      row.slot_type !== "logical" || row.plugin !== "pgoutput" ||
      row.database !== row.current_database
    ) {
      throw new PostgresChangeError(
        "slot-mismatch",
        this.#action,
        `replication slot "${slot}" is a ${row.slot_type} slot${
          row.plugin ? ` of plugin ${row.plugin}` : ""
        }${
          row.database ? ` in database "${row.database}"` : ""
        }, and this source needs a logical slot of plugin pgoutput in database "${row.current_database}": drop it or choose another slot name`,
      );
    }
    if (row.active_pid != null) {
      row = await waitInactive(sql, slot, ACTIVE_WAIT_MS);
      if (row === undefined) return await this.#ensureSlot();
      if (row.active_pid != null) {
        throw activeError(slot, row.active_pid, this.#action);
      }
    }
    this.#confirmed = parseLsn(row.confirmed_flush_lsn) ?? 0n;
    return false;
  }

  async #createSlot(): Promise<void> {
    const { slot, snapshot, batchSize } = this.#settings;
    const sql = this.#sql!;
    if (snapshot) {
      // Before the slot: a crash from here until the snapshot is stored
      // leaves the marker, and the next open takes the snapshot again.
      try {
        await sql.unsafe("SELECT pg_create_physical_replication_slot($1)", [
          markerOf(slot),
        ]);
      } catch (error) {
        if ((error as { code?: unknown }).code !== "42710") throw error;
      }
    }
    const rep = this.#rep = await openClient(this.#settings, true);
    const [created] = await rep.unsafe(
      `CREATE_REPLICATION_SLOT ${slot} LOGICAL pgoutput ${
        snapshot ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT"
      }`,
    ).simple();
    const consistent = String(created!.consistent_point);
    this.#confirmed = parseLsn(consistent) ?? 0n;
    if (!snapshot) return;
    // The exported snapshot lives until the replication connection's next
    // command: import it first.
    const reserved = this.#reserved = await sql.reserve();
    await reserved.unsafe(
      "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    );
    await reserved.unsafe(
      `SET TRANSACTION SNAPSHOT ${
        quoteLiteral(String(created!.snapshot_name))
      }`,
    );
    this.#snapshotLsn = consistent;
    this.#snapshotTime = new Date().toISOString();
    this.#snapshotRows = this.#readSnapshot(reserved, batchSize);
  }

  async *#readSnapshot(
    reserved: PgReserved,
    batchSize: number,
  ): AsyncGenerator<PostgresChange[]> {
    for (const table of this.#settings.tables) {
      const key = this.#keys.get(table.text) ?? [];
      const cursor = reserved.unsafe(`SELECT * FROM ${table.quoted}`).cursor(
        batchSize,
      );
      for await (const rows of cursor) {
        yield rows.map((row: PgRow) => ({
          op: "read" as const,
          schema: table.schema,
          table: table.table,
          key: pick(row, key),
          after: { ...row },
          lsn: this.#snapshotLsn,
          commitTime: this.#snapshotTime,
        }));
      }
    }
  }

  async #reset(reset: "latest" | bigint): Promise<void> {
    const sql = this.#sql!;
    const { slot } = this.#settings;
    const confirmed = this.#confirmed;
    if (typeof reset === "bigint" && reset < confirmed) {
      throw new PostgresChangeError(
        "reset-before-slot",
        this.#action,
        `reset asks for ${
          formatLsn(reset)
        }, and replication slot "${slot}" has confirmed ${
          formatLsn(confirmed)
        }: PostgreSQL keeps no changes before it. Reset to ${
          formatLsn(confirmed)
        } or later, or drop the slot (dropPostgresChangeSlot) and start again with snapshot: true`,
      );
    }
    if (reset === confirmed) return;
    const [moved] = await sql.unsafe(
      `SELECT end_lsn::text AS lsn FROM pg_replication_slot_advance($1, ${
        reset === "latest" ? "pg_current_wal_lsn()" : "$2::text::pg_lsn"
      })`,
      reset === "latest" ? [slot] : [slot, formatLsn(reset)],
    );
    this.#confirmed = parseLsn(moved?.lsn) ?? confirmed;
  }

  /** The next batch: the snapshot's first, then the stream's; `null` once released. */
  async take(): Promise<SourceBatch<PostgresChange> | null> {
    if (this.#released) return null;
    if (this.#snapshotRows !== undefined) {
      const batch = await this.#takeSnapshot();
      if (batch !== undefined) return batch;
      if (this.#released) return null;
    }
    if (this.#stream === undefined) await this.#startStreaming();
    for (;;) {
      if (this.#error !== undefined) throw this.#error;
      if (this.#released) return null;
      const ready = this.#ready.shift();
      if (ready !== undefined) return this.#hand(ready);
      if (this.#head < this.#queue.length) {
        this.#process(this.#queue[this.#head]!);
        this.#queue[this.#head++] = undefined as never;
        this.#drain();
        continue;
      }
      // Nothing more waiting: hand on what there is, even inside a transaction.
      if (this.#building.records.length > 0) {
        this.#cut();
        continue;
      }
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  async #takeSnapshot(): Promise<SourceBatch<PostgresChange> | undefined> {
    const rows = this.#snapshotRows!;
    try {
      const next = this.#snapshotNext ?? await rows.next();
      if (next.done || this.#released) {
        await this.#endSnapshot();
        return undefined;
      }
      // One ahead: the last batch carries the snapshot's end.
      const following = this.#snapshotNext = await rows.next();
      this.#snapshotCount += next.value.length;
      const position: Position = {
        snapshot: this.#snapshotLsn,
        row: this.#snapshotCount,
      };
      const snapshotEnd = following.done === true;
      this.#held.push({ position, confirm: 0n, snapshotEnd });
      this.#snapshotHanded = true;
      return { records: next.value, position };
    } catch (error) {
      throw serverError(
        error,
        `read the snapshot of ${CONNECTOR} (slot "${this.#settings.slot}")`,
      );
    }
  }

  async #endSnapshot(): Promise<void> {
    this.#snapshotRows = undefined;
    const reserved = this.#reserved;
    this.#reserved = undefined;
    if (reserved !== undefined) {
      await reserved.unsafe("COMMIT").then(() => {}, () => {});
      reserved.release();
    }
    // Nothing to store: the snapshot is complete now.
    if (!this.#snapshotHanded && !this.#released) this.#dropMarker();
  }

  #dropMarker(): Promise<void> {
    // Should it fail, the marker stays and the next run takes the snapshot
    // again: rows twice, nothing lost. Not a reason to stop this run.
    this.#markerDropping ??= dropSlot(
      this.#sql!,
      markerOf(this.#settings.slot),
      `end the snapshot of ${CONNECTOR}`,
    ).then(() => {}, () => {});
    return this.#markerDropping;
  }

  async #startStreaming(): Promise<void> {
    const { slot, publication, statusIntervalMs } = this.#settings;
    const options = `proto_version '1', publication_names ${
      quoteLiteral(quoteIdentifier(publication))
    }`;
    let stream: PgCopyStream;
    try {
      stream = await this.#rep!.unsafe(
        `START_REPLICATION SLOT ${slot} LOGICAL ${
          formatLsn(this.#confirmed)
        } (${options})`,
      ).writable();
    } catch (error) {
      throw serverError(error, this.#action);
    }
    this.#stream = stream;
    if (this.#released) return void stream.end();
    stream.on("data", (chunk: Uint8Array) => {
      if (this.#released) return; // read to the end, and dropped
      this.#queue.push(chunk);
      if (
        !this.#paused &&
        this.#queue.length - this.#head >
          HIGH_WATER_BATCHES * this.#settings.batchSize
      ) {
        this.#paused = true;
        stream.pause();
      }
      this.#notify();
    });
    stream.on("error", (error: unknown) => this.#fail(error));
    stream.on("close", () => {
      if (!this.#released) {
        this.#fail(new Error("the server ended the replication stream"));
      }
    });
    this.#ticker = setInterval(() => this.#sendStatus(), statusIntervalMs);
  }

  /** Lets the socket flow again once the queue ran low. */
  #drain(): void {
    const waiting = this.#queue.length - this.#head;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    if (this.#paused && waiting < this.#settings.batchSize) {
      this.#paused = false;
      this.#stream?.resume();
    }
  }

  #process(bytes: Uint8Array): void {
    const message = decodeCopyData(bytes);
    if (message === undefined) return;
    if (message.type === "keepalive") {
      if (message.walEnd > this.#received) this.#received = message.walEnd;
      // Every transaction committed before walEnd came before this message.
      if (this.#txn === undefined) this.#confirmAfterAll(message.walEnd);
      if (message.replyRequested) this.#sendStatus();
      return;
    }
    if (message.walStart > this.#received) this.#received = message.walStart;
    const decoded = decodePgoutput(message.data);
    switch (decoded.type) {
      case "begin": {
        this.#txn = {
          lsn: decoded.finalLsn,
          lsnText: formatLsn(decoded.finalLsn),
          commitTime: decoded.commitTime,
          index: 0,
        };
        if (this.#skip !== undefined && decoded.finalLsn > this.#skip.lsn) {
          this.#skip = undefined;
        }
        return;
      }
      case "commit": {
        this.#txn = undefined;
        this.#confirmAfterAll(decoded.endLsn);
        if (this.#building.records.length >= this.#settings.batchSize) {
          this.#cut();
        }
        return;
      }
      case "relation":
        this.#relations.set(
          decoded.relation.id,
          this.#relation(decoded.relation),
        );
        return;
      case "insert": {
        const relation = this.#relationOf(decoded.relationId);
        const after = row(relation, decoded.after);
        this.#add(relation, "insert", pick(after, relation), undefined, after);
        return;
      }
      case "update": {
        const relation = this.#relationOf(decoded.relationId);
        const before = decoded.before === undefined
          ? undefined
          : decoded.oldKind === "O"
          ? row(relation, decoded.before)
          : keyOnly(relation, decoded.before);
        const after = row(
          relation,
          decoded.after,
          decoded.oldKind === "O" ? before : undefined,
        );
        this.#add(relation, "update", pick(after, relation), before, after);
        return;
      }
      case "delete": {
        const relation = this.#relationOf(decoded.relationId);
        const before = decoded.oldKind === "O"
          ? row(relation, decoded.before)
          : keyOnly(relation, decoded.before);
        this.#add(
          relation,
          "delete",
          pick(before, relation),
          before,
          undefined,
        );
        return;
      }
      case "truncate":
        for (const id of decoded.relationIds) {
          this.#add(this.#relationOf(id), "truncate", {}, undefined, undefined);
        }
        return;
      default:
        return;
    }
  }

  #relation(relation: PgRelation): Relation {
    const parsers = this.#sql!.options.parsers;
    const names = relation.columns.map((column) => column.name);
    const primary = this.#keys.get(`${relation.schema}.${relation.table}`);
    let key = (primary ?? []).map((name) => names.indexOf(name)).filter((
      index,
    ) => index !== -1);
    if (key.length === 0) {
      key = relation.columns.flatMap((column, index) =>
        column.key ? [index] : []
      );
    }
    return {
      schema: relation.schema,
      table: relation.table,
      names,
      parsers: relation.columns.map((column) => parsers[column.type]),
      key,
    };
  }

  #relationOf(id: number): Relation {
    const relation = this.#relations.get(id);
    if (relation === undefined) {
      throw new SyntaxError(
        `Cannot decode the replication stream of ${CONNECTOR}: a change names relation ${id}, which no Relation message described`,
      );
    }
    return relation;
  }

  #add(
    relation: Relation,
    op: PostgresChange["op"],
    key: Record<string, unknown>,
    before: Record<string, unknown> | undefined,
    after: Record<string, unknown> | undefined,
  ): void {
    const txn = this.#txn!;
    const index = txn.index++;
    const skip = this.#skip;
    if (
      skip !== undefined &&
      (txn.lsn < skip.lsn || (txn.lsn === skip.lsn && index <= skip.index))
    ) return;
    if (this.#building.records.length >= this.#settings.batchSize) this.#cut();
    const change: PostgresChange = {
      op,
      schema: relation.schema,
      table: relation.table,
      key,
      lsn: txn.lsnText,
      commitTime: txn.commitTime,
    };
    if (before !== undefined) change.before = before;
    if (after !== undefined) change.after = after;
    this.#building.records.push(change);
    this.#building.position = { lsn: txn.lsnText, index };
  }

  /** The slot may confirm `lsn` once everything handed on so far is stored. */
  #confirmAfterAll(lsn: bigint): void {
    const last = this.#building.records.length > 0
      ? this.#building
      : this.#ready.at(-1) ?? this.#held.at(-1);
    if (last === undefined) this.#flushTo(lsn);
    else if (lsn > last.confirm) last.confirm = lsn;
  }

  #cut(): void {
    this.#ready.push(this.#building);
    this.#building = { records: [], position: undefined, confirm: 0n };
  }

  #hand(batch: Building): SourceBatch<PostgresChange> {
    const position = batch.position!;
    this.#held.push({ position, confirm: batch.confirm, snapshotEnd: false });
    return { records: batch.records, position };
  }

  /** Every batch up to the one at `position` is stored. */
  ack(position: Position): Promise<void> | void {
    let index = this.#held.findIndex((held) => held.position === position);
    if (index === -1) {
      const json = JSON.stringify(position);
      index = this.#held.findIndex((held) =>
        JSON.stringify(held.position) === json
      );
      if (index === -1) return;
    }
    const done = this.#held.splice(0, index + 1);
    this.#acks++;
    let flush = 0n;
    let snapshotEnd = false;
    for (const batch of done) {
      if (batch.confirm > flush) flush = batch.confirm;
      snapshotEnd ||= batch.snapshotEnd;
    }
    if (flush > 0n) this.#flushTo(flush);
    this.#drained?.();
    if (snapshotEnd) return this.#dropMarker();
  }

  #flushTo(lsn: bigint): void {
    if (lsn <= this.#confirmed) return;
    this.#confirmed = lsn;
    this.#sendStatus();
  }

  #sendStatus(): void {
    const stream = this.#stream;
    if (stream === undefined || stream.destroyed || this.#confirmed === 0n) {
      return;
    }
    const written = this.#received > this.#confirmed
      ? this.#received
      : this.#confirmed;
    try {
      stream.write(standbyStatusUpdate(written, this.#confirmed));
    } catch {
      // The stream is going: the close handler reports it.
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #fail(error: unknown): void {
    if (this.#released) return;
    this.#error ??= serverError(
      error,
      `read the replication stream of ${CONNECTOR} (slot "${this.#settings.slot}")`,
    );
    this.#notify();
  }

  /**
   * Lets everything go. After `stop()` inside a pipeline, the batches
   * handed on still reach the sink: their acks are waited for while they
   * keep coming (at most 2 s apart, 10 s in all), so that the slot is told.
   * Then the stream ends, the slot is waited for until the server lets go
   * of it, and both connections close.
   */
  release(failure?: unknown): Promise<void> {
    this.#releasing ??= (async () => {
      const reason: unknown = failure ?? this.#signal.reason;
      this.#released = true;
      this.#signal.removeEventListener("abort", this.#onAbort);
      this.#notify();
      const graceful = reason === undefined ||
        (reason as { name?: unknown }).name === "AbortError";
      if (
        graceful && this.#acks > 0 && this.#held.length > 0 &&
        this.#stream !== undefined
      ) {
        await new Promise<void>((resolve) => {
          const deadline = Date.now() + ACK_WAIT_MS;
          let timer: ReturnType<typeof setTimeout> | undefined;
          const arm = () => {
            clearTimeout(timer);
            const left = Math.min(ACK_IDLE_MS, deadline - Date.now());
            timer = setTimeout(resolve, Math.max(0, left));
          };
          arm();
          this.#drained = () => {
            if (this.#held.length > 0) return arm();
            clearTimeout(timer);
            resolve();
          };
        });
        this.#drained = undefined;
      }
      // Connections being opened are closed below once they are.
      await bounded(this.#opening, 10_000);
      clearInterval(this.#ticker);
      const rows = this.#snapshotRows;
      this.#snapshotRows = undefined;
      await bounded(rows?.return?.(undefined), 2000);
      const reserved = this.#reserved;
      this.#reserved = undefined;
      if (reserved !== undefined) {
        await reserved.unsafe("ROLLBACK").then(() => {}, () => {});
        reserved.release();
      }
      const stream = this.#stream;
      if (stream !== undefined && !stream.destroyed) {
        this.#sendStatus();
        this.#queue = [];
        this.#head = 0;
        await bounded(
          new Promise<void>((resolve) => {
            stream.once("close", resolve);
            // The server's CopyDone ends the stream once it flows again.
            stream.resume();
            stream.end();
          }),
          2000,
        );
      }
      await bounded(this.#rep?.end({ timeout: 1 }), 3000);
      await bounded(this.#markerDropping?.catch(() => {}), 3000);
      const sql = this.#sql;
      if (sql !== undefined) {
        // The next reader may start at once: wait until the server let go.
        if (this.#rep !== undefined) {
          await bounded(
            waitInactive(sql, this.#settings.slot, ACTIVE_WAIT_MS).catch(
              () => {},
            ),
            ACTIVE_WAIT_MS + 1000,
          );
        }
        await bounded(sql.end({ timeout: 1 }), 3000);
      }
    })();
    return this.#releasing;
  }
}

/** Settles once `promise` does or `ms` passed, whichever first. */
async function bounded(
  promise: Promise<unknown> | undefined,
  ms: number,
): Promise<void> {
  if (promise === undefined) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    promise.then(() => {}, () => {}),
    new Promise<void>((resolve) => timer = setTimeout(resolve, ms)),
  ]);
  clearTimeout(timer);
}

/** Where a resume starts inside the stream: what to skip. */
interface ReaderSkip {
  lsn: bigint;
  index: number;
}

/** Where a resume starts inside the stream, from a position this source gave. */
function resumeFrom(after: Position | undefined): ReaderSkip | undefined {
  if (after === undefined || after === null) return undefined;
  if (typeof after === "object" && !Array.isArray(after)) {
    if (typeof after.snapshot === "string") return undefined;
    const lsn = parseLsn(after.lsn);
    const index = after.index;
    if (lsn !== undefined && typeof index === "number") return { lsn, index };
  }
  throw new TypeError(
    `Cannot resume ${CONNECTOR}: ${
      JSON.stringify(after)
    } is not one of its positions ({ lsn, index } or { snapshot, row }); was the checkpoint written by another source?`,
  );
}

function parse(text: string, parser: PgParser | undefined): unknown {
  if (parser === undefined) return text;
  return parser.array === true ? parser(text.slice(1)) : parser(text);
}

/** A tuple as a row; unchanged TOASTed values taken from `base`, or left out. */
function row(
  relation: Relation,
  tuple: PgTuple,
  base?: Record<string, unknown>,
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (let i = 0; i < tuple.length; i++) {
    const name = relation.names[i]!;
    const text = tuple[i];
    if (text === undefined) {
      if (base !== undefined && name in base) result[name] = base[name];
    } else {
      result[name] = text === null ? null : parse(text, relation.parsers[i]);
    }
  }
  return result;
}

/** The key columns of a `K` tuple (the others are sent as nulls). */
function keyOnly(relation: Relation, tuple: PgTuple): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const i of relation.key) {
    const text = tuple[i];
    result[relation.names[i]!] = text == null
      ? null
      : parse(text, relation.parsers[i]);
  }
  return result;
}

/** The key columns of a row. */
function pick(
  values: Record<string, unknown>,
  key: Relation | string[],
): Record<string, unknown> {
  const names = Array.isArray(key)
    ? key
    : key.key.map((index) => key.names[index]!);
  const result: Record<string, unknown> = {};
  for (const name of names) result[name] = values[name];
  return result;
}
