// Input and output files of the crash scenarios: NDJSON, one record per
// line, each with a numeric `id`.

/**
 * Writes records `{ id, ... }` for ids 0 to `records - 1`, one JSON line
 * each, in slices so that millions of lines never make one string.
 */
export async function writeNumbered(
  path: string,
  records: number,
  row: (id: number) => Record<string, unknown> = (id) => ({ id }),
): Promise<void> {
  using file = await Deno.open(path, {
    write: true,
    create: true,
    truncate: true,
  });
  const encoder = new TextEncoder();
  for (let from = 0; from < records; from += 100_000) {
    const to = Math.min(records, from + 100_000);
    let text = "";
    for (let id = from; id < to; id++) text += JSON.stringify(row(id)) + "\n";
    const bytes = encoder.encode(text);
    for (let at = 0; at < bytes.length;) {
      at += await file.write(bytes.subarray(at));
    }
  }
}

/** Complete lines in the file (0 when it does not exist yet). */
export async function countLines(path: string): Promise<number> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return 0;
    throw error;
  }
  let lines = 0;
  for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) {
    lines++;
  }
  return lines;
}

/**
 * The `id` of every line, in order, and what is wrong with the file: a
 * partial last line, a line that is not a whole JSON record. Decodes a
 * megabyte at a time: outputs run to millions of lines.
 */
export async function readIds(
  path: string,
): Promise<{ ids: number[]; problems: string[] }> {
  const ids: number[] = [];
  const problems = await readRecords(path, (record) => {
    if (typeof record.id !== "number") return "no id";
    ids.push(record.id);
  });
  return { ids, problems };
}

/**
 * The `id` of every line whose `field` holds `value`, in order, and what
 * is wrong with the file (a partial last line, a line that is not a whole
 * JSON record, or one without a string in `field`): the records of one
 * origin in a sink that merged several.
 */
export async function readIdsWhere(
  path: string,
  field: string,
  value: string,
): Promise<{ ids: number[]; problems: string[] }> {
  const ids: number[] = [];
  const problems = await readRecords(path, (record) => {
    if (typeof record.id !== "number") return "no id";
    if (typeof record[field] !== "string") return `no ${field}`;
    if (record[field] === value) ids.push(record.id);
  });
  return { ids, problems };
}

/**
 * Calls `visit` with every complete line of the file, parsed, in order;
 * returns what is wrong with the file: a partial last line, a line that is
 * not a JSON object, or one `visit` rejects (by returning why). Decodes a
 * megabyte at a time: outputs run to millions of lines.
 */
async function readRecords(
  path: string,
  visit: (record: Record<string, unknown>) => string | void,
): Promise<string[]> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    // A sink that never wrote (a kill before its first batch) left no file.
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const decoder = new TextDecoder();
  const problems: string[] = [];
  const end = bytes.lastIndexOf(10) + 1;
  if (end < bytes.length) problems.push("the output ends with a partial line");
  let line = 0;
  for (let from = 0; from < end;) {
    // A slice of whole lines: up to the last newline in the next megabyte.
    let to = bytes.lastIndexOf(10, Math.min(end, from + (1 << 20)) - 1) + 1;
    if (to <= from) to = bytes.indexOf(10, from) + 1;
    const lines = decoder.decode(bytes.subarray(from, to)).split("\n");
    lines.pop();
    for (const json of lines) {
      line++;
      let why: string | void;
      try {
        const record = JSON.parse(json) as unknown;
        why = typeof record === "object" && record !== null
          ? visit(record as Record<string, unknown>)
          : "not an object";
      } catch (error) {
        why = (error as Error).message;
      }
      if (why !== undefined && problems.length < 20) {
        problems.push(
          `line ${line} is not a whole record (${why}): ${json.slice(0, 60)}`,
        );
      }
    }
    from = to;
  }
  return problems;
}
