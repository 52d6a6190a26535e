// What the postgres-changes crash scenario checks: the changes the
// pipeline stored (tests/crash/pg_changes_child.ts) against the
// transactions the writer committed (tests/crash/pg_changes_writer.ts).
//
// Each stored change is mapped to its place in the writer's commit order
// (an insert or update by `after.seq`, a delete by its row's id), which the
// driver then checks as ids 0 to changes - 1: none lost, in order apart
// from the replays right after a restart. Besides, this module reports:
// a change whose op, key, before or after differs from what the writer
// wrote; a change of a rolled-back transaction; a transaction whose changes
// carry different LSNs, or whose commit LSN is not above the one before it
// (commit order as the server sees it); a gap inside one start or at a
// restart (changes skipped); a restart that began inside a transaction
// when no checkpoint store can say where (without a store a transaction
// stored in part must come again whole); a transaction delivered in part;
// and the writer's end marker missing.

/** A row of the writer's table, as the source reports it. */
export interface WriterRow {
  id: number;
  seq: number;
  txn: number;
  note: string;
  blob: string | null;
}

/** One committed change, as the writer logs it. */
export interface WriterChange {
  /** Its place in commit order, from 0. */
  n: number;
  op: "insert" | "update" | "delete";
  id: number;
  before?: WriterRow;
  after?: WriterRow;
}

/** A stored change: the fields of a `PostgresChange` the check reads. */
interface StoredChange {
  op?: unknown;
  schema?: unknown;
  table?: unknown;
  key?: { id?: unknown };
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  lsn?: unknown;
  commitTime?: unknown;
}

/** Whether a stored change is the writer's end marker (the insert of id 0). */
export function isEndMarker(change: StoredChange): boolean {
  return change?.op === "insert" && change.key?.id === 0;
}

/** How the check reads a run. */
export interface ChangeCheckOptions {
  /** The writer's log of committed transactions. */
  log: string;
  /** The sink's NDJSON output. */
  output: string;
  /** The child's log of the line count at each start. */
  starts: string;
  /** The captured table (schema public). */
  table: string;
  /**
   * Whether a restart may begin inside a transaction: with a checkpoint
   * store (the source skips what was stored); without one, PostgreSQL sends
   * a transaction not wholly confirmed again from its first change.
   */
  resumesInside: boolean;
}

/** What was delivered: commit-order ids per line, and what is wrong. */
export interface ChangeCheck {
  ids: number[];
  problems: string[];
  /** Committed transactions and changes in the writer's log. */
  transactions: number;
  changes: number;
  /** Starts after the first, and those that began inside a transaction. */
  restarts: number;
  resumedInside: number;
}

/** Complete lines of a file ([] when it does not exist), and whether a partial one follows. */
async function lines(
  path: string,
): Promise<{ lines: string[]; partial: boolean }> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { lines: [], partial: false };
    }
    throw error;
  }
  const end = bytes.lastIndexOf(10) + 1;
  const text = new TextDecoder().decode(bytes.subarray(0, end));
  const result = text.split("\n");
  result.pop();
  return { lines: result, partial: end < bytes.length };
}

function sameRow(
  stored: Record<string, unknown> | undefined,
  wrote: WriterRow | undefined,
): boolean {
  if (stored === undefined || wrote === undefined) {
    return stored === undefined && wrote === undefined;
  }
  const keys = Object.keys(stored);
  return keys.length === 5 && stored.id === wrote.id &&
    stored.seq === wrote.seq && stored.txn === wrote.txn &&
    stored.note === wrote.note && stored.blob === wrote.blob;
}

