/**
 * Starts a helper process (the other end of a row: a publisher, an HTTP
 * peer, a private mosquitto) and stops it by its own pid. Runs on Deno and
 * on Node (`node:child_process`).
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);

/** The repository's Deno, which runs every helper script. */
export const DENO_BINARY = `${ROOT}node_modules/.bin/deno`;

/** A running helper process. */
export interface Peer {
  /** Its first line of output (`ready`, a port as JSON...). */
  readonly firstLine: string;
  /** How many lines it wrote so far (on the stream it was ready on). */
  readonly lineCount: number;
  /**
   * Resolves once a line from number `from` on matches `pattern`; rejects
   * after `timeoutMs`.
   */
  waitFor(pattern: RegExp, from: number, timeoutMs?: number): Promise<void>;
  /** Ends it (SIGTERM, then SIGKILL after a second) and waits for it. */
  stop(): Promise<void>;
}

/**
 * Spawns `command` with `args` and waits for its first line on stdout
 * (or, with `readyOn: "stderr"`, for a line on stderr that contains
 * `readyText`). Rejects when it exits first or takes longer than 20 s.
 */
export function startPeer(
  command: string,
  args: readonly string[],
  options: { readyOn?: "stdout" | "stderr"; readyText?: string } = {},
): Promise<Peer> {
  const child: ChildProcess = spawn(command, args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => resolve())
  );
  let output = "";
  return new Promise<Peer>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `Cannot start ${command} ${
            args.join(" ")
          }: no ready line within 20 s\n${output}`,
        ),
      );
    }, 20_000);
    const stream = options.readyOn === "stderr" ? child.stderr! : child.stdout!;
    const other = options.readyOn === "stderr" ? child.stdout! : child.stderr!;
    other.on("data", (chunk: Uint8Array) => output += String(chunk));
    let buffered = "";
    let ready = false;
    const lines: string[] = [];
    const waiters = new Set<() => void>();
    stream.on("data", (chunk: Uint8Array) => {
      buffered += String(chunk);
      const complete = buffered.split("\n");
      buffered = complete.pop()!;
      lines.push(...complete);
      for (const waiter of waiters) waiter();
      if (ready) return;
      output += String(chunk);
      for (const line of complete) {
        if (
          options.readyText !== undefined && !line.includes(options.readyText)
        ) continue;
        ready = true;
        clearTimeout(timer);
        resolve({
          firstLine: line,
          get lineCount() {
            return lines.length;
          },
          waitFor(pattern, from, timeoutMs = 10_000) {
            return new Promise<void>((resolve, reject) => {
              const check = () => {
                if (!lines.slice(from).some((line) => pattern.test(line))) {
                  return;
                }
                waiters.delete(check);
                clearTimeout(giveUp);
                resolve();
              };
              const giveUp = setTimeout(() => {
                waiters.delete(check);
                reject(
                  new Error(
                    `Cannot see ${pattern} from ${command} within ${timeoutMs} ms`,
                  ),
                );
              }, timeoutMs);
              waiters.add(check);
              check();
            });
          },
          async stop() {
            if (child.exitCode !== null || child.signalCode !== null) return;
            child.kill("SIGTERM");
            const killer = setTimeout(() => child.kill("SIGKILL"), 1000);
            await exited;
            clearTimeout(killer);
          },
        });
        return;
      }
    });
    child.once("exit", (code) => {
      if (ready) return;
      clearTimeout(timer);
      reject(
        new Error(
          `Cannot start ${command} ${
            args.join(" ")
          }: it exited with ${code}\n${output}`,
        ),
      );
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Starts one of this folder's helper scripts on Deno. */
export function startDenoPeer(
  script: string,
  args: readonly string[],
): Promise<Peer> {
  return startPeer(DENO_BINARY, [
    "run",
    "-A",
    "--quiet",
    `${ROOT}scripts/bench_connectors/${script}`,
    ...args,
  ]);
}
