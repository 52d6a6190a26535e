// Crash test for at-least-once delivery (`npm run test:crash`).
//
// A child process (tests/crash/child.ts) runs file source → processors
// (with a filter) → file sink with a checkpoint store. This parent SIGKILLs
// the runtime process itself at random moments, restarts it each time, and
// lets the last run finish. Then it checks that every record that passes
// the filter is in the output (0 lost), in input order apart from replays,
// that no partial line survived, that every duplicate sits right after a
// restart, and that each replay is within the stated bound.
//
//   deno run -A scripts/crash_test.ts [--store file|redis|postgres]
//     [--records 100000] [--kills 10] [--seed N]
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    store: { type: "string", default: "file" },
    records: { type: "string", default: "100000" },
    kills: { type: "string", default: "10" },
    seed: { type: "string" },
    "min-ms": { type: "string", default: "400" },
    "max-ms": { type: "string", default: "1500" },
  },
});
const store = args.store!;
const records = Number(args.records);
const kills = Number(args.kills);
const minMs = Number(args["min-ms"]);
const maxMs = Number(args["max-ms"]);
const seedUsed = Number(args.seed ?? Date.now() % 1_000_000);
let seed = seedUsed;
const everyRecords = 500;
const batchSize = 100;
// A replay re-delivers what was done but not committed: at most
// everyRecords, plus what was in flight between source and sink when the
// kill landed (the source's batch, one per stage and queue: 6 batches).
const replayBound = everyRecords + 6 * batchSize;

// Throttle the child so an uninterrupted run takes about `targetMs`: the
// kills then land mid-stream. 2/3 of the records pass the filter, and the
// child pauses once per 100 of those.
const targetMs = records <= 20_000 ? 4_000 : 25_000;
const pauseMs = Math.max(1, Math.round(targetMs / (records * 2 / 3 / 100)));

function random(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}

const DENO = new URL("../node_modules/.bin/deno", import.meta.url).pathname;
const CHILD = new URL("../tests/crash/child.ts", import.meta.url).pathname;
const dir = await Deno.makeTempDir({ prefix: "ca_crash_" });
const input = `${dir}/input.ndjson`;
const output = `${dir}/output.ndjson`;

function storeArg(): string {
  switch (store) {
    case "file":
      return `${dir}/checkpoints`;
    case "redis":
      return Deno.env.get("CA_TEST_REDIS_URL") ?? "redis://127.0.0.1:6379";
    case "postgres":
      return Deno.env.get("CA_TEST_POSTGRES_URL") ??
        "postgres://postgres@127.0.0.1:5432/test";
    default:
      throw new TypeError(
        `Cannot run crash test: --store must be file, redis or postgres, got ${store}`,
      );
  }
}

async function resetStore(): Promise<void> {
  if (store === "file") return await Deno.mkdir(`${dir}/checkpoints`);
  // A fresh run: forget the checkpoint a previous crash test left.
  const reset = new Deno.Command(DENO, {
    args: [
      "eval",
      store === "redis"
        ? `import { createClient } from "redis"; const c = await createClient({ url: ${
          JSON.stringify(storeArg())
        } }).connect().catch((e) => { console.error("Cannot reach Redis at ${storeArg()}: " + e.message + ". Start it: redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save '' --appendonly no"); Deno.exit(1); }); for (const k of await c.keys("ca:crash:*")) await c.del(k); await c.quit();`
        : `import postgres from "postgres"; const sql = postgres(${
          JSON.stringify(storeArg())
        }, { onnotice: () => {} }); try { await sql\`drop table if exists ca_crash_checkpoints\`; } catch (e) { console.error("Cannot reach PostgreSQL at ${storeArg()}: " + e.message + ". Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"); Deno.exit(1); } await sql.end();`,
    ],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "inherit",
    stderr: "inherit",
  });
  const { code } = await reset.output();
  if (code !== 0) throw new Error(`Cannot reset the ${store} store`);
}

async function writeInput(): Promise<void> {
  const lines: string[] = [];
  for (let id = 0; id < records; id++) {
    lines.push(JSON.stringify({ id, text: `record ${id} ✓` }));
  }
  await Deno.writeTextFile(input, lines.join("\n") + "\n");
}

