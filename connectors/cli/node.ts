// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * The `ca` command's runtime services on Node. Loaded lazily when not on
 * Deno.
 *
 * @module
 */

import { spawn as spawnChild } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import process from "node:process";
import type { Readable } from "node:stream";
import {
  type ChildProcess,
  type CliRuntime,
  textLines,
} from "./cli_runtime.ts";

/** The Node implementation of {@linkcode CliRuntime}. */
export const nodeCli: CliRuntime = {
  name: "node",
  version: process.versions.node,
  pid: process.pid,
  execPath: () => process.execPath,
  env: () => ({ ...process.env }),
  cwd: () => process.cwd(),
  readTextFile: (path) => readFile(path, "utf8"),
  isFile: (path) => stat(path).then((s) => s.isFile(), () => false),
  // On Linux, writes to pipes, files and terminals are synchronous.
  writeStdout: (text) => void process.stdout.write(text),
  writeStderr: (text) => void process.stderr.write(text),
  isTerminal: () => process.stdout.isTTY === true,
  stdinLines: () => textLines(process.stdin as AsyncIterable<Uint8Array>),
  onStopSignal(handler) {
    const onInt = () => handler("SIGINT");
    const onTerm = () => handler("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    return () => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
    };
  },
  spawn(command, args, options): ChildProcess {
    const child = spawnChild(command, args, {
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    child.stdin.on("error", () => {}); // a child that exited refuses writes
    const status = new Promise<{ code: number | null; signal: string | null }>(
      (resolve) => {
        child.once("error", (error) => {
          options.onStderr(`cannot start ${command}: ${error.message}`);
          resolve({ code: 127, signal: null });
        });
        child.once("close", (code, signal) => resolve({ code, signal }));
      },
    );
    void (async () => {
      for await (const line of textLines(child.stderr as Readable)) {
        options.onStderr(line);
      }
    })().catch(() => {});
    return {
      pid: child.pid ?? -1,
      lines: textLines(child.stdout as Readable),
      send(line) {
        if (child.stdin.writable) child.stdin.write(line + "\n");
      },
      closeStdin() {
        child.stdin.end();
      },
      kill(signal) {
        try {
          child.kill(signal);
        } catch {
          // It has exited already.
        }
      },
      status,
    };
  },
  // Writes are synchronous on Linux (above), so nothing is lost.
  exit: (code) => process.exit(code),
};
