/**
 * Command-line arguments and exit for the benchmark's child processes,
 * on Deno and on Node alike.
 *
 * @module
 */

import type { ImplName, Transport } from "./types.ts";

interface ProcessLike {
  argv: string[];
  version: string;
  exit(code: number): never;
}

const deno = (globalThis as { Deno?: typeof Deno }).Deno;
const proc = (globalThis as { process?: ProcessLike }).process;

/** The child's arguments, after the script name. */
export const argv: readonly string[] = deno ? deno.args : proc!.argv.slice(2);

/** `deno 2.9.5` or `node 24.x.y`. */
export const runtimeVersion: string = deno
  ? `deno ${deno.version.deno}`
  : `node ${proc!.version.replace(/^v/, "")}`;

/** The value after `--name`; throws when missing. */
export function option(name: string): string {
  const at = argv.indexOf(`--${name}`);
  const value = at === -1 ? undefined : argv[at + 1];
  if (value === undefined) {
    throw new TypeError(`Cannot run: --${name} is missing`);
  }
  return value;
}

/** A non-negative integer argument. */
export function count(name: string): number {
  const value = Number(option(name));
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(
      `Cannot run: --${name} must be a non-negative integer, got ${
        option(name)
      }`,
    );
  }
  return value;
}

/** `--transport` and `--impl`, checked. */
export function implArgs(): { transport: Transport; impl: ImplName } {
  const transport = option("transport");
  const impl = option("impl");
  if (transport !== "tcp" && transport !== "ws") {
    throw new TypeError(`Cannot run: unknown --transport ${transport}`);
  }
  if (impl !== "channel" && impl !== "raw") {
    throw new TypeError(`Cannot run: unknown --impl ${impl}`);
  }
  return { transport, impl };
}

/** Prints one JSON line on stdout. */
export function report(value: unknown): void {
  console.log(JSON.stringify(value));
}

/** Ends the process now: open handles (servers, timers) must not keep it. */
export function exit(code: number): never {
  if (deno) deno.exit(code);
  return proc!.exit(code);
}
