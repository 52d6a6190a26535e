// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.
// The replication protocol's CopyData messages and the pgoutput logical
// replication messages (protocol version 1), decoded from bytes. Private to
// postgresChangeSource: see
// https://www.postgresql.org/docs/15/protocol-replication.html and
// https://www.postgresql.org/docs/15/protocol-logicalrep-message-formats.html

/** Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);

/** A column of a relation, as a Relation message describes it. */
export interface PgColumn {
  name: string;
  /** The type's OID. */
  type: number;
  /** Part of the replica identity (the key the server sends old rows by). */
  key: boolean;
}

/** A Relation message: what a relation id stands for, until it is sent again. */
export interface PgRelation {
  id: number;
  schema: string;
  table: string;
  /** `d` default, `n` nothing, `f` full, `i` index. */
  replicaIdentity: string;
  columns: PgColumn[];
}

/**
 * A row's values as text, in column order: `null` for SQL NULL,
 * `undefined` for an unchanged TOASTed value the server left out.
 */
export type PgTuple = Array<string | null | undefined>;

/** One pgoutput message. */
export type PgoutputMessage =
  | { type: "begin"; finalLsn: bigint; commitTime: string; xid: number }
  | {
    type: "commit";
    commitLsn: bigint;
    endLsn: bigint;
    commitTime: string;
  }
  | { type: "relation"; relation: PgRelation }
  | { type: "insert"; relationId: number; after: PgTuple }
  | {
    type: "update";
    relationId: number;
    /** `K`: the old key columns only; `O`: the whole old row. */
    oldKind?: "K" | "O";
    before?: PgTuple;
    after: PgTuple;
  }
  | {
    type: "delete";
    relationId: number;
    oldKind: "K" | "O";
    before: PgTuple;
  }
  | { type: "truncate"; relationIds: number[] }
  | { type: "other"; tag: string };

/** A message of the copy-both stream from the server. */
export type PgCopyMessage =
  | { type: "xlog"; walStart: bigint; walEnd: bigint; data: Uint8Array }
  | { type: "keepalive"; walEnd: bigint; replyRequested: boolean };

const utf8 = new TextDecoder("utf-8", { fatal: false });

/** Reads big-endian values and NUL-terminated strings from a message. */
class Cursor {
  #view: DataView;
  #bytes: Uint8Array;
  at: number;

