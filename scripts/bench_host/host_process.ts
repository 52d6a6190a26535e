/**
 * A host child (`host_child.ts`) as the benchmark's parent drives it: a
 * fresh process on Deno or Node 24 with a temporary root directory of its
 * own (removed on `close()`), its commands sent one at a time and their
 * replies read back, its stderr passed on to ours, indented, and killed
 * when it outlives its time.
 *
 * @module
 */

import { splitLines } from "../../mod.ts";
import type {
  ChildCommand,
  ChildReply,
  ReadyReply,
  RunReply,
  StatsReply,
  WrittenReply,
} from "./types.ts";

/** The runtimes a host child runs on. */
export type Runtime = "deno" | "node";

const ROOT_PATH = decodeURIComponent(
  new URL("../../", import.meta.url).pathname,
);
const BINARIES: Record<Runtime, string> = {
  deno: `${ROOT_PATH}node_modules/.bin/deno`,
  node: `${ROOT_PATH}node_modules/node24/bin/node`,
};
const CHILD = `${ROOT_PATH}scripts/bench_host/host_child.ts`;

/** What a host child runs. */
export interface HostSpec {
  runtime: Runtime;
  /** Paced connectors started before it is ready. */
  paced: number;
  /** Their records per second each. */
  rate: number;
  /** `configRunner({ metrics })`. */
  metrics: boolean;
  /** Killed after this long, in ms. */
  timeoutMs: number;
  /** Its stderr lines are passed on with this prefix. */
  label: string;
}

/** A running host child. */
export class HostProcess {
  readonly ready: ReadyReply;
  readonly pid: number;
  #child: Deno.ChildProcess;
  #root: string;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #replies: AsyncIterator<string>;
  #timer: ReturnType<typeof setTimeout>;
  #stderr: string[];
  #stderrDone: Promise<void>;
  #timedOut: { value: boolean };

  private constructor(parts: {
    ready: ReadyReply;
    child: Deno.ChildProcess;
    root: string;
    stdin: WritableStreamDefaultWriter<Uint8Array>;
    replies: AsyncIterator<string>;
    timer: ReturnType<typeof setTimeout>;
    stderr: string[];
    stderrDone: Promise<void>;
    timedOut: { value: boolean };
  }) {
    this.ready = parts.ready;
    this.pid = parts.child.pid;
    this.#child = parts.child;
    this.#root = parts.root;
    this.#stdin = parts.stdin;
    this.#replies = parts.replies;
    this.#timer = parts.timer;
    this.#stderr = parts.stderr;
    this.#stderrDone = parts.stderrDone;
    this.#timedOut = parts.timedOut;
  }

  /** Starts a host child and waits until it is ready. */
  static async start(spec: HostSpec): Promise<HostProcess> {
    const root = await Deno.makeTempDir({ prefix: "ca-bench-host-" });
    const runtimeArgs = spec.runtime === "deno"
      ? ["run", "-A", "--quiet", "--v8-flags=--expose-gc", CHILD]
      : ["--expose-gc", "--no-warnings", CHILD];
    const child = new Deno.Command(BINARIES[spec.runtime], {
      args: [
        ...runtimeArgs,
        "--root",
        root,
        "--paced",
        String(spec.paced),
        "--rate",
        String(spec.rate),
        "--metrics",
        spec.metrics ? "on" : "off",
      ],
      cwd: ROOT_PATH,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timedOut = { value: false };
    const timer = setTimeout(() => {
      timedOut.value = true;
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }, spec.timeoutMs);
    const stderr: string[] = [];
    const stderrDone = (async () => {
      for await (const line of child.stderr.pipeThrough(splitLines())) {
        stderr.push(line);
        if (stderr.length > 40) stderr.shift();
        console.error(`  [${spec.label}] ${line}`);
      }
    })();
    const replies = child.stdout.pipeThrough(splitLines())[
      Symbol.asyncIterator
    ]();
    const process = new HostProcess({
      ready: undefined as unknown as ReadyReply,
      child,
      root,
      stdin: child.stdin.getWriter(),
      replies,
      timer,
      stderr,
      stderrDone,
      timedOut,
    });
    try {
      const ready = await process.#next();
      if (ready.type !== "ready") {
        throw new Error(`expected ready, got ${JSON.stringify(ready)}`);
      }
      (process as { ready: ReadyReply }).ready = ready;
    } catch (error) {
      await process.#kill();
      throw new Error(
        `Cannot start the host child (${spec.label}): ${
          (error as Error).message
        }${process.#tail()}`,
      );
    }
    return process;
  }

  async #next(): Promise<ChildReply> {
    for (;;) {
      const { value, done } = await this.#replies.next();
      if (done) {
        throw new Error(
          this.#timedOut.value
            ? "it timed out and was killed"
            : "it ended without answering",
        );
      }
      if (!value.startsWith("{")) continue;
      const reply = JSON.parse(value) as ChildReply;
      if (reply.type === "error") throw new Error(reply.message);
      return reply;
    }
  }

  #tail(): string {
    return this.#stderr.length === 0
      ? ""
      : `\n${this.#stderr.slice(-12).join("\n")}`;
  }

  /** Sends one command and waits for its reply. */
  async #command(command: ChildCommand): Promise<ChildReply> {
    await this.#stdin.write(
      new TextEncoder().encode(JSON.stringify(command) + "\n"),
    );
    try {
      return await this.#next();
    } catch (error) {
      throw new Error(
        `Cannot ${command.type} in the host child: ${
          (error as Error).message
        }${this.#tail()}`,
      );
    }
  }

  /** Runs the unpaced connector once. */
  async run(records: number): Promise<RunReply> {
    return await this.#command({ type: "run", records }) as RunReply;
  }

  /** The child's CPU time and memory now. */
  async stats(): Promise<StatsReply> {
    return await this.#command({ type: "stats" }) as StatsReply;
  }

  /** The records its paced connectors wrote so far. */
  async written(): Promise<WrittenReply> {
    return await this.#command({ type: "written" }) as WrittenReply;
  }

  async #kill(): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await this.#finish();
  }

  async #finish(): Promise<void> {
    await this.#child.status;
    clearTimeout(this.#timer);
    await this.#stderrDone.catch(() => {});
    await this.#stdin.close().catch(() => {});
    await Deno.remove(this.#root, { recursive: true }).catch(() => {});
  }

  /** Stops the host gracefully (it exits), and removes its root directory. */
  async close(): Promise<void> {
    try {
      await this.#stdin.write(
        new TextEncoder().encode(JSON.stringify({ type: "quit" }) + "\n"),
      );
    } catch {
      // It ended already.
    }
    const status = await Promise.race([
      this.#child.status,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 30_000)),
    ]);
    if (status === undefined) {
      await this.#kill();
      throw new Error(
        `Cannot stop the host child: it did not exit within 30 s${this.#tail()}`,
      );
    }
    await this.#finish();
    if (!status.success) {
      throw new Error(
        `Cannot stop the host child: it exited with ${status.code}${this.#tail()}`,
      );
    }
  }

  /** Kills it (after a failure), and removes its root directory. */
  async kill(): Promise<void> {
    await this.#kill();
  }
}
