/**
 * The "cold-import" workload: how long a whole process takes that imports
 * `{ pipeline, map }` from the root entry, against the same process running
 * an empty script. Deno runs the source (`mod.ts`), Node 24 the built package
 * (`dist/mod.js`). Each measurement is one process start to exit, timed from
 * the driver (spawn included, the same for both scripts); runs are
 * interleaved round-robin after two untimed warm-up runs of each script (so
 * Deno's transpile cache and the OS file cache are warm); the report is the
 * median.
 *
 * @module
 */

import { median } from "../_tools.ts";
import type { Runtime } from "./types.ts";

/** Names of the rows: `impl` in `{"workload":"cold-import",...}`. */
export const COLD_IMPORT_IMPL = "root-import";

/** One runtime's result. */
export interface ColdImportResult {
  runtime: Runtime;
  /** Median wall time of the importing script, ms. */
  ms: number;
  /** Median wall time of the empty script, ms. */
  emptyMs: number;
  ratioToEmpty: number;
  runs: number;
  /** All timed runs, ms, in order. */
  samples: { root: number[]; empty: number[] };
}

/** How to start each runtime and which library file it imports. */
export interface ColdImportSetup {
  runtimes: readonly Runtime[];
  runs: number;
  /** `file:` URL of `mod.ts`. */
  denoLib: string;
  /** `file:` URL of `dist/mod.js`. */
  nodeLib: string;
  denoBin: string;
  nodeBin: string;
  /** A scratch folder for the scripts (created, not removed). */
  dir: string;
  log(message: string): void;
}

function script(lib: string): string {
  return `import { map, pipeline } from ${JSON.stringify(lib)};\n` +
    `if (typeof pipeline !== "function" || typeof map !== "function") {\n` +
    `  throw new Error("the root entry has no pipeline or map");\n}\n`;
}

/** Runs one process; returns its wall time in ms, or throws with its output. */
async function timeProcess(command: string, args: string[]): Promise<number> {
  const started = performance.now();
  const out = await new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - started;
  if (!out.success) {
    throw new Error(
      `Cannot measure the cold import: ${command} ${
        args.join(" ")
      } exited with ${out.code}: ${
        new TextDecoder().decode(out.stderr).trim().split("\n").slice(-5)
          .join("\n")
      }`,
    );
  }
  return ms;
}

/**
 * Measures the cold import on each runtime.
 *
 * @param setup runtimes, runs, binaries and the library files
 * @returns one result per runtime
 */
export async function measureColdImport(
  setup: ColdImportSetup,
): Promise<ColdImportResult[]> {
  await Deno.mkdir(setup.dir, { recursive: true });
  const files = {
    denoRoot: `${setup.dir}/deno_root_import.ts`,
    denoEmpty: `${setup.dir}/deno_empty.ts`,
    nodeRoot: `${setup.dir}/node_root_import.mjs`,
    nodeEmpty: `${setup.dir}/node_empty.mjs`,
  };
  await Deno.writeTextFile(files.denoRoot, script(setup.denoLib));
  await Deno.writeTextFile(files.denoEmpty, "export {};\n");
  await Deno.writeTextFile(files.nodeRoot, script(setup.nodeLib));
  await Deno.writeTextFile(files.nodeEmpty, "export {};\n");

  interface Job {
    runtime: Runtime;
    kind: "root" | "empty";
    run(): Promise<number>;
  }
  const jobs: Job[] = [];
  for (const runtime of setup.runtimes) {
    for (const kind of ["empty", "root"] as const) {
      const file = runtime === "deno"
        ? (kind === "root" ? files.denoRoot : files.denoEmpty)
        : (kind === "root" ? files.nodeRoot : files.nodeEmpty);
      jobs.push({
        runtime,
        kind,
        run: runtime === "deno"
          ? () => timeProcess(setup.denoBin, ["run", "--quiet", "-A", file])
          : () => timeProcess(setup.nodeBin, [file]),
      });
    }
  }
  for (let warm = 0; warm < 2; warm++) {
    for (const job of jobs) await job.run();
  }
  const samples = new Map<Job, number[]>(jobs.map((j) => [j, []]));
  for (let round = 0; round < setup.runs; round++) {
    for (let k = 0; k < jobs.length; k++) {
      const job = jobs[(k + round) % jobs.length];
      samples.get(job)!.push(await job.run());
    }
    setup.log(
      `cold-import round ${round + 1}/${setup.runs}: ${
        jobs.map((j) =>
          `${j.runtime} ${j.kind} ${samples.get(j)!.at(-1)!.toFixed(0)} ms`
        ).join(", ")
      }`,
    );
  }
  return setup.runtimes.map((runtime) => {
    const root = samples.get(
      jobs.find((j) => j.runtime === runtime && j.kind === "root")!,
    )!;
    const empty = samples.get(
      jobs.find((j) => j.runtime === runtime && j.kind === "empty")!,
    )!;
    const ms = median(root);
    const emptyMs = median(empty);
    return {
      runtime,
      ms,
      emptyMs,
      ratioToEmpty: ms / emptyMs,
      runs: setup.runs,
      samples: { root, empty },
    };
  });
}
