// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * The `ca` command's runtime services on Deno. Loaded lazily when `Deno` is
 * a global. The Deno API is typed here by the members used, so the package
 * build (Node types only) compiles this file too.
 *
 * @module
 */

import {
  type ChildProcess,
  type CliRuntime,
  type StopSignal,
  textLines,
} from "./cli_runtime.ts";

interface DenoWriter {
  writeSync(bytes: Uint8Array): number;
  isTerminal(): boolean;
}

interface DenoChild {
  readonly pid: number;
  readonly stdin: WritableStream<Uint8Array>;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly status: Promise<{ code: number; signal: string | null }>;
  kill(signal: string): void;
}

interface DenoApi {
  readonly args: string[];
  readonly version: { deno: string };
  readonly pid: number;
  execPath(): string;
  cwd(): string;
  readonly env: { toObject(): Record<string, string> };
  readTextFile(path: string): Promise<string>;
  stat(path: string): Promise<{ isFile: boolean; mode: number | null }>;
  writeTextFile(
    path: string,
    text: string,
    options?: { createNew?: boolean },
  ): Promise<void>;
  readonly stdout: DenoWriter;
  readonly stderr: DenoWriter;
  readonly stdin: { readonly readable: ReadableStream<Uint8Array> };
  addSignalListener(signal: StopSignal, handler: () => void): void;
  removeSignalListener(signal: StopSignal, handler: () => void): void;
  Command: new (command: string, options: {
    args: string[];
    env?: Record<string, string>;
    stdin: "piped";
    stdout: "piped";
    stderr: "piped";
  }) => { spawn(): DenoChild };
  exit(code: number): never;
}

const deno = (globalThis as unknown as { Deno: DenoApi }).Deno;
const encoder = new TextEncoder();

function writeAll(target: DenoWriter, text: string): void {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) {
    written += target.writeSync(bytes.subarray(written));
  }
}

/** A child that could not be started: its status is code 127. */
function notStarted(
  command: string,
  error: unknown,
  onStderr: (line: string) => void,
): ChildProcess {
  const reason = (error as { code?: string })?.code === "ENOENT" ||
      (error as Error)?.name === "NotFound"
    ? "no such file or directory"
    : (error as Error)?.message ?? String(error);
  onStderr(`cannot start ${command}: ${reason}`);
  return {
    pid: -1,
    lines: (async function* () {})(),
    send() {},
    closeStdin() {},
    kill() {},
    status: Promise.resolve({ code: 127, signal: null }),
  };
}

/** The Deno implementation of {@linkcode CliRuntime}. */
export const denoCli: CliRuntime = {
  name: "deno",
  version: deno.version.deno,
  pid: deno.pid,
  args: () => [...deno.args],
  execPath: () => deno.execPath(),
  env: () => deno.env.toObject(),
  cwd: () => deno.cwd(),
  readTextFile: (path) => deno.readTextFile(path),
  isFile: (path) => deno.stat(path).then((s) => s.isFile, () => false),
  isExecutable: (path) =>
    deno.stat(path).then(
      (s) => s.isFile && (s.mode === null || (s.mode & 0o111) !== 0),
      () => false,
    ),
  async writeTextFile(path, text, options) {
    try {
      await deno.writeTextFile(path, text, { createNew: options?.createNew });
    } catch (error) {
      if ((error as Error).name === "AlreadyExists") {
        throw Object.assign(new Error(`${path} exists`), { code: "EEXIST" });
      }
      throw error;
    }
  },
  writeStdout: (text) => writeAll(deno.stdout, text),
  writeStderr: (text) => writeAll(deno.stderr, text),
  isTerminal: () => deno.stdout.isTerminal(),
  stdinLines: () => textLines(deno.stdin.readable),
  readStdin: () => new Response(deno.stdin.readable).text(),
  onStopSignal(handler) {
    const onInt = () => handler("SIGINT");
    const onTerm = () => handler("SIGTERM");
    deno.addSignalListener("SIGINT", onInt);
    deno.addSignalListener("SIGTERM", onTerm);
    return () => {
      deno.removeSignalListener("SIGINT", onInt);
      deno.removeSignalListener("SIGTERM", onTerm);
    };
  },
  spawn(command, args, options): ChildProcess {
    let child: DenoChild;
    try {
      child = new deno.Command(command, {
        args,
        env: options.env,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (error) {
      // As on Node: a child that could not start exits 127, saying why.
      return notStarted(command, error, options.onStderr);
    }
    const stdin = child.stdin.getWriter();
    stdin.closed.catch(() => {}); // a child that exited refuses writes
    const stderrDone = (async () => {
      for await (const line of textLines(child.stderr)) options.onStderr(line);
    })().catch(() => {});
    return {
      pid: child.pid,
      lines: textLines(child.stdout),
      send(line) {
        stdin.write(encoder.encode(line + "\n")).catch(() => {});
      },
      closeStdin() {
        stdin.close().catch(() => {});
      },
      kill(signal) {
        try {
          child.kill(signal);
        } catch {
          // It has exited already.
        }
      },
      status: child.status.then(async ({ code, signal }) => {
        await stderrDone;
        return { code: signal === null ? code : null, signal };
      }),
    };
  },
  exit: (code) => deno.exit(code),
};
