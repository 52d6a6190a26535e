/**
 * Writes `tests/channel/vectors.json`, the channel protocol's test vectors
 * (`docs/protocol.md`, "Test vectors").
 *
 * The bytes are built here by hand, field by field, without `src/channel/`,
 * so the vectors check the encoder and decoder rather than echo them.
 *
 * Usage: `node_modules/.bin/deno run -A tests/channel/make_vectors.ts`
 *
 * @module
 */

const utf8 = new TextEncoder();

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
const u8 = (n: number): string => n.toString(16).padStart(2, "0");
const u16 = (n: number): string => n.toString(16).padStart(4, "0");
const u32 = (n: number): string => n.toString(16).padStart(8, "0");
const u64 = (n: number | bigint): string =>
  BigInt(n).toString(16).padStart(16, "0");
const text = (s: string): string => hex(utf8.encode(s));

/** A frame: u32 length of what follows, u8 type, payload (all hex). */
function frame(type: number, payloadHex: string): string {
  return u32(1 + payloadHex.length / 2) + u8(type) + payloadHex;
}

const HELLO = 1, WELCOME = 2, DATA = 3, ACK = 4, CREDIT = 5, HEARTBEAT = 6;
const CLOSE = 7;

interface Hello {
  stream: string;
  token: string;
  writer: string;
  firstSeq: number;
  maxFrameBytes: number;
  batchRecords: number;
}
interface Welcome {
  credit: number;
  nextSeq: number;
  heartbeatMs: number;
  maxFrameBytes: number;
}

/** The canonical HELLO JSON: compact, keys in the documented order. */
function helloJson(h: Hello): string {
  return JSON.stringify({
    protocol: "ca-streams",
    version: 1,
    stream: h.stream,
    token: h.token,
    writer: h.writer,
    firstSeq: h.firstSeq,
    maxFrameBytes: h.maxFrameBytes,
    batchRecords: h.batchRecords,
  });
}
function welcomeJson(w: Welcome): string {
  return JSON.stringify({
    version: 1,
    credit: w.credit,
    nextSeq: w.nextSeq,
    heartbeatMs: w.heartbeatMs,
    maxFrameBytes: w.maxFrameBytes,
  });
}

interface Valid {
  name: string;
  message: Record<string, unknown>;
  hex: string;
  canonical: boolean;
}
interface Invalid {
  name: string;
  hex: string;
  closeCode: number;
  path?: string;
  options?: { maxFrameBytes?: number; handshakeMaxFrameBytes?: number };
}

const valid: Valid[] = [];
const invalid: Invalid[] = [];

function hello(name: string, h: Hello): void {
  valid.push({
    name,
    message: { type: "hello", version: 1, ...h },
    hex: frame(HELLO, text(helloJson(h))),
    canonical: true,
  });
}
function welcome(name: string, w: Welcome): void {
  valid.push({
    name,
    message: { type: "welcome", version: 1, ...w },
    hex: frame(WELCOME, text(welcomeJson(w))),
    canonical: true,
  });
}
function data(name: string, seq: number, records: unknown[]): void {
  valid.push({
    name,
    message: { type: "data", seq, records },
    hex: frame(
      DATA,
      u64(seq) + u32(records.length) + text(JSON.stringify(records)),
    ),
    canonical: true,
  });
}

