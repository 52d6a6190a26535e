// Copyright 2026 the @ca/streams authors. MIT license.

/** Whether a runtime error says a path does not exist (Node `ENOENT`, Deno `NotFound`). */
function isNotFound(error: unknown): boolean {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  return code === "ENOENT" || name === "NotFound";
}

/** The folder part of a path, for messages. */
function directoryOf(path: string): string {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return slash === -1 ? "." : slash === 0 ? path[0]! : path.slice(0, slash);
}

/**
 * Explains why a file could not be opened, naming the path; the runtime's
 * error (with its `code`) stays as `cause`.
 *
 * @param what `"file source"` or `"file sink"`.
 * @param path The path that was opened.
 * @param creating Whether the file is created when missing (then a missing path means a missing directory).
 * @param error The runtime's error.
 * @returns An `Error` to throw.
 */
export function openError(
  what: string,
  path: string,
  creating: boolean,
  error: unknown,
): Error {
  let reason: string;
  if (isNotFound(error)) {
    reason = creating
      ? `directory ${directoryOf(path)} does not exist`
      : "no such file";
  } else {
    reason = error instanceof Error ? error.message : String(error);
  }
  return new Error(`Cannot open ${what} ${path}: ${reason}`, { cause: error });
}
