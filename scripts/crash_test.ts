// Crash tests for at-least-once delivery (`npm run test:crash`).
//
// Each scenario is a module in tests/crash/scenarios/<name>.ts (see
// tests/crash/scenario.ts): it prepares a run and names the child process
// to crash. This driver SIGKILLs that process at random moments, restarts
// it each time, and lets the last start finish. Then it checks that every
// expected record was delivered (0 lost), in order apart from replays, that
// every duplicate sits right after a restart, and that the longest replay
// is within the scenario's bound (a run that says its source cannot keep
// order is checked in any order, its duplicates being the records
// delivered twice); a run with several streams (a graph's sinks, per
// origin) has each checked on its own, and one line per stream under its
// result. The last line of a scenario reads
//
//   crash: <scenario> N kills, N records, N lost, N duplicates, max replay N
//
// (with several streams: the lost and duplicates of all of them, and the
// longest replay of any).
//   deno run -A scripts/crash_test.ts [--scenario NAME|all] [--records N]
//     [--kills N] [--seed N] [--min-ms N --max-ms N] [--list]
//
// `--store file|redis|postgres` is an alias of `--scenario`. Without
// `--records` and `--kills`, each scenario runs at its full size.
import { parseArgs } from "node:util";
import type {
  CrashContext,
  CrashRun,
  CrashScenario,
  CrashStream,
} from "../tests/crash/scenario.ts";

const ROOT = new URL("../", import.meta.url);
const SCENARIOS = new URL("tests/crash/scenarios/", ROOT);
const DENO = new URL("node_modules/.bin/deno", ROOT).pathname;

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    scenario: { type: "string" },
    store: { type: "string" },
    records: { type: "string" },
    kills: { type: "string" },
    seed: { type: "string" },
    "min-ms": { type: "string" },
    "max-ms": { type: "string" },
    list: { type: "boolean", default: false },
  },
});

/** A wrong argument: one line, exit code 2. */
function usage(message: string): never {
  console.error(`crash: Cannot run crash test: ${message}`);
  Deno.exit(2);
}

function count(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    usage(`--${name} must be a non-negative integer, got ${text}`);
  }
  return value;
}

const records = count("records", args.records);
const kills = count("kills", args.kills);
const minMs = count("min-ms", args["min-ms"]);
const maxMs = count("max-ms", args["max-ms"]);
const seedUsed = count("seed", args.seed) ?? Date.now() % 1_000_000;
let seed = seedUsed;

function random(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}

async function scenarioNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(SCENARIOS)) {
    if (entry.isFile && entry.name.endsWith(".ts")) {
      names.push(entry.name.slice(0, -3));
    }
  }
  return names.sort();
}

async function loadScenario(name: string): Promise<CrashScenario> {
  const mod = await import(new URL(`${name}.ts`, SCENARIOS).href);
  const scenario = mod.default as CrashScenario | undefined;
  if (
    scenario === undefined || typeof scenario.runs !== "function" ||
    !Number.isInteger(scenario.records) || !Number.isInteger(scenario.kills)
  ) {
    throw new TypeError(
      `Cannot run crash scenario ${name}: tests/crash/scenarios/${name}.ts must default-export { description, records, kills, runs() }`,
    );
  }
  return scenario;
}

/** The outcome of one crashed run. */
interface Outcome {
  line: string;
  problems: string[];
}

/** What one stream delivered, checked. */
interface StreamCheck {
  expected: number;
  lost: number[];
  duplicates: number;
  maxReplay: number;
  problems: string[];
}

/** The streams a run delivers: its own, or its named ones. */
function streamsOf(run: CrashRun): [string, CrashStream][] {
  return "streams" in run ? Object.entries(run.streams) : [["", run]];
}

/**
 * Checks one stream: every expected id delivered, nothing else, in order
 * apart from the replays that start at a restart (`restarts` holds the
 * stream's delivered count at each kill). An `unordered` stream is checked
 * in any order: its duplicates are the ids delivered before, and a replay
 * the duplicates between one restart and the next.
 */