// HELLO
const baseHello: Hello = {
  stream: "orders",
  token: "s3cret",
  writer: "w-1",
  firstSeq: 1,
  maxFrameBytes: 16777216,
  batchRecords: 1024,
};
hello("HELLO", baseHello);
hello("HELLO with an empty token, a non-ASCII stream and the largest values", {
  stream: "commandes-été",
  token: "",
  writer: "runner-🚀",
  firstSeq: 9007199254740991,
  maxFrameBytes: 1073741824,
  batchRecords: 1048576,
});
hello("HELLO with the smallest values and names of exactly 256 bytes", {
  stream: "s".repeat(256),
  token: "t".repeat(4096),
  writer: "é".repeat(128),
  firstSeq: 1,
  maxFrameBytes: 1024,
  batchRecords: 1,
});
valid.push({
  name: "HELLO with other key order, whitespace and an unknown field",
  message: { type: "hello", version: 1, ...baseHello },
  hex: frame(
    HELLO,
    text(
      ' {\n  "batchRecords": 1024, "maxFrameBytes": 16777216, "firstSeq": 1,\n' +
        '  "writer": "w-1", "token": "s3cret", "stream": "orders",\n' +
        '  "version": 1, "protocol": "ca-streams", "client": "python 3.12"\n} ',
    ),
  ),
  canonical: false,
});
valid.push({
  name: "HELLO with escaped characters and integers written as 1.0 and 1e3",
  message: {
    type: "hello",
    version: 1,
    ...baseHello,
    stream: "ord\u00e9rs/\u2028",
    batchRecords: 1000,
  },
  hex: frame(
    HELLO,
    text(
      '{"protocol":"ca-streams","version":1.0,"stream":"ord\\u00e9rs\\/\\u2028",' +
        '"token":"s3cret","writer":"w-1","firstSeq":1,"maxFrameBytes":16777216,' +
        '"batchRecords":1e3}',
    ),
  ),
  canonical: false,
});

// WELCOME
welcome("WELCOME", {
  credit: 16,
  nextSeq: 1,
  heartbeatMs: 5000,
  maxFrameBytes: 16777216,
});
welcome("WELCOME with credit 0, heartbeats off and the largest nextSeq", {
  credit: 0,
  nextSeq: 9007199254740991,
  heartbeatMs: 0,
  maxFrameBytes: 1024,
});
welcome("WELCOME with the largest credit and heartbeatMs", {
  credit: 4294967295,
  nextSeq: 4294967296,
  heartbeatMs: 2147483647,
  maxFrameBytes: 1073741824,
});
valid.push({
  name: "WELCOME with an unknown field",
  message: {
    type: "welcome",
    version: 1,
    credit: 8,
    nextSeq: 42,
    heartbeatMs: 1000,
    maxFrameBytes: 65536,
  },
  hex: frame(
    WELCOME,
    text(
      '{"reader":"r-7","maxFrameBytes":65536,"heartbeatMs":1000,"nextSeq":42,"credit":8,"version":1}',
    ),
  ),
  canonical: false,
});

// DATA
data("DATA with one record", 1, [{ id: 1 }]);
data("DATA whose seq needs the high word (2^32)", 4294967296, [
  1,
  "two",
  null,
  true,
  { nested: [1, 2.5, { deep: "x" }] },
  [],
  {},
]);
data("DATA with the largest seq (2^53 - 1)", 9007199254740991, ["last"]);
data("DATA with non-ASCII text and escapes", 7, [
  "é",
  "日本語",
  "🚀",
  '\u0000\n\t"\\',
  "\u2028",
  "\ufffd",
]);
data(
  "DATA with 64 records like the benchmark's",
  9,
  Array.from({ length: 64 }, (_, i) => ({
    id: i + 1,
    value: "abcdefghijklmnop",
  })),
);
valid.push({
  name: "DATA with whitespace around the JSON",
  message: { type: "data", seq: 3, records: [1, 2] },
  hex: frame(DATA, u64(3) + u32(2) + text(" [ 1 ,\n 2 ] ")),
  canonical: false,
});

