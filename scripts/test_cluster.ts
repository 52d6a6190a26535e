// Cluster scenarios across processes (`npm run test:cluster`).
//
// Each scenario is a module in tests/cluster_scenarios/<name>.ts (files
// starting with `_` are shared code) that default-exports a
// `ClusterScenario` (tests/cluster_scenarios/_harness.ts): it starts
// `ca serve` hosts in cluster mode on Deno against the machine's
// PostgreSQL (a database of the run's own, dropped afterwards) and, for the
// NATS engine, a nats-server of the run's own; kills, pauses or adds hosts;
// and measures what the "Done when" asks. This driver prints the
// runtime and server versions, then for each scenario its measured numbers
// and notes, and every failed check as a FAIL line; it exits 1 when any
// scenario failed (a server that is missing fails it: nothing is skipped).
// The hosts' logs stay in the printed folder.
//
//   deno run -A scripts/test_cluster.ts [--scenario NAME[,NAME...]] [--list]
//
// NAME is a scenario's file name, or the part before its `-` (`failover`
// runs failover-postgres and failover-nats).
import { parseArgs } from "node:util";
import type {
  ClusterScenario,
  ScenarioContext,
} from "../tests/cluster_scenarios/_harness.ts";
import { NATS_SERVER, PG_URL } from "../tests/cluster_scenarios/_harness.ts";

const ROOT = new URL("../", import.meta.url);
const SCENARIOS = new URL("tests/cluster_scenarios/", ROOT);
const DENO = new URL("node_modules/.bin/deno", ROOT).pathname;

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    scenario: { type: "string" },
    list: { type: "boolean", default: false },
  },
});

function usage(message: string): never {
  console.error(`cluster: Cannot run the cluster scenarios: ${message}`);
  Deno.exit(2);
}

async function scenarioNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(SCENARIOS)) {
    if (
      entry.isFile && entry.name.endsWith(".ts") && !entry.name.startsWith("_")
    ) {
      names.push(entry.name.slice(0, -3));
    }
  }
  return names.sort();
}

async function loadScenario(name: string): Promise<ClusterScenario> {
  const mod = await import(new URL(`${name}.ts`, SCENARIOS).href);
  const scenario = mod.default as ClusterScenario | undefined;
  if (
    scenario === undefined || typeof scenario.run !== "function" ||
    typeof scenario.description !== "string"
  ) {
    throw new TypeError(
      `Cannot run cluster scenario ${name}: tests/cluster_scenarios/${name}.ts must default-export { description, run() }`,
    );
  }
  return scenario;
}

/** The first line a command prints, or why it could not run. */
async function versionOf(command: string, ...rest: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await new Deno.Command(command, {
      args: rest,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(stdout).trim() ||
      new TextDecoder().decode(stderr).trim();
    return text.split("\n")[0]!;
  } catch (error) {
    return `unavailable (${(error as Error).message})`;
  }
}

/** The PostgreSQL server's version, or why it cannot be asked. */
async function postgresVersion(): Promise<string> {
  try {
    const { default: postgres } = await import("postgres");
    const sql = postgres(PG_URL, {
      max: 1,
      connect_timeout: 5,
      onnotice: () => {},
    });
    try {
      const [row] = await sql`SELECT current_setting('server_version') AS v`;
      return `PostgreSQL ${row!.v} at ${new URL(PG_URL).host}`;
    } finally {
      await sql.end({ timeout: 5 });
    }
  } catch (error) {
    return `unreachable at ${PG_URL} (${(error as Error).message})`;
  }
}

const available = await scenarioNames();
if (args.list) {
  for (const name of available) {
    console.log(`${name}: ${(await loadScenario(name)).description}`);
  }
  Deno.exit(0);
}
let names = available;
if (args.scenario !== undefined) {
  names = [];
  for (const asked of args.scenario.split(",")) {
    const matching = available.filter((name) =>
      name === asked || name.split("-")[0] === asked
    );
    if (matching.length === 0) {
      usage(
        `no scenario "${asked}" in tests/cluster_scenarios/ (${
          available.join(", ")
        })`,
      );
    }
    for (const name of matching) if (!names.includes(name)) names.push(name);
  }
}

console.log(
  `cluster: ${await versionOf(
    DENO,
    "--version",
  )}; ${await postgresVersion()}; ${await versionOf(
    NATS_SERVER,
    "--version",
  )}`,
);
const dir = await Deno.makeTempDir({ prefix: "ca_cluster_" });
console.log(`cluster: hosts' logs in ${dir}`);
const runId = `${Date.now().toString(36)}${
  Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, "0")
}`;

const failed: string[] = [];
const started = performance.now();
for (const name of names) {
  const scenario = await loadScenario(name);
  console.log(`\ncluster: ${name}: ${scenario.description}`);
  const context: ScenarioContext = {
    name,
    runId,
    dir,
    log: (line) => console.log(`  .. ${line}`),
  };
  const began = performance.now();
  let outcome;
  try {
    outcome = await scenario.run(context);
  } catch (error) {
    outcome = {
      numbers: [],
      notes: [],
      problems: [`the scenario threw: ${(error as Error)?.stack ?? error}`],
    };
  }
  const width = Math.max(0, ...outcome.numbers.map(([label]) => label.length));
  for (const [label, value] of outcome.numbers) {
    console.log(`  ${label.padEnd(width)}  ${value}`);
  }
  for (const note of outcome.notes) console.log(`  ${note}`);
  for (const problem of outcome.problems) console.error(`  FAIL ${problem}`);
  const verdict = outcome.problems.length === 0 ? "passed" : "FAILED";
  console.log(
    `cluster: ${name} ${verdict} in ${
      ((performance.now() - began) / 1000).toFixed(1)
    } s`,
  );
  if (outcome.problems.length > 0) failed.push(name);
}
console.log(
  `\ncluster: ${names.length - failed.length} of ${names.length} passed in ${
    ((performance.now() - started) / 1000).toFixed(1)
  } s; logs in ${dir}`,
);
if (failed.length > 0) {
  console.error(`cluster: FAILED ${failed.join(", ")}`);
  Deno.exit(1);
}
