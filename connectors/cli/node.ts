// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * The `ca` command's runtime services on Node. Loaded lazily when not on
 * Deno.
 *
 * @module
 */

import { spawn as spawnChild } from "node:child_process";
import { access, constants, readFile, stat, writeFile } from "node:fs/promises";
import { Buffer } from "node:buffer";
import { writeSync } from "node:fs";
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
  args: () => process.argv.slice(2),
  execPath: () => process.execPath,
  env: () => ({ ...process.env }),
  cwd: () => process.cwd(),
  readTextFile: (path) => readFile(path, "utf8"),
  isFile: (path) => stat(path).then((s) => s.isFile(), () => false),
  isExecutable: async (path) =>
    await stat(path).then((s) => s.isFile(), () => false) &&
    await access(path, constants.X_OK).then(() => true, () => false),
  writeTextFile: (path, text, options) =>
    writeFile(path, text, { flag: options?.createNew ? "wx" : "w" }),
  // Written through before returning: process.exit() cuts a pipe's pending
  // writes (a `ca schema` over 64 KiB came out truncated).
  writeStdout: (text) => writeAllSync(1, text),
  writeStderr: (text) => writeAllSync(2, text),
  isTerminal: () => process.stdout.isTTY === true,
  stdinLines: () => textLines(process.stdin as AsyncIterable<Uint8Array>),
  async readStdin() {
    const chunks: Uint8Array[] = [];
    for await (const chunk of process.stdin as AsyncIterable<Uint8Array>) {
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString("utf8");
  },
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
          const reason = (error as { code?: string }).code === "ENOENT"
            ? "no such file or directory"
            : error.message;
          options.onStderr(`cannot start ${command}: ${reason}`);
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

/** Writes all of `text` to a file descriptor, waiting out a full pipe. */
function writeAllSync(fd: number, text: string): void {
  const bytes = Buffer.from(text, "utf8");
  let written = 0;
  while (written < bytes.length) {
    try {
      written += writeSync(fd, bytes, written);
    } catch (error) {
      // A non-blocking pipe that is full: the reader will make room.
      if ((error as { code?: string }).code !== "EAGAIN") throw error;
    }
  }
}