function spawnChild(): Deno.ChildProcess {
  return new Deno.Command(DENO, {
    args: ["run", "-A", CHILD, input, output, store, storeArg()],
    cwd: new URL("..", import.meta.url).pathname,
    env: {
      CA_CRASH_EVERY_RECORDS: String(everyRecords),
      CA_CRASH_BATCH_SIZE: String(batchSize),
      CA_CRASH_PAUSE_EVERY: "100",
      CA_CRASH_PAUSE_MS: String(pauseMs),
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Complete lines in the output: where the next run's records begin. */
async function completeLines(): Promise<number> {
  try {
    const text = await Deno.readTextFile(output);
    return text.split("\n").length - 1;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return 0;
    throw error;
  }
}

await writeInput();
await resetStore();
const restarts: number[] = [];
let killed = 0;
let runs = 0;
const started = performance.now();
for (;;) {
  runs++;
  const child = spawnChild();
  const exited = child.status;
  const outputs = Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  if (killed < kills) {
    const delay = minMs + random() * (maxMs - minMs);
    const winner = await Promise.race([
      exited.then(() => "exited" as const),
      new Promise<"kill">((r) => setTimeout(() => r("kill"), delay)),
    ]);
    if (winner === "kill") {
      child.kill("SIGKILL");
      await exited;
      await outputs;
      killed++;
      restarts.push(await completeLines());
      continue;
    }
  }
  const status = await exited;
  const [stdout, stderr] = await outputs;
  if (!status.success) {
    console.error(stderr || stdout);
    throw new Error(
      `Cannot finish crash test: run ${runs} exited with ${status.code}`,
    );
  }
  break;
}
const seconds = (performance.now() - started) / 1000;

// Verify the output.
const text = await Deno.readTextFile(output);
const problems: string[] = [];
if (!text.endsWith("\n")) problems.push("the output ends with a partial line");
const ids: number[] = [];
text.split("\n").slice(0, -1).forEach((line, n) => {
  try {
    ids.push((JSON.parse(line) as { id: number }).id);
  } catch {
    problems.push(`line ${n + 1} is not a whole record: ${line.slice(0, 60)}`);
  }
});
const expected = new Set<number>();
for (let id = 0; id < records; id++) if (id % 3 !== 0) expected.add(id);
const seen = new Set(ids);
const lost = [...expected].filter((id) => !seen.has(id));
const boundaries = new Set(restarts);
let duplicates = 0;
let maxReplay = 0;
let highest = -1;
let replaying = false;
let replay = 0;
ids.forEach((id, n) => {
  if (!expected.has(id)) {
    problems.push(`line ${n + 1}: record ${id} should have been filtered out`);
  }
  if (boundaries.has(n)) {
    replaying = true;
    replay = 0;
  }
  if (id <= highest) {
    duplicates++;
    if (!replaying) {
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
if (killed < kills) {
  problems.push(
    `only ${killed} of ${kills} kills landed before the child finished`,
  );
}
if (maxReplay > replayBound) {
  problems.push(
    `a replay of ${maxReplay} records exceeds the bound ${replayBound}`,
  );
}
console.log(
  `crash: ${store} ${killed} kills, ${records} records, ${lost.length} lost, ${duplicates} duplicates, max replay ${maxReplay}`,
);
console.log(
  `  ${expected.size} records pass the filter; ${runs} runs in ${
    seconds.toFixed(1)
  } s; replay bound ${replayBound} (everyRecords ${everyRecords} + 6 batches of ${batchSize}); seed ${seedUsed}`,
);
if (lost.length > 0) {
  problems.push(
    `lost: ${lost.slice(0, 10).join(", ")}${lost.length > 10 ? ", ..." : ""}`,
  );
}
await Deno.remove(dir, { recursive: true });
if (problems.length > 0) {
  for (const problem of problems.slice(0, 20)) {
    console.error(`  FAIL ${problem}`);
  }
  Deno.exit(1);
}