// ACK, CREDIT, HEARTBEAT
for (
  const [name, seq] of [["ACK 1", 1], ["ACK 2^32 + 5", 4294967301], [
    "ACK 2^53 - 1",
    9007199254740991,
  ]] as const
) {
  valid.push({
    name,
    message: { type: "ack", seq },
    hex: frame(ACK, u64(seq)),
    canonical: true,
  });
}
for (
  const [name, credit] of [["CREDIT 1", 1], ["CREDIT 16", 16], [
    "CREDIT 2^32 - 1",
    4294967295,
  ]] as const
) {
  valid.push({
    name,
    message: { type: "credit", credit },
    hex: frame(CREDIT, u32(credit)),
    canonical: true,
  });
}
valid.push({
  name: "HEARTBEAT, empty",
  message: { type: "heartbeat" },
  hex: frame(HEARTBEAT, ""),
  canonical: true,
});
for (
  const [name, time] of [["HEARTBEAT at time 0", 0], [
    "HEARTBEAT at time 123456789012",
    123456789012,
  ]] as const
) {
  valid.push({
    name,
    message: { type: "heartbeat", time },
    hex: frame(HEARTBEAT, u64(time)),
    canonical: true,
  });
}

// CLOSE
for (
  const [name, code, reason] of [
    ["CLOSE 1000 with no reason", 1000, ""],
    ["CLOSE 1001", 1001, "going away"],
    ["CLOSE 4001", 4001, "authentication failed"],
    [
      "CLOSE 4999 with a reason of exactly 123 bytes",
      4999,
      "é".repeat(61) + "a",
    ],
    ["CLOSE whose reason starts with U+FEFF (kept)", 4007, "\ufeffboom"],
  ] as const
) {
  valid.push({
    name,
    message: { type: "close", code, reason },
    hex: frame(CLOSE, u16(code) + text(reason)),
    canonical: true,
  });
}

// Invalid input. closeCode 4003 = frame too large, 4002 = unsupported
// version, 4000 = anything else malformed.
function bad(
  name: string,
  hexBytes: string,
  closeCode = 4000,
  path?: string,
  options?: Invalid["options"],
): void {
  invalid.push({
    name,
    hex: hexBytes,
    closeCode,
    ...(path ? { path } : {}),
    ...(options ? { options } : {}),
  });
}
const helloWith = (fields: Record<string, unknown>, drop: string[] = []) => {
  const value: Record<string, unknown> = {
    protocol: "ca-streams",
    version: 1,
    ...baseHello,
    ...fields,
  };
  for (const key of drop) delete value[key];
  return frame(HELLO, text(JSON.stringify(value)));
};
const welcomeWith = (fields: Record<string, unknown>) =>
  frame(
    WELCOME,
    text(
      JSON.stringify({
        version: 1,
        credit: 16,
        nextSeq: 1,
        heartbeatMs: 5000,
        maxFrameBytes: 16777216,
        ...fields,
      }),
    ),
  );