  constructor(bytes: Uint8Array, at: number) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.at = at;
  }

  byte(): number {
    return this.#bytes[this.at++]!;
  }

  int16(): number {
    const value = this.#view.getInt16(this.at);
    this.at += 2;
    return value;
  }

  int32(): number {
    const value = this.#view.getInt32(this.at);
    this.at += 4;
    return value;
  }

  uint32(): number {
    const value = this.#view.getUint32(this.at);
    this.at += 4;
    return value;
  }

  uint64(): bigint {
    const value = this.#view.getBigUint64(this.at);
    this.at += 8;
    return value;
  }

  int64(): bigint {
    const value = this.#view.getBigInt64(this.at);
    this.at += 8;
    return value;
  }

  string(): string {
    const end = this.#bytes.indexOf(0, this.at);
    if (end === -1) {
      throw new SyntaxError("Cannot decode pgoutput: unterminated string");
    }
    const text = utf8.decode(this.#bytes.subarray(this.at, end));
    this.at = end + 1;
    return text;
  }

  text(length: number): string {
    const text = utf8.decode(this.#bytes.subarray(this.at, this.at + length));
    this.at += length;
    return text;
  }
}

/** A PostgreSQL timestamp (microseconds since 2000-01-01) as an ISO string. */
export function pgTimeToIso(micros: bigint): string {
  return new Date(PG_EPOCH_MS + Number(micros / 1000n)).toISOString();
}

/** An LSN as PostgreSQL writes it: `16/B374D848`. */
export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${
    (lsn & 0xffffffffn).toString(16).toUpperCase()
  }`;
}

/** Parses `16/B374D848`; `undefined` when it is not an LSN. */
export function parseLsn(text: unknown): bigint | undefined {
  if (typeof text !== "string") return undefined;
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (match === null) return undefined;
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** Decodes one CopyData payload of a START_REPLICATION stream. */
export function decodeCopyData(bytes: Uint8Array): PgCopyMessage | undefined {
  const cursor = new Cursor(bytes, 1);
  switch (bytes[0]) {
    case 0x77: { // 'w' XLogData
      const walStart = cursor.uint64();
      const walEnd = cursor.uint64();
      cursor.int64(); // send time
      return { type: "xlog", walStart, walEnd, data: bytes.subarray(25) };
    }
    case 0x6b: { // 'k' primary keepalive
      const walEnd = cursor.uint64();
      cursor.int64(); // send time
      return { type: "keepalive", walEnd, replyRequested: cursor.byte() === 1 };
    }
    default:
      return undefined;
  }
}

/**
 * The standby status update ('r') that tells the server how far the client
 * has written and flushed: the slot's confirmed position moves to `flush`.
 */
export function standbyStatusUpdate(
  written: bigint,
  flushed: bigint,
  now: number = Date.now(),
): Uint8Array {
  const bytes = new Uint8Array(34);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x72; // 'r'
  view.setBigUint64(1, written);
  view.setBigUint64(9, flushed);
  view.setBigUint64(17, flushed);
  view.setBigInt64(25, BigInt(now - PG_EPOCH_MS) * 1000n);
  bytes[33] = 0; // no reply requested
  return bytes;
}

function tuple(cursor: Cursor): PgTuple {
  const count = cursor.int16();
  const values: PgTuple = new Array(count);
  for (let i = 0; i < count; i++) {
    const kind = cursor.byte();
    if (kind === 0x6e) values[i] = null; // 'n'
    else if (kind === 0x75) values[i] = undefined; // 'u' unchanged TOAST
    else if (kind === 0x74) values[i] = cursor.text(cursor.int32()); // 't'
    else {
      throw new SyntaxError(
        `Cannot decode pgoutput: column ${i} is in format ${
          String.fromCharCode(kind)
        }, only text is supported`,
      );
    }
  }
  return values;
}

/** Decodes one pgoutput message (the payload of an XLogData message). */
export function decodePgoutput(bytes: Uint8Array): PgoutputMessage {
  const tag = String.fromCharCode(bytes[0]!);
  const cursor = new Cursor(bytes, 1);
  switch (tag) {
    case "B": {
      const finalLsn = cursor.uint64();
      const commitTime = pgTimeToIso(cursor.int64());
      return { type: "begin", finalLsn, commitTime, xid: cursor.uint32() };
    }
    case "C": {
      cursor.byte(); // flags
      const commitLsn = cursor.uint64();
      const endLsn = cursor.uint64();
      return {
        type: "commit",
        commitLsn,
        endLsn,
        commitTime: pgTimeToIso(cursor.int64()),
      };
    }
    case "R": {
      const id = cursor.uint32();
      const schema = cursor.string() || "pg_catalog";
      const table = cursor.string();
      const replicaIdentity = String.fromCharCode(cursor.byte());
      const count = cursor.int16();
      const columns: PgColumn[] = [];
      for (let i = 0; i < count; i++) {
        const key = (cursor.byte() & 1) === 1;
        const name = cursor.string();
        const type = cursor.uint32();
        cursor.int32(); // type modifier
        columns.push({ name, type, key });
      }
      return {
        type: "relation",
        relation: { id, schema, table, replicaIdentity, columns },
      };
    }
    case "I": {
      const relationId = cursor.uint32();
      cursor.byte(); // 'N'
      return { type: "insert", relationId, after: tuple(cursor) };
    }
    case "U": {
      const relationId = cursor.uint32();
      let kind = String.fromCharCode(cursor.byte());
      if (kind === "K" || kind === "O") {
        const before = tuple(cursor);
        const oldKind = kind;
        kind = String.fromCharCode(cursor.byte()); // 'N'
        return {
          type: "update",
          relationId,
          oldKind,
          before,
          after: tuple(cursor),
        };
      }
      return { type: "update", relationId, after: tuple(cursor) };
    }
    case "D": {
      const relationId = cursor.uint32();
      const oldKind = String.fromCharCode(cursor.byte()) as "K" | "O";
      return { type: "delete", relationId, oldKind, before: tuple(cursor) };
    }
    case "T": {
      const count = cursor.int32();
      cursor.byte(); // options: CASCADE, RESTART IDENTITY
      const relationIds: number[] = [];
      for (let i = 0; i < count; i++) relationIds.push(cursor.uint32());
      return { type: "truncate", relationIds };
    }
    default:
      // 'O' origin, 'Y' type, 'M' message: nothing to deliver.
      return { type: "other", tag };
  }
}