async function check(
  stream: CrashStream,
  restarts: readonly number[],
  records: number,
  unordered: boolean,
): Promise<StreamCheck> {
  const { ids, problems } = await stream.delivered();
  let expected = 0;
  const seen = new Uint8Array(records);
  for (const id of ids) {
    if (Number.isInteger(id) && id >= 0 && id < records) seen[id] = 1;
  }
  const lost: number[] = [];
  for (let id = 0; id < records; id++) {
    if (!stream.expected(id)) continue;
    expected++;
    if (seen[id] === 0) lost.push(id);
  }
  let duplicates = 0;
  let maxReplay = 0;
  if (unordered) {
    ({ duplicates, maxReplay } = unorderedCheck(
      ids,
      restarts,
      records,
      stream,
      problems,
    ));
  } else {
    const boundaries = new Set(restarts);
    let highest = -1;
    let replaying = false;
    let replay = 0;
    ids.forEach((id, n) => {
      if (
        problems.length < 20 &&
        !(Number.isInteger(id) && id >= 0 && id < records &&
          stream.expected(id))
      ) {
        problems.push(`line ${n + 1}: record ${id} should not be delivered`);
      }
      if (boundaries.has(n)) {
        replaying = true;
        replay = 0;
      }
      if (id <= highest) {
        duplicates++;
        if (!replaying && problems.length < 20) {
          problems.push(
            `line ${
              n + 1
            }: record ${id} is out of order, not right after a restart`,
          );
        }
        replay++;
        maxReplay = Math.max(maxReplay, replay);
      } else {
        replaying = false;
        highest = id;
      }
    });
  }
  if (lost.length > 0) {
    problems.push(
      `lost: ${lost.slice(0, 10).join(", ")}${lost.length > 10 ? ", ..." : ""}`,
    );
  }
  return { expected, lost, duplicates, maxReplay, problems };
}

/**
 * The duplicates and the longest replay of a stream delivered in any
 * order; a record that should not be delivered is added to `problems`.
 */
function unorderedCheck(
  ids: readonly number[],
  restarts: readonly number[],
  records: number,
  stream: CrashStream,
  problems: string[],
): { duplicates: number; maxReplay: number } {
  const delivered = new Uint8Array(records);
  let duplicates = 0;
  let maxReplay = 0;
  let replay = 0;
  let next = 0;
  ids.forEach((id, n) => {
    // Each restart starts a new replay; `restarts` is ascending.
    while (next < restarts.length && restarts[next]! <= n) {
      next++;
      replay = 0;
    }
    if (
      !(Number.isInteger(id) && id >= 0 && id < records && stream.expected(id))
    ) {
      if (problems.length < 20) {
        problems.push(`line ${n + 1}: record ${id} should not be delivered`);
      }
      return;
    }
    if (delivered[id] === 1) {
      duplicates++;
      replay++;
      maxReplay = Math.max(maxReplay, replay);
    }
    delivered[id] = 1;
  });
  return { duplicates, maxReplay };
}