bad("length 0", u32(0));
bad("length 0 followed by more bytes", u32(0) + "01");
bad("unknown type 0", frame(0, ""));
bad("unknown type 8", frame(8, "00"));
bad("unknown type 255", frame(255, "0000"));
bad("input ends inside the length prefix", "000000");
bad("input ends after the length prefix", u32(9));
bad("input ends inside the payload", frame(ACK, u64(1)).slice(0, 20));
bad("a valid ACK, then a truncated frame", frame(ACK, u64(1)) + "0000");
bad("a valid ACK, then an unknown type", frame(ACK, u64(1)) + frame(9, ""));
bad("ACK with a 4-byte payload", frame(ACK, u32(1)));
bad("ACK with a 9-byte payload", frame(ACK, u64(1) + "00"));
bad("ACK seq 0", frame(ACK, u64(0)), 4000, "ACK.seq");
bad("ACK seq 2^53", frame(ACK, u64(2n ** 53n)), 4000, "ACK.seq");
bad("ACK seq 2^64 - 1", frame(ACK, "ffffffffffffffff"), 4000, "ACK.seq");
bad("CREDIT 0", frame(CREDIT, u32(0)), 4000, "CREDIT.credit");
bad("CREDIT with an 8-byte payload", frame(CREDIT, u64(1)));
bad("HEARTBEAT with a 4-byte payload", frame(HEARTBEAT, u32(1)));
bad(
  "HEARTBEAT time 2^53",
  frame(HEARTBEAT, u64(2n ** 53n)),
  4000,
  "HEARTBEAT.time",
);
bad("CLOSE with a 1-byte payload", frame(CLOSE, "03"));
bad("CLOSE code 999", frame(CLOSE, u16(999)), 4000, "CLOSE.code");
bad("CLOSE code 5000", frame(CLOSE, u16(5000)), 4000, "CLOSE.code");
bad("CLOSE code 0", frame(CLOSE, u16(0)), 4000, "CLOSE.code");
bad(
  "CLOSE reason of 124 bytes",
  frame(CLOSE, u16(1000) + text("a".repeat(124))),
);
bad(
  "CLOSE reason with invalid UTF-8",
  frame(CLOSE, u16(4000) + "ff"),
  4000,
  "CLOSE.reason",
);
bad(
  "CLOSE reason cut inside a character",
  frame(CLOSE, u16(4000) + "e282"),
  4000,
  "CLOSE.reason",
);
bad(
  "CLOSE reason with an encoded surrogate",
  frame(CLOSE, u16(4000) + "eda080"),
  4000,
  "CLOSE.reason",
);
bad("DATA payload of 14 bytes", frame(DATA, u64(1) + u32(1) + text("[1")));
bad("DATA seq 0", frame(DATA, u64(0) + u32(1) + text("[1]")), 4000, "DATA.seq");
bad(
  "DATA seq 2^53",
  frame(DATA, u64(2n ** 53n) + u32(1) + text("[1]")),
  4000,
  "DATA.seq",
);
bad(
  "DATA count 0",
  frame(DATA, u64(1) + u32(0) + text("[1]")),
  4000,
  "DATA.count",
);
bad(
  "DATA count 2 with 1 record",
  frame(DATA, u64(1) + u32(2) + text("[1]")),
  4000,
  "DATA.records",
);
bad(
  "DATA records not an array",
  frame(DATA, u64(1) + u32(1) + text('{"a":1}')),
  4000,
  "DATA.records",
);
bad(
  "DATA records not JSON",
  frame(DATA, u64(1) + u32(1) + text("[1,]")),
  4000,
  "DATA.records",
);
bad(
  "DATA records JSON with a trailing value",
  frame(DATA, u64(1) + u32(1) + text("[1] [2]")),
  4000,
  "DATA.records",
);
bad(
  "DATA records with invalid UTF-8 in a string",
  frame(DATA, u64(1) + u32(1) + text('["') + "c3" + text('"]')),
  4000,
  "DATA.records",
);
bad(
  "DATA records starting with a UTF-8 BOM",
  frame(DATA, u64(1) + u32(1) + "efbbbf" + text("[1]")),
  4000,
  "DATA.records",
);
bad("HELLO not JSON", frame(HELLO, text("{hello}")), 4000, "HELLO");
bad("HELLO a JSON array", frame(HELLO, text("[1,2]")), 4000, "HELLO");
bad("HELLO JSON null", frame(HELLO, text("null")), 4000, "HELLO");
bad(
  "HELLO without protocol",
  helloWith({}, ["protocol"]),
  4000,
  "HELLO.protocol",
);
bad(
  "HELLO for another protocol",
  helloWith({ protocol: "other" }),
  4000,
  "HELLO.protocol",
);
bad(
  "HELLO version 2",
  helloWith({ version: 2 }),
  4002,
  "HELLO.version",
);
bad(
  "HELLO version 2 with no other fields",
  frame(HELLO, text('{"protocol":"ca-streams","version":2}')),
  4002,
  "HELLO.version",
);
// `version` is checked first: another positive integer is 4002 whatever
// the other fields hold, `protocol` included.
bad(
  "HELLO version 2 for another protocol",
  helloWith({ protocol: "other", version: 2 }),
  4002,
  "HELLO.version",
);
bad(
  "HELLO version 2 alone",
  frame(HELLO, text('{"version":2}')),
  4002,
  "HELLO.version",
);
bad(
  "HELLO version 2 with every other field of the wrong type",
  frame(
    HELLO,
    text(
      '{"protocol":1,"version":2,"stream":5,"token":null,"writer":[],"firstSeq":"1","maxFrameBytes":0,"batchRecords":-1}',
    ),
  ),
  4002,
  "HELLO.version",
);
bad(
  "HELLO version 2.0 (an integer), for another protocol",
  frame(HELLO, text('{"protocol":"other","version":2.0}')),
  4002,
  "HELLO.version",
);
bad(
  "HELLO version 1.5 for another protocol (version first)",
  helloWith({ protocol: "other", version: 1.5 }),
  4000,
  "HELLO.version",
);
bad(
  "HELLO version 2^53 (above 2^53 - 1: not an integer here)",
  frame(HELLO, text('{"protocol":"ca-streams","version":9007199254740992}')),
  4000,
  "HELLO.version",
);
bad(
  'HELLO version "1"',
  helloWith({ version: "1" }),
  4000,
  "HELLO.version",
);
bad("HELLO version 0", helloWith({ version: 0 }), 4000, "HELLO.version");
bad("HELLO version 1.5", helloWith({ version: 1.5 }), 4000, "HELLO.version");
bad("HELLO without version", helloWith({}, ["version"]), 4000, "HELLO.version");
bad("HELLO empty stream", helloWith({ stream: "" }), 4000, "HELLO.stream");
bad(
  "HELLO stream of 257 bytes",
  helloWith({ stream: "é".repeat(128) + "s" }),
  4000,
  "HELLO.stream",
);
bad(
  "HELLO stream with a lone surrogate",
  frame(
    HELLO,
    text(helloJson(baseHello).replace('"orders"', '"or\\ud800ders"')),
  ),
  4000,
  "HELLO.stream",
);
bad("HELLO token a number", helloWith({ token: 42 }), 4000, "HELLO.token");
bad("HELLO without token", helloWith({}, ["token"]), 4000, "HELLO.token");
bad(
  "HELLO token of 4097 bytes",
  helloWith({ token: "t".repeat(4097) }),
  4000,
  "HELLO.token",
);
bad("HELLO without writer", helloWith({}, ["writer"]), 4000, "HELLO.writer");
bad("HELLO firstSeq 0", helloWith({ firstSeq: 0 }), 4000, "HELLO.firstSeq");
bad(
  "HELLO firstSeq 2^53",
  frame(
    HELLO,
    text(
      helloJson(baseHello).replace(
        '"firstSeq":1',
        '"firstSeq":9007199254740992',
      ),
    ),
  ),
  4000,
  "HELLO.firstSeq",
);
bad(
  "HELLO maxFrameBytes 1023",
  helloWith({ maxFrameBytes: 1023 }),
  4000,
  "HELLO.maxFrameBytes",
);
bad(
  "HELLO maxFrameBytes 2^30 + 1",
  helloWith({ maxFrameBytes: 2 ** 30 + 1 }),
  4000,
  "HELLO.maxFrameBytes",
);
bad(
  "HELLO batchRecords 0",
  helloWith({ batchRecords: 0 }),
  4000,
  "HELLO.batchRecords",
);
bad(
  "HELLO batchRecords 2^20 + 1",
  helloWith({ batchRecords: 2 ** 20 + 1 }),
  4000,
  "HELLO.batchRecords",
);
bad(
  "HELLO starting with a UTF-8 BOM",
  frame(HELLO, "efbbbf" + text(helloJson(baseHello))),
  4000,
  "HELLO",
);
bad("WELCOME version 2", welcomeWith({ version: 2 }), 4002, "WELCOME.version");
bad(
  "WELCOME version 2 alone",
  frame(WELCOME, text('{"version":2}')),
  4002,
  "WELCOME.version",
);
bad(
  "WELCOME version 2 with every other field of the wrong type",
  frame(
    WELCOME,
    text(
      '{"version":2,"credit":"16","nextSeq":0,"heartbeatMs":null,"maxFrameBytes":1}',
    ),
  ),
  4002,
  "WELCOME.version",
);
bad(
  "WELCOME version 1.5 with a wrong credit (version first)",
  welcomeWith({ version: 1.5, credit: -1 }),
  4000,
  "WELCOME.version",
);
bad("WELCOME version 0", welcomeWith({ version: 0 }), 4000, "WELCOME.version");
bad(
  "WELCOME without version",
  frame(
    WELCOME,
    text(
      '{"credit":16,"nextSeq":1,"heartbeatMs":5000,"maxFrameBytes":16777216}',
    ),
  ),
  4000,
  "WELCOME.version",
);
bad("WELCOME credit -1", welcomeWith({ credit: -1 }), 4000, "WELCOME.credit");
bad(
  "WELCOME credit 2^32",
  welcomeWith({ credit: 2 ** 32 }),
  4000,
  "WELCOME.credit",
);
bad("WELCOME nextSeq 0", welcomeWith({ nextSeq: 0 }), 4000, "WELCOME.nextSeq");
bad(
  "WELCOME heartbeatMs 2^31",
  welcomeWith({ heartbeatMs: 2 ** 31 }),
  4000,
  "WELCOME.heartbeatMs",
);
bad(
  "WELCOME maxFrameBytes 1500.5",
  welcomeWith({ maxFrameBytes: 1500.5 }),
  4000,
  "WELCOME.maxFrameBytes",
);
bad("WELCOME a JSON string", frame(WELCOME, text('"hi"')), 4000, "WELCOME");

