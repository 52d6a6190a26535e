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
  const bytes = await Deno.readFile(path);
  const decoder = new TextDecoder();
  const ids: number[] = [];
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
      try {
        const id = (JSON.parse(json) as { id?: unknown }).id;
        if (typeof id !== "number") throw new TypeError("no id");
        ids.push(id);
      } catch {
        if (problems.length < 20) {
          problems.push(
            `line ${line} is not a whole record: ${json.slice(0, 60)}`,
          );
        }
      }
    }
    from = to;
  }
  return { ids, problems };
}
