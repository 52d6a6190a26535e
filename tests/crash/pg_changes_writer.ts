// The writer of the postgres-changes crash scenario: one process, one
// connection, committing transactions one after another while the pipeline
// that captures them is killed and restarted. Being one sequential writer,
// the order in which its COMMITs return is the server's commit order.
//
//   deno run -A tests/crash/pg_changes_writer.ts <url> <table> <log> <changes> <seed> <ms>
//
// It makes <changes> committed changes to <table> (id int primary key, seq
// int, txn int, note text, blob text; REPLICA IDENTITY FULL), in
// transactions of 1 to 100 changes whose sizes and operations come from
// <seed>: about 45% inserts (new ids from 1 up), 30% updates and 25%
// deletes of live rows (a row may change several times in one
// transaction). Committed change n (0 to <changes> - 1, in commit order)
// writes seq = n, txn = its transaction's number (an update sets both, so
// `after.seq` names an insert or an update; a delete is named by its row's
// id: ids are never reused). One insert in 50 fills `blob` with 3,000
// random hex characters, stored out of line (TOAST), which updates never
// change: PostgreSQL leaves such a value out of an update's new row, and
// the source must take it from the old one. About one transaction in 30
// is rolled back instead (inserts and updates with negative seq and txn):
// none of its changes may arrive.
//
// After each COMMIT returns, it appends the transaction to <log>, one JSON
// line: { t, changes: [{ n, op, id, before?, after? }] } with the rows as
// the source reports them (REPLICA IDENTITY FULL: whole `before` images);
// rolled-back transactions are not logged. It paces itself to take about
// <ms> in all. Last, it commits the end marker (an insert of id 0, not one
// of the <changes>) and logs { end: true, changes, transactions,
// rolledBack }.
import postgres from "postgres";
import type { WriterChange, WriterRow } from "./pg_changes_check.ts";

const [url, table, logPath, changesText, seedText, msText] = Deno.args;
const changes = Number(changesText);
const targetMs = Number(msText);
let seed = Number(seedText) >>> 0;

/** mulberry32: reproducible from `seed`. */
function random(): number {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let x = seed;
  x = Math.imul(x ^ (x >>> 15), x | 1);
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
}

/** `chars` random hex characters: incompressible enough to be stored out of line. */
function hex(chars: number): string {
  let text = "";
  while (text.length < chars) {
    text += Math.floor(random() * 4294967296).toString(16).padStart(8, "0");
  }
  return text.slice(0, chars);
}

const NOTES = ["", "a", "ünïcödé ✓", "quote ' and \" and \\", "tab\tnew\nline"];

function note(n: number): string {
  const extra = NOTES[Math.floor(random() * NOTES.length)]!;
  return `change ${n} ${extra}`.repeat(1 + Math.floor(random() * 3));
}

const sql = postgres(url!, { max: 1, onnotice: () => {} });
const log = await Deno.open(logPath!, {
  write: true,
  create: true,
  append: true,
});
const encoder = new TextEncoder();

async function append(line: unknown): Promise<void> {
  const bytes = encoder.encode(JSON.stringify(line) + "\n");
  for (let at = 0; at < bytes.length;) {
    at += await log.write(bytes.subarray(at));
  }
}

/** The committed rows, by id. */
const live = new Map<number, WriterRow>();
/** Live ids, for picking one at random (swap-remove). */
const liveIds: number[] = [];
let nextId = 1;
let n = 0;
let t = 0;
let rolledBack = 0;
const started = performance.now();
const quoted = `"${table!.replaceAll('"', '""')}"`;

class RollBack extends Error {}

while (n < changes) {
  const size = Math.min(changes - n, 1 + Math.floor(random() * 100));
  const abort = random() < 1 / 30;
  // This transaction's view: the committed rows and its own changes.
  const rows = new Map(live);
  const ids = liveIds.slice();
  const made: WriterChange[] = [];
  let created = nextId;
  const plan: { change: WriterChange; text: string; params: unknown[] }[] = [];
  for (let k = 0; k < size; k++) {
    const number = abort ? -(rolledBack * 100 + k) - 1 : n + k;
    const txn = abort ? -(rolledBack + 1) : t;
    const roll = random();
    const op = ids.length === 0 || roll < 0.45
      ? "insert"
      : roll < 0.75 || abort
      ? "update"
      : "delete";
    if (op === "insert") {
      const row: WriterRow = {
        id: created++,
        seq: number,
        txn,
        note: note(number),
        blob: random() < 0.02 ? hex(3000) : null,
      };
      rows.set(row.id, row);
      ids.push(row.id);
      plan.push({
        change: { n: number, op, id: row.id, after: row },
        text:
          `insert into ${quoted} (id, seq, txn, note, blob) values ($1, $2, $3, $4, $5)`,
        params: [row.id, row.seq, row.txn, row.note, row.blob],
      });
    } else {
      const at = Math.floor(random() * ids.length);
      const id = ids[at]!;
      const before = rows.get(id)!;
      if (op === "update") {
        const after = { ...before, seq: number, txn, note: note(number) };
        rows.set(id, after);
        plan.push({
          change: { n: number, op, id, before, after },
          text:
            `update ${quoted} set seq = $2, txn = $3, note = $4 where id = $1`,
          params: [id, after.seq, after.txn, after.note],
        });
      } else {
        rows.delete(id);
        ids[at] = ids[ids.length - 1]!;
        ids.pop();
        plan.push({
          change: { n: number, op, id, before },
          text: `delete from ${quoted} where id = $1`,
          params: [id],
        });
      }
    }
    made.push(plan[plan.length - 1]!.change);
  }
  try {
    await sql.begin(async (tx) => {
      for (const { text, params } of plan) {
        await tx.unsafe(text, params as never[]);
      }
      if (abort) throw new RollBack();
    });
  } catch (error) {
    if (!(error instanceof RollBack)) throw error;
  }
  if (abort) {
    rolledBack++;
  } else {
    // Committed: COMMIT has returned, so this is its place in commit order.
    await append({ t, changes: made });
    live.clear();
    for (const [id, row] of rows) live.set(id, row);
    liveIds.length = 0;
    liveIds.push(...ids);
    nextId = created;
    n += size;
    t++;
  }
  // Pace: about targetMs for all the changes.
  const due = targetMs * n / changes - (performance.now() - started);
  if (due > 0) await new Promise((r) => setTimeout(r, due));
}
await sql.unsafe(
  `insert into ${quoted} (id, seq, txn, note) values (0, $1, $2, 'end')`,
  [changes, t],
);
await append({ end: true, changes, transactions: t, rolledBack });
log.close();
await sql.end();
console.log(
  JSON.stringify({
    changes,
    transactions: t,
    rolledBack,
    ms: Math.round(performance.now() - started),
  }),
);