/** Starts, kills and restarts `run`'s child, then checks what it delivered. */
async function crash(
  name: string,
  run: CrashRun,
  context: CrashContext,
): Promise<Outcome> {
  const label = run.label ?? name;
  const streams = streamsOf(run);
  await run.prepare();
  const [min, max] = [
    minMs ?? run.killAfterMs[0],
    maxMs ?? run.killAfterMs[1],
  ];
  const restarts = streams.map((): number[] => []);
  let killed = 0;
  let starts = 0;
  const started = performance.now();
  for (;;) {
    starts++;
    const child = new Deno.Command(run.child.command, {
      args: run.child.args,
      cwd: ROOT.pathname,
      env: run.child.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const exited = child.status;
    const outputs = Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    if (killed < context.kills) {
      const delay = min + random() * (max - min);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const winner = await Promise.race([
        exited.then(() => "exited" as const),
        new Promise<"kill">((r) => timer = setTimeout(() => r("kill"), delay)),
      ]);
      clearTimeout(timer);
      if (winner === "kill") {
        child.kill("SIGKILL");
        await exited;
        await outputs;
        killed++;
        for (const [i, [, stream]] of streams.entries()) {
          restarts[i].push(await stream.deliveredCount());
        }
        continue;
      }
    }
    const status = await exited;
    const [stdout, stderr] = await outputs;
    if (!status.success) {
      console.error(stderr || stdout);
      throw new Error(
        `Cannot finish crash scenario ${label}: start ${starts} exited with ${status.code}`,
      );
    }
    break;
  }
  const seconds = (performance.now() - started) / 1000;

  const checks: StreamCheck[] = [];
  for (const [i, [, stream]] of streams.entries()) {
    checks.push(
      await check(stream, restarts[i], context.records, !!run.order?.unordered),
    );
  }
  const problems: string[] = [];
  for (const [i, [stream]] of streams.entries()) {
    for (const problem of checks[i].problems) {
      problems.push(stream ? `${stream}: ${problem}` : problem);
    }
  }
  const sum = (of: (c: StreamCheck) => number) =>
    checks.reduce((total, c) => total + of(c), 0);
  const expectedCount = sum((c) => c.expected);
  const lost = sum((c) => c.lost.length);
  const duplicates = sum((c) => c.duplicates);
  const maxReplay = Math.max(...checks.map((c) => c.maxReplay));
  if (killed < context.kills) {
    problems.push(
      `only ${killed} of ${context.kills} kills landed before the child finished`,
    );
  }
  const bound = run.replay;
  if ("atMost" in bound && maxReplay > bound.atMost) {
    problems.push(
      `a replay of ${maxReplay} records exceeds the bound ${bound.atMost} (${bound.why})`,
    );
  }
  if ("moreThan" in bound && !(maxReplay > bound.moreThan)) {
    problems.push(
      `the longest replay, ${maxReplay} records, does not exceed ${bound.moreThan} (${bound.why}): the run proves nothing`,
    );
  }
  const limit = "atMost" in bound
    ? `replay bound ${bound.atMost} (${bound.why})`
    : `the longest replay must exceed ${bound.moreThan} (${bound.why})`;
  const details = [
    `${expectedCount} records expected${
      streams.length > 1 ? ` in ${streams.length} streams` : ""
    }; ${starts} starts in ${
      seconds.toFixed(1)
    } s, kills after ${min}-${max} ms; ${limit}; seed ${seedUsed}`,
  ];
  if (run.note) details.push(run.note);
  if (run.order?.unordered) {
    details.push(`checked in any order: ${run.order.why}`);
  }
  if (streams.length > 1) {
    const width = Math.max(...streams.map(([stream]) => stream.length));
    for (const [i, [stream]] of streams.entries()) {
      const c = checks[i];
      details.push(
        `${
          stream.padEnd(width)
        } ${c.expected} expected, ${c.lost.length} lost, ${c.duplicates} duplicates, max replay ${c.maxReplay}`,
      );
    }
  }
  console.log(
    `crash: ${label} ${killed} kills, ${context.records} records, ${lost} lost, ${duplicates} duplicates, max replay ${maxReplay}`,
  );
  for (const line of details) console.log(`  ${line}`);
  for (const problem of problems.slice(0, 20)) {
    console.error(`  FAIL ${problem}`);
  }
  return { line: label, problems };
}

const available = await scenarioNames();
if (args.list) {
  for (const name of available) {
    console.log(`${name}: ${(await loadScenario(name)).description}`);
  }
  Deno.exit(0);
}
if (
  args.scenario !== undefined && args.store !== undefined &&
  args.scenario !== args.store
) {
  usage(
    `--store is an alias of --scenario, got both (${args.store}, ${args.scenario})`,
  );
}
const asked = args.scenario ?? args.store ?? "file";
if (asked !== "all" && !available.includes(asked)) {
  usage(
    `no scenario "${asked}" in tests/crash/scenarios/ (${
      available.join(", ")
    }, or all)`,
  );
}
const names = asked === "all" ? available : [asked];
const failed: string[] = [];
for (const name of names) {
  const scenario = await loadScenario(name);
  const dir = await Deno.makeTempDir({ prefix: `ca_crash_${name}_` });
  const context: CrashContext = {
    dir,
    records: records ?? scenario.records,
    kills: kills ?? scenario.kills,
    root: ROOT,
    deno: DENO,
  };
  const runs = await scenario.runs(context);
  try {
    for (const run of runs) {
      try {
        const outcome = await crash(name, run, context);
        if (outcome.problems.length > 0) failed.push(outcome.line);
      } catch (error) {
        // A run that cannot finish (a server down, a child failing) fails
        // the scenario; `all` goes on with the next one.
        console.error(`  FAIL ${(error as Error).message ?? error}`);
        failed.push(run.label ?? name);
      }
    }
  } finally {
    for (const run of runs) await run.cleanup?.();
    await Deno.remove(dir, { recursive: true });
  }
}
if (failed.length > 0) {
  console.error(`crash: FAILED ${failed.join(", ")}`);
  Deno.exit(1);
}
