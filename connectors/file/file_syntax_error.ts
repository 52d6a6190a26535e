// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * Thrown by `fileSource()` when a line of an NDJSON file is not JSON. It
 * names the file, the byte offset where the line starts and the line's
 * number counted from where the source was opened, and keeps the
 * `JSON.parse` error as `cause`.
 *
 * The records before the bad line are delivered first, so a checkpoint can
 * reach `offset`: skipping the line means resuming after its end.
 *
 * @example Find the bad line
 * ```ts
 * import { fileSource, FileSyntaxError } from "@ca/streams/file";
 *
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/bad.ndjson`;
 * await Deno.writeTextFile(path, '{"a":1}\n{"a":\n');
 * try {
 *   await Array.fromAsync(fileSource(path));
 *   throw new Error("expected a failure");
 * } catch (error) {
 *   if (!(error instanceof FileSyntaxError) || error.offset !== 8) throw error;
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class FileSyntaxError extends SyntaxError {
  /** Stable code to match on. */
  readonly code: "CA_ERR_FILE_SYNTAX" = "CA_ERR_FILE_SYNTAX";
  /** The file's path, as given to `fileSource()`. */
  readonly path: string;
  /** Byte offset in the file where the bad line starts. */
  readonly offset: number;
  /** Byte offset just after the bad line's `"\n"` (or the end of the file). */
  readonly end: number;
  /** The bad line's number, from 1 at the position the source opened at. */
  readonly line: number;

  /**
   * Creates a file syntax error.
   *
   * @param path The file's path.
   * @param where `offset` and `end` of the line in bytes, and its `line` number.
   * @param cause The error `JSON.parse` threw.
   */
  constructor(
    path: string,
    where: { offset: number; end: number; line: number },
    cause: unknown,
  ) {
    super(
      `Cannot parse NDJSON in ${path} at byte ${where.offset} (line ${where.line} from the open position): ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
    this.name = "FileSyntaxError";
    this.path = path;
    this.offset = where.offset;
    this.end = where.end;
    this.line = where.line;
  }
}
