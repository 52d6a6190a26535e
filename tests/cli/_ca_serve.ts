// Copyright 2026 the @ca/streams authors. MIT license.
// Shared by the `ca serve` tests: a `ca` child on Deno (source) or Node 24
// (dist/ under node --test), `ca serve` started on a free port and waited
// for, and the API called with the test's tokens.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";

export const ROOT = new URL("../../", import.meta.url);
export const path = (relative: string): string =>
  decodeURIComponent(new URL(relative, ROOT).pathname);
export const DENO = path("node_modules/.bin/deno");
export const NODE24 = path("node_modules/node24/bin/node");
export const UNDER_DENO = "Deno" in globalThis;
/**
 * `ca` on each host: Deno from the source; Node 24 from dist/ under `node
 * --test` (the Node steps run after the build), from the source (type
 * stripping) under `deno test` (which runs before it).
 */
export const HOSTS = {
  deno: [DENO, "run", "-A", path("connectors/cli/ca.ts")],
  node: [
    NODE24,
    path(UNDER_DENO ? "connectors/cli/ca.ts" : "dist/connectors/cli/ca.js"),
  ],
} as const;
export type Host = keyof typeof HOSTS;
export const ADMIN = "admin-token-of-the-ca-serve-test";
export const VIEWER = "viewer-token-of-the-ca-serve-test";
/** How long a wait may take before the test fails: generous, never a measure. */
export const WAIT_MS = 60_000;

/** How a `ca` child ended. */
export interface Exit {
  code: number | null;
  signal: string | null;
}

/** A `ca` child process. */
export interface Child {
  /** What it printed on stderr so far. */
  stderr(): string;
  /** Whether it has exited. */
  ended(): boolean;
  /** Sends it a signal. */
  signal(name: NodeJS.Signals): void;
  /**
   * Waits for its exit; a child still running after {@link WAIT_MS} is
   * killed and the test fails.
   */
  exit(): Promise<Exit>;
  /** Sends it a signal, then as {@linkcode Child.exit}. */
  stop(name: NodeJS.Signals): Promise<Exit>;
}

/** A running `ca serve`. */
export interface Served extends Child {
  /** Its base URL, from the "listening on" line. */
  url: string;
}

/** Starts `ca` on `host` with the test's environment (`env` values of undefined are removed). */
export function spawnCa(
  host: Host,
  args: string[],
  env: Record<string, string | undefined> = {},
): Child {
  const [command, ...prefix] = HOSTS[host];
  if (!existsSync(prefix.at(-1)!)) {
    throw new Error(
      `${prefix.at(-1)} is missing: build dist/ first (npm run build)`,
    );
  }
  const merged: Record<string, string> = {};
  for (
    const [key, value] of Object.entries({
      ...process.env,
      CA_DENO: DENO,
      CA_NODE: NODE24,
      CA_ADMIN_TOKEN: ADMIN,
      CA_VIEWER_TOKEN: VIEWER,
      ...env,
    })
  ) {
    if (value !== undefined) merged[key] = value;
  }
  const child = spawn(command!, [...prefix, ...args], {
    env: merged,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  let ended = false;
  const exited = new Promise<Exit>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      ended = true;
      resolve({ code, signal });
    });
  });
  // process.kill, not child.kill: Deno's node:child_process then reports
  // any exit of the child as that signal, even a handled one.
  const signal = (name: NodeJS.Signals) => {
    if (!ended) process.kill(child.pid!, name);
  };
  const exit = async (after = "") => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), WAIT_MS);
    });
    const exit = await Promise.race([exited, late]);
    clearTimeout(timer);
    if (exit !== "late") return exit;
    signal("SIGKILL");
    await exited;
    throw new Error(
      `ca ${args.join(" ")} did not exit within ${
        WAIT_MS / 1000
      } s${after}:\n${stderr}`,
    );
  };
  return {
    stderr: () => stderr,
    ended: () => ended,
    signal,
    exit: () => exit(),
    stop(name) {
      signal(name);
      return exit(` of ${name}`);
    },
  };
}

/** Starts `ca serve --port 0 ARGS` and waits until it listens and is ready. */
export async function startServe(
  host: Host,
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<Served> {
  const child = spawnCa(host, ["serve", "--port", "0", ...args], env);
  const served: Served = { ...child, url: "" };
  try {
    served.url = await until("the listening line", () => {
      if (child.ended()) {
        throw new Error(
          `ca serve ended before it listened:\n${child.stderr()}`,
        );
      }
      return /listening on (http:\/\/\S+\/) /.exec(child.stderr())?.[1];
    });
    await until(
      "GET /readyz answers 200",
      async () => (await api(served, "GET", "/readyz")).status === 200,
    );
  } catch (error) {
    await child.stop("SIGKILL");
    throw error;
  }
  return served;
}

/** Runs `fn` with a started `ca serve`; kills it afterwards if it still runs. */
export async function withServe(
  host: Host,
  args: string[],
  fn: (served: Served) => Promise<void>,
  env: Record<string, string | undefined> = {},
): Promise<void> {
  const served = await startServe(host, args, env);
  try {
    await fn(served);
  } finally {
    if (!served.ended()) await served.stop("SIGKILL");
  }
}

/** Polls `check` until it returns a value other than undefined or false. */
export async function until<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  seen?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  while (true) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not within ${WAIT_MS / 1000} s${
          seen ? ` (${await seen()})` : ""
        }`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface Answer {
  status: number;
  headers: Headers;
  // deno-lint-ignore no-explicit-any
  body: any;
  text: string;
}

/** A request to the API; the admin token unless `token` says otherwise (`null`: none). */
export async function api(
  served: Served,
  method: string,
  route: string,
  options: {
    token?: string | null;
    json?: unknown;
    yaml?: string;
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? ADMIN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  } else if (options.yaml !== undefined) {
    headers["content-type"] = "application/yaml";
    body = options.yaml;
  }
  const response = await fetch(new URL(route.slice(1), served.url), {
    method,
    headers,
    body,
  });
  const text = await response.text();
  const json = (response.headers.get("content-type") ?? "").startsWith(
    "application/json",
  );
  return {
    status: response.status,
    headers: response.headers,
    body: json ? JSON.parse(text) : text,
    text,
  };
}