function lsnValue(text: unknown): bigint | undefined {
  if (typeof text !== "string") return undefined;
  const match = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(text);
  return match === null
    ? undefined
    : (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`);
}

function range(from: number, to: number): string {
  return from === to ? `change ${from}` : `changes ${from}..${to}`;
}

/**
 * Reads the writer's log and the sink's output and checks them (see the
 * module's comment).
 *
 * @param options the files and the table
 * @returns the commit-order id of each stored change, and the problems
 */
export async function checkChanges(
  options: ChangeCheckOptions,
): Promise<ChangeCheck> {
  const problems: string[] = [];
  const problem = (text: string) => {
    if (problems.length < 20) problems.push(text);
  };

  // The writer's commit order.
  const changes: WriterChange[] = [];
  const txnOf: number[] = [];
  const firstOf: number[] = [];
  const sizeOf: number[] = [];
  const deleteOf = new Map<number, number>();
  let ended = false;
  for (const json of (await lines(options.log)).lines) {
    const entry = JSON.parse(json);
    if (entry.end === true) {
      ended = true;
      continue;
    }
    const t = entry.t as number;
    firstOf[t] = changes.length;
    sizeOf[t] = entry.changes.length;
    for (const change of entry.changes as WriterChange[]) {
      if (change.n !== changes.length) {
        throw new Error(
          `Cannot check postgres-changes: the writer's log numbers change ${changes.length} as ${change.n}`,
        );
      }
      changes.push(change);
      txnOf.push(t);
      if (change.op === "delete") deleteOf.set(change.id, change.n);
    }
  }
  if (!ended) problem("the writer's log has no end: the writer did not finish");

  // Where each start of the child began, in lines of the output.
  const starts = (await lines(options.starts)).lines.map(Number);

  const output = await lines(options.output);
  if (output.partial) problem("the output ends with a partial line");
  const ids: number[] = [];
  const lsnOf = new Map<number, { lsn: string; commitTime: unknown }>();
  const deliveredIn = new Uint32Array(sizeOf.length);
  const seen = new Uint8Array(changes.length);
  let marker = -1;
  let highest = -1;
  let prev: number | undefined;
  let start = 0;
  let resumedInside = 0;
  for (const [line, json] of output.lines.entries()) {
    while (start < starts.length && starts[start]! <= line) {
      start++;
      prev = undefined;
    }
    const where = `line ${line + 1} (start ${start})`;
    let stored: StoredChange;
    try {
      stored = JSON.parse(json);
    } catch (error) {
      problem(`${where} is not a whole record (${(error as Error).message})`);
      continue;
    }
    if (isEndMarker(stored)) {
      marker = line;
      continue;
    }
    if (marker !== -1) problem(`${where}: a change after the end marker`);
    const id = stored.key?.id;
    let n: number | undefined;
    if (stored.op === "delete") n = deleteOf.get(id as number);
    else if (stored.op === "insert" || stored.op === "update") {
      const seq = stored.after?.seq;
      if (typeof seq === "number" && seq < 0) {
        problem(
          `${where}: an ${stored.op} of id ${id} from a rolled-back transaction (seq ${seq})`,
        );
        continue;
      }
      n = typeof seq === "number" && seq < changes.length ? seq : undefined;
    }
    if (n === undefined) {
      problem(
        `${where}: a change the writer did not commit: ${json.slice(0, 100)}`,
      );
      continue;
    }
    const wrote = changes[n]!;
    const t = txnOf[n]!;
    if (
      stored.op !== wrote.op || stored.schema !== "public" ||
      stored.table !== options.table ||
      JSON.stringify(stored.key) !== JSON.stringify({ id: wrote.id }) ||
      !sameRow(stored.before, wrote.before) ||
      !sameRow(stored.after, wrote.after)
    ) {
      problem(
        `${where}: change ${n} (${wrote.op} of id ${wrote.id}) arrived as ${
          json.slice(0, 160)
        }`,
      );
    }
    const lsn = lsnOf.get(t);
    if (lsn === undefined) {
      lsnOf.set(t, { lsn: String(stored.lsn), commitTime: stored.commitTime });
    } else if (lsn.lsn !== stored.lsn || lsn.commitTime !== stored.commitTime) {
      problem(
        `${where}: change ${n} of transaction ${t} has lsn ${stored.lsn} at ${stored.commitTime}, others of it ${lsn.lsn} at ${lsn.commitTime}`,
      );
    }
    // Order: within a start each change follows the one before it; a
    // start begins at most one past the highest change stored before it.
    const k = n - firstOf[t]!;
    if (prev === undefined) {
      if (k !== 0) resumedInside++;
      if (n > highest + 1) {
        problem(
          `${where}: start ${start} resumed at change ${n} (transaction ${t}, change ${
            k + 1
          } of ${sizeOf[t]}); ${range(highest + 1, n - 1)} never came`,
        );
      } else if (!options.resumesInside && k !== 0) {
        problem(
          `${where}: start ${start} began inside transaction ${t} (at its change ${
            k + 1
          } of ${sizeOf[t]}), with no checkpoint store to say where`,
        );
      }
    } else if (n !== prev + 1) {
      problem(
        n > prev + 1
          ? `${where}: change ${n} (transaction ${t}) follows change ${prev} in one start: ${
            range(prev + 1, n - 1)
          } skipped`
          : `${where}: change ${n} (transaction ${t}) follows change ${prev} in one start, not right after a restart`,
      );
    }
    prev = n;
    if (n > highest) highest = n;
    if (seen[n] === 0) {
      seen[n] = 1;
      deliveredIn[t]!++;
    }
    ids.push(n);
  }
  if (marker === -1) problem("the writer's end marker never arrived");

  // Commit order as the server sees it: commit LSNs rise with the writer's.
  let last: { t: number; lsn: bigint } | undefined;
  for (let t = 0; t < sizeOf.length; t++) {
    const lsn = lsnValue(lsnOf.get(t)?.lsn);
    if (lsn === undefined) continue;
    if (last !== undefined && lsn <= last.lsn) {
      problem(
        `transaction ${t} has commit LSN ${
          lsnOf.get(t)!.lsn
        }, not above transaction ${last.t}'s ${lsnOf.get(last.t)!.lsn}`,
      );
    }
    last = { t, lsn };
  }
  let missing = 0;
  const missingFirst: number[] = [];
  for (let t = 0; t < sizeOf.length; t++) {
    const got = deliveredIn[t]!;
    if (got === 0) {
      missing++;
      if (missingFirst.length < 5) missingFirst.push(t);
    } else if (got < sizeOf[t]!) {
      problem(
        `transaction ${t} delivered partially: ${got} of its ${
          sizeOf[t]
        } changes`,
      );
    }
  }
  if (missing > 0) {
    problem(
      `${missing} transactions never delivered (${missingFirst.join(", ")}${
        missing > missingFirst.length ? ", ..." : ""
      })`,
    );
  }
  return {
    ids,
    problems,
    transactions: sizeOf.length,
    changes: changes.length,
    restarts: Math.max(0, starts.length - 1),
    resumedInside,
  };
}
