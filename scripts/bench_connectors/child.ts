/**
 * One row of the connector benchmark in a process of its own, on Deno or on
 * Node 24: opens the row's fixtures, runs each implementation untimed
 * `--warmup` times (connector, then baseline), collects garbage when it
 * can, then `--rounds` rounds of one timed run each, the order alternating
 * from round to round (connector first in odd rounds), then the row's
 * `extras()` when it has them (not with `--impl`). Prints one JSON line per
 * timed run (`RunReport`) and a last `DoneReport`; progress and errors go
 * to stderr, and a failure exits 1.
 *
 * Usage: child.ts --row NAME --records N --rounds N --warmup N [--impl
 * connector|baseline] (`--impl` runs one of them only: for profiling,
 * `deno run -A --cpu-prof --cpu-prof-md child.ts ... --impl connector`).
 *
 * @module
 */

import process from "node:process";
import { loadRow, ROW_NAMES, type RowName } from "./rows.ts";
import type { DoneReport, Impl, RowExtras, RunReport } from "./types.ts";

const deno = (globalThis as { Deno?: typeof Deno }).Deno;
const args = process.argv.slice(2);
const runtime = deno
  ? `deno ${deno.version.deno} (V8 ${deno.version.v8})`
  : `node ${process.version.replace(/^v/, "")} (V8 ${process.versions.v8})`;

function option(name: string): string {
  const at = args.indexOf(`--${name}`);
  const value = at === -1 ? undefined : args[at + 1];
  if (value === undefined) {
    throw new TypeError(`Cannot run: --${name} is missing`);
  }
  return value;
}

function count(name: string): number {
  const value = Number(option(name));
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(
      `Cannot run: --${name} must be a non-negative integer`,
    );
  }
  return value;
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function main(): Promise<void> {
  const name = option("row") as RowName;
  if (!ROW_NAMES.includes(name)) {
    throw new TypeError(`Cannot run: unknown --row ${name}`);
  }
  const records = count("records");
  const rounds = count("rounds");
  const warmup = count("warmup");
  const at = args.indexOf("--impl");
  const only = at === -1 ? undefined : args[at + 1] as Impl;
  if (only !== undefined && only !== "connector" && only !== "baseline") {
    throw new TypeError(
      `Cannot run: --impl must be connector or baseline, got ${only}`,
    );
  }
  const impls = (list: Impl[]) =>
    list.filter((impl) => only === undefined || impl === only);
  const row = await loadRow(name);
  const session = await row.open(records);
  let server = "";
  let extras: RowExtras | undefined;
  try {
    server = session.server;
    for (let i = 0; i < warmup; i++) {
      for (const impl of impls(["connector", "baseline"])) {
        const run = await session.run(impl);
        console.error(
          `${name} warm-up ${impl}: ${
            Math.round(run.records / (run.elapsedMs / 1000))
          } records/s`,
        );
      }
    }
    for (let round = 1; round <= rounds; round++) {
      const order: Impl[] = round % 2 === 1
        ? ["connector", "baseline"]
        : ["baseline", "connector"];
      for (const impl of impls(order)) {
        collectGarbage();
        const run = await session.run(impl);
        const report: RunReport = {
          row: name,
          impl,
          round,
          records: run.records,
          elapsedMs: run.elapsedMs,
          recordsPerSec: run.records / (run.elapsedMs / 1000),
        };
        console.log(JSON.stringify(report));
        console.error(
          `${name} round ${round}/${rounds} ${impl}: ${
            Math.round(report.recordsPerSec)
          } records/s`,
        );
      }
    }
    if (only === undefined && session.extras !== undefined) {
      collectGarbage();
      extras = await session.extras();
      for (const note of extras.notes) console.error(`${name} ${note}`);
    }
  } finally {
    await session.close();
  }
  const done: DoneReport = {
    row: name,
    done: true,
    runtime,
    server,
    ...(extras === undefined ? {} : { extras }),
  };
  console.log(JSON.stringify(done));
}

try {
  await main();
  // Clients with timers of their own must not keep the process alive.
  process.exit(0);
} catch (error) {
  console.error(error instanceof Error ? error.stack ?? error.message : error);
  process.exit(1);
}