// Size limits: the length prefix alone must be enough to refuse.
bad(
  "a 1025-byte frame, limit 1024 (the length prefix alone)",
  u32(1021),
  4003,
  undefined,
  { maxFrameBytes: 1024 },
);
bad(
  "a 1025-byte DATA frame, limit 1024",
  frame(DATA, u64(1) + u32(1) + text(JSON.stringify(["x".repeat(1004)]))),
  4003,
  undefined,
  { maxFrameBytes: 1024 },
);
bad(
  "length 2^32 - 1 (the length prefix alone)",
  "ffffffff",
  4003,
);
bad(
  "a first frame of 65537 bytes (the first-frame limit, 64 KiB)",
  u32(65533) + u8(HELLO),
  4003,
  undefined,
  { maxFrameBytes: 16777216, handshakeMaxFrameBytes: 65536 },
);

const vectors = {
  $comment:
    "Test vectors of the ca-streams channel protocol, version 1 (docs/protocol.md). Generated by tests/channel/make_vectors.ts.",
  protocol: "ca-streams",
  version: 1,
  notes: [
    "hex: the bytes of one or more frames, lowercase hex.",
    'valid: decoding hex gives exactly message (unknown JSON fields dropped). When canonical is true, encoding message gives exactly hex: compact JSON (no spaces), keys in the documented order, strings as ECMAScript JSON.stringify writes them (only ", \\ and control characters escaped; lone surrogates as \\udXXX).',
    "invalid: decoding hex must fail with closeCode, and with path when given (the field to blame). options are the decoder's limits: maxFrameBytes (default 16777216) and handshakeMaxFrameBytes, the limit for the first frame (when absent, the first frame gets no smaller limit). Input that ends inside a frame is invalid.",
  ],
  valid,
  invalid,
};
const out = new URL("./vectors.json", import.meta.url);
await Deno.writeTextFile(out, JSON.stringify(vectors, null, 2) + "\n");
console.log(
  `wrote ${valid.length} valid and ${invalid.length} invalid vectors to ${out.pathname}`,
);
