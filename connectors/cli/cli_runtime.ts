// Copyright 2026 the @ca/streams authors. MIT license.

import { currentRuntime } from "../runtime/current_runtime.ts";

/**
 * What the `ca` command needs from the runtime it runs on, implemented once
 * per runtime (`deno.ts`, `node.ts`) and loaded lazily by
 * {@linkcode loadCliRuntime}, so the rest of the command is shared.
 *
 * @module
 */

/** How a child process ended. */
export interface ChildStatus {
  /** The exit code, or `null` when a signal ended it. */
  code: number | null;
  /** The signal that ended it (`"SIGKILL"`), or `null`. */
  signal: string | null;
}

/** A child process with piped stdin and stdout. */
export interface ChildProcess {
  /** The process id. */
  readonly pid: number;
  /** The lines the child writes to its stdout, without line ends. */
  readonly lines: AsyncIterable<string>;
  /** Writes one line (a newline is added) to the child's stdin. */
  send(line: string): void;
  /** Closes the child's stdin. */
  closeStdin(): void;
  /** Sends a signal; never throws. */
  kill(signal: "SIGTERM" | "SIGKILL"): void;
  /** Resolves once the child has exited. */
  readonly status: Promise<ChildStatus>;
}

/** Options of {@linkcode CliRuntime.spawn}. */
export interface SpawnOptions {
  /** Extra environment variables for the child. */
  env?: Record<string, string>;
  /** Called with each line the child writes to stderr. */
  onStderr(line: string): void;
}

/** A signal that asks the command to stop. */
export type StopSignal = "SIGINT" | "SIGTERM";

/** The runtime services the `ca` command uses. */
export interface CliRuntime {
  /** `"deno"` or `"node"`. */
  readonly name: "deno" | "node";
  /** The runtime's version, e.g. `"2.9.5"`. */
  readonly version: string;
  /** This process's id. */
  readonly pid: number;
  /** The command line after the program: `ca run x.yaml` gives `["run", "x.yaml"]`. */
  args(): string[];
  /** The path of the running executable. */
  execPath(): string;
  /** The environment variables. */
  env(): Record<string, string | undefined>;
  /** The working directory. */
  cwd(): string;
  /** Reads a UTF-8 file. */
  readTextFile(path: string): Promise<string>;
  /** True when `path` names an existing file. */
  isFile(path: string): Promise<boolean>;
  /** True when `path` names an existing file this process may execute. */
  isExecutable(path: string): Promise<boolean>;
  /**
   * Writes a UTF-8 file. With `createNew`, fails (with an error whose `code`
   * is `"EEXIST"`) when the file exists, without touching it.
   */
  writeTextFile(
    path: string,
    text: string,
    options?: { createNew?: boolean },
  ): Promise<void>;
  /** Writes text to stdout, synchronously and in order. */
  writeStdout(text: string): void;
  /** Writes text to stderr, synchronously and in order. */
  writeStderr(text: string): void;
  /** True when stdout is a terminal. */
  isTerminal(): boolean;
  /** The lines of stdin, until it ends. */
  stdinLines(): AsyncIterable<string>;
  /** All of stdin as text, once it ends. */
  readStdin(): Promise<string>;
  /** Calls `handler` on SIGINT and SIGTERM; returns a function that stops it. */
  onStopSignal(handler: (signal: StopSignal) => void): () => void;
  /**
   * Starts a child process. Never throws: when the executable cannot be
   * started, the child's `status` is code 127 and `onStderr` gets one line
   * saying why, on every runtime.
   */
  spawn(command: string, args: string[], options: SpawnOptions): ChildProcess;
  /** Ends the process with `code`, once stdout and stderr are written. */
  exit(code: number): never;
}

let loaded: Promise<CliRuntime> | undefined;

/**
 * Loads the module of the runtime we run on (as `currentRuntime()` tells),
 * once and lazily.
 */
export function loadCliRuntime(): Promise<CliRuntime> {
  loaded ??= currentRuntime() === "deno"
    ? import("./deno.ts").then((m) => m.denoCli)
    : import("./node.ts").then((m) => m.nodeCli);
  return loaded;
}

/** Splits a byte stream into lines of text (without the line ends). */
export async function* textLines(
  chunks: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of chunks) {
    pending += typeof chunk === "string"
      ? chunk
      : decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = pending.indexOf("\n")) >= 0) {
      yield pending.slice(0, end).replace(/\r$/, "");
      pending = pending.slice(end + 1);
    }
  }
  pending += decoder.decode();
  if (pending !== "") yield pending;
}
