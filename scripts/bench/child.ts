/**
 * One benchmark process: builds the input (shaped by the implementation's `prepare`, when it
 * exports one), runs one implementation untimed on a smaller input (warm-up: at least 3
 * passes and 1 s), collects garbage, then times one run over the full input and prints one
 * JSON line (a `ChildReport`). Runs on Deno and on Node 24 (type stripping).
 *
 * Usage: child.ts --impl NAME --records N --warmup N [--lib URL]
 *
 * @module
 */

import { IMPLS } from "./impls.ts";
import type {
  ChildReport,
  ImplPrepare,
  ImplResult,
  ImplRun,
  Library,
  Runtime,
} from "./types.ts";
import { makeRecords } from "./workload.ts";

interface DenoLike {
  args: string[];
  version: { deno: string };
  readTextFileSync(path: string): string;
}
interface ProcessLike {
  argv: string[];
  version: string;
}

/**
 * Warm-up: untimed passes over the warm-up input until at least this many passes and this
 * much time, so that the timed run starts in the optimising compiler's code (with a few
 * short passes, a plain loop is timed anywhere between its baseline and optimised speed).
 */
const WARMUP_MIN_PASSES = 3;
const WARMUP_MIN_MS = 1000;
const WARMUP_MAX_PASSES = 100;

const deno = (globalThis as { Deno?: DenoLike }).Deno;
const proc = (globalThis as { process?: ProcessLike }).process;
const runtime: Runtime = deno ? "deno" : "node";

async function readStatus(): Promise<string> {
  if (deno) return deno.readTextFileSync("/proc/self/status");
  const fs = await import("node:fs");
  return fs.readFileSync("/proc/self/status", "utf8");
}

/** Reads a `/proc/self/status` field given in kB, as MB. */
async function statusMb(field: "VmRSS" | "VmHWM"): Promise<number> {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(
    await readStatus(),
  );
  if (!match) throw new Error(`Cannot read ${field}: not in /proc/self/status`);
  return Number(match[1]) / 1024;
}

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? undefined : args[at + 1];
}

function count(args: string[], name: string): number {
  const value = Number(option(args, name));
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`Cannot run: --${name} must be a positive integer`);
  }
  return value;
}

function plain(result: ImplResult): ImplResult {
  const { count, sum, summary } = result;
  return summary ? { count, sum, summary } : { count, sum };
}

async function main(): Promise<void> {
  const args = deno ? deno.args : proc!.argv.slice(2);
  const implName = option(args, "impl");
  const info = IMPLS.find((i) => i.name === implName);
  if (!info) throw new TypeError(`Cannot run: unknown --impl ${implName}`);
  if (!info.runtimes.includes(runtime)) {
    throw new TypeError(`Cannot run ${info.name}: not available on ${runtime}`);
  }
  const records = count(args, "records");
  const warmupRecords = count(args, "warmup");

  const { run, prepare } = (await import(
    new URL(`./impls/${info.module}.ts`, import.meta.url).href
  )) as {
    run: ImplRun<unknown>;
    prepare?: ImplPrepare<unknown>;
  };
  let lib = undefined as unknown as Library;
  if (info.usesLibrary) {
    const libUrl = option(args, "lib");
    if (!libUrl) {
      throw new TypeError(`Cannot run ${info.name}: --lib is required`);
    }
    lib = (await import(libUrl)) as Library;
  }

  const prepared = (count: number) => {
    const made = makeRecords(count);
    return prepare ? prepare(made) : made;
  };
  const warmupInput = prepared(warmupRecords);
  const input = prepared(records);
  const inputRssMb = await statusMb("VmRSS");

  const warmupStart = performance.now();
  const warmup = plain(await run(warmupInput, lib));
  let warmupPasses = 1;
  while (
    warmupPasses < WARMUP_MAX_PASSES &&
    (warmupPasses < WARMUP_MIN_PASSES ||
      performance.now() - warmupStart < WARMUP_MIN_MS)
  ) {
    const again = plain(await run(warmupInput, lib));
    warmupPasses++;
    if (again.count !== warmup.count || again.sum !== warmup.sum) {
      throw new Error(
        `Cannot trust ${info.name}: warm-up pass ${warmupPasses} gave count ${again.count}, ` +
          `sum ${again.sum}; pass 1 gave count ${warmup.count}, sum ${warmup.sum}`,
      );
    }
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();

  const start = performance.now();
  const result = plain(await run(input, lib));
  const elapsedMs = performance.now() - start;

  const report: ChildReport = {
    impl: info.name,
    runtime,
    runtimeVersion: deno ? deno.version.deno : proc!.version.replace(/^v/, ""),
    records,
    elapsedMs,
    result,
    warmup,
    warmupPasses,
    inputRssMb,
    peakRssMb: await statusMb("VmHWM"),
  };
  console.log(JSON.stringify(report));
}

await main();
