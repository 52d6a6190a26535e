// Copyright 2026 the @ca/streams authors. MIT license.
// The pgoutput decoder on messages built by hand, no server needed.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeCopyData,
  decodePgoutput,
  formatLsn,
  parseLsn,
  standbyStatusUpdate,
} from "./_pgoutput_decoder.ts";

/** Builds a message from bytes, int16/int32/int64 values and NUL-terminated strings. */
function message(
  ...parts: Array<
    | { u8: number }
    | { i16: number }
    | { i32: number }
    | { i64: bigint }
    | { str: string }
    | { raw: string }
  >
): Uint8Array {
  const bytes: number[] = [];
  const view = new DataView(new ArrayBuffer(8));
  for (const part of parts) {
    if ("u8" in part) bytes.push(part.u8);
    else if ("i16" in part) {
      view.setInt16(0, part.i16);
      bytes.push(...new Uint8Array(view.buffer, 0, 2));
    } else if ("i32" in part) {
      view.setInt32(0, part.i32);
      bytes.push(...new Uint8Array(view.buffer, 0, 4));
    } else if ("i64" in part) {
      view.setBigInt64(0, part.i64);
      bytes.push(...new Uint8Array(view.buffer, 0, 8));
    } else if ("str" in part) {
      bytes.push(...new TextEncoder().encode(part.str), 0);
    } else bytes.push(...new TextEncoder().encode(part.raw));
  }
  return new Uint8Array(bytes);
}

const c = (ch: string) => ({ u8: ch.charCodeAt(0) });
const text = (value: string) => {
  const encoded = new TextEncoder().encode(value);
  return [c("t"), { i32: encoded.length }, { raw: value }] as const;
};

test("LSNs parse and format as PostgreSQL writes them", () => {
  assert.equal(parseLsn("16/B374D848"), (0x16n << 32n) | 0xB374D848n);
  assert.equal(formatLsn((0x16n << 32n) | 0xB374D848n), "16/B374D848");
  assert.equal(formatLsn(0n), "0/0");
  assert.equal(parseLsn("0/0"), 0n);
  assert.equal(parseLsn("nope"), undefined);
  assert.equal(parseLsn(42), undefined);
});

test("decodePgoutput() reads Begin, Relation, Insert, Update, Delete, Truncate and Commit", () => {
  // 2026-01-01T00:00:00Z in microseconds since 2000-01-01.
  const micros = BigInt(Date.UTC(2026, 0, 1) - Date.UTC(2000, 0, 1)) * 1000n;
  assert.deepEqual(
    decodePgoutput(message(c("B"), { i64: 0x1000n }, { i64: micros }, {
      i32: 77,
    })),
    {
      type: "begin",
      finalLsn: 0x1000n,
      commitTime: "2026-01-01T00:00:00.000Z",
      xid: 77,
    },
  );
  const relation = decodePgoutput(message(
    c("R"),
    { i32: 16384 },
    { str: "public" },
    { str: "orders" },
    c("f"),
    { i16: 2 },
    { u8: 1 },
    { str: "id" },
    { i32: 23 },
    { i32: -1 },
    { u8: 0 },
    { str: "name" },
    { i32: 25 },
    { i32: -1 },
  ));
  assert.deepEqual(relation, {
    type: "relation",
    relation: {
      id: 16384,
      schema: "public",
      table: "orders",
      replicaIdentity: "f",
      columns: [
        { name: "id", type: 23, key: true },
        { name: "name", type: 25, key: false },
      ],
    },
  });
  assert.deepEqual(
    decodePgoutput(message(
      c("I"),
      { i32: 16384 },
      c("N"),
      { i16: 2 },
      ...text("7"),
      ...text("café ✓"),
    )),
    { type: "insert", relationId: 16384, after: ["7", "café ✓"] },
  );
  assert.deepEqual(
    decodePgoutput(message(
      c("U"),
      { i32: 16384 },
      c("O"),
      { i16: 2 },
      ...text("7"),
      c("n"),
      c("N"),
      { i16: 2 },
      ...text("7"),
      c("u"),
    )),
    {
      type: "update",
      relationId: 16384,
      oldKind: "O",
      before: ["7", null],
      after: ["7", undefined],
    },
  );
  assert.deepEqual(
    decodePgoutput(
      message(c("U"), { i32: 1 }, c("N"), { i16: 1 }, ...text("x")),
    ),
    { type: "update", relationId: 1, after: ["x"] },
  );
  assert.deepEqual(
    decodePgoutput(message(
      c("D"),
      { i32: 16384 },
      c("K"),
      { i16: 2 },
      ...text("7"),
      c("n"),
    )),
    { type: "delete", relationId: 16384, oldKind: "K", before: ["7", null] },
  );
  assert.deepEqual(
    decodePgoutput(message(c("T"), { i32: 2 }, { u8: 0 }, { i32: 1 }, {
      i32: 2,
    })),
    { type: "truncate", relationIds: [1, 2] },
  );
  assert.deepEqual(
    decodePgoutput(message(
      c("C"),
      { u8: 0 },
      { i64: 0x1000n },
      { i64: 0x1040n },
      { i64: micros },
    )),
    {
      type: "commit",
      commitLsn: 0x1000n,
      endLsn: 0x1040n,
      commitTime: "2026-01-01T00:00:00.000Z",
    },
  );
  assert.deepEqual(decodePgoutput(message(c("Y"))), {
    type: "other",
    tag: "Y",
  });
  assert.throws(
    () =>
      decodePgoutput(message(c("I"), { i32: 1 }, c("N"), { i16: 1 }, c("b"))),
    /only text is supported/,
  );
});

test("decodeCopyData() reads XLogData and keepalives; standbyStatusUpdate() writes flush", () => {
  const xlog = message(c("w"), { i64: 5n }, { i64: 9n }, { i64: 0n }, c("B"));
  const decoded = decodeCopyData(xlog);
  assert.equal(decoded?.type, "xlog");
  assert.deepEqual(
    decoded?.type === "xlog" ? [...decoded.data] : [],
    [0x42],
  );
  assert.deepEqual(
    decodeCopyData(message(c("k"), { i64: 0x20n }, { i64: 0n }, { u8: 1 })),
    { type: "keepalive", walEnd: 0x20n, replyRequested: true },
  );
  assert.equal(decodeCopyData(message(c("?"))), undefined);
  const status = standbyStatusUpdate(
    0x30n,
    0x20n,
    Date.UTC(2000, 0, 1, 0, 0, 1),
  );
  const view = new DataView(status.buffer);
  assert.equal(status.length, 34);
  assert.equal(String.fromCharCode(status[0]!), "r");
  assert.equal(view.getBigUint64(1), 0x30n);
  assert.equal(view.getBigUint64(9), 0x20n);
  assert.equal(view.getBigUint64(17), 0x20n);
  assert.equal(view.getBigInt64(25), 1_000_000n);
  assert.equal(status[33], 0);
});
