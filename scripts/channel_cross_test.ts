// Cross-runtime channel test: a Deno process writes records over TCP or
// WebSocket to a Node 24 process whose channel reader appends them to a
// file. The reader
// is SIGKILLed once mid-stream and restarted on the same port; the writer
// reconnects and resends what was not acknowledged. Then the file must hold
// every record, in order apart from one replay right after the restart, at
// most one credit window long, and no partial line.
//
//   deno run -A scripts/channel_cross_test.ts [--records 1000000] [--transport tcp|ws]
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    records: { type: "string", default: "1000000" },
    transport: { type: "string", default: "tcp" },
  },
});
const records = Number(args.records);
const transport = args.transport;
if (transport !== "tcp" && transport !== "ws") {
  console.error(
    `Cannot run: --transport must be tcp or ws, got ${
      JSON.stringify(transport)
    }`,
  );
  Deno.exit(2);
}
const batch = 1024;
const window = 16;
// The reader restarts without its own checkpoint: what it stored but had
// not acknowledged comes again, at most one credit window of batches.
const bound = window * batch;

const ROOT = new URL("..", import.meta.url).pathname;
const DENO = `${ROOT}node_modules/.bin/deno`;
const NODE24 = `${ROOT}node_modules/node24/bin/node`;
const dir = await Deno.makeTempDir({ prefix: "ca_channel_" });
const output = `${dir}/received.ndjson`;
const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const port = (probe.addr as Deno.NetAddr).port;
probe.close();
const env = {
  CA_CHANNEL_TRANSPORT: transport,
  CA_CHANNEL_PORT: String(port),
  CA_CHANNEL_TOKEN: "cross-runtime-secret",
  CA_CHANNEL_WINDOW: String(window),
  CA_CHANNEL_BATCH: String(batch),
  CA_CHANNEL_RECORDS: String(records),
  CA_CHANNEL_OUTPUT: output,
};

async function version(binary: string): Promise<string> {
  const out = await new Deno.Command(binary, { args: ["--version"] }).output();
  return new TextDecoder().decode(out.stdout).split("\n")[0]!.trim();
}
console.log(
  `transport: ${transport}; writer: ${await version(
    DENO,
  )}; reader: node ${await version(
    NODE24,
  )}`,
);

function spawn(binary: string, script: string, runtimeArgs: string[]) {
  return new Deno.Command(binary, {
    args: [...runtimeArgs, `${ROOT}${script}`],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Waits until the reader prints that it listens. */
async function startReader() {
  const child = spawn(NODE24, "tests/channel/reader_child.ts", []);
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("listening")) {
    const { value, done } = await reader.read();
    if (done) {
      const err = await new Response(child.stderr).text();
      throw new Error(`Cannot start the reader: ${err}`);
    }
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return child;
}

async function lines(): Promise<number> {
  try {
    const text = await Deno.readTextFile(output);
    return text.split("\n").length - 1;
  } catch {
    return 0;
  }
}

const started = performance.now();
let reader = await startReader();
const writer = spawn(DENO, "tests/channel/writer_child.ts", ["run", "-A"]);
const writerDone = writer.output();
// Kill the reader once a fifth of the records are through.
while ((await lines()) < records / 5) {
  await new Promise((r) => setTimeout(r, 20));
}
reader.kill("SIGKILL");
await reader.status;
const boundary = await lines();
reader = await startReader();
const [written, read] = await Promise.all([writerDone, reader.output()]);
const seconds = (performance.now() - started) / 1000;
for (const [name, result] of [["writer", written], ["reader", read]] as const) {
  if (!result.success) {
    console.error(new TextDecoder().decode(result.stderr));
    throw new Error(`Cannot finish: the ${name} exited with ${result.code}`);
  }
}

const text = await Deno.readTextFile(output);
const problems: string[] = [];
if (!text.endsWith("\n")) problems.push("the file ends with a partial line");
const ids: number[] = [];
text.split("\n").slice(0, -1).forEach((line, n) => {
  try {
    ids.push((JSON.parse(line) as { id: number }).id);
  } catch {
    problems.push(`line ${n + 1} is not a whole record`);
  }
});
let duplicates = 0;
let highest = -1;
ids.forEach((id, n) => {
  if (id <= highest) {
    duplicates++;
    if (n < boundary || n >= boundary + bound) {
      problems.push(
        `line ${n + 1}: record ${id} repeated away from the restart`,
      );
    }
  } else if (id !== highest + 1) {
    problems.push(`line ${n + 1}: record ${id} follows ${highest}: a gap`);
  } else {
    highest = id;
  }
});
const lost = records - new Set(ids).size;
if (lost !== 0 || highest !== records - 1) {
  problems.push(`${lost} records lost`);
}
if (duplicates > bound) {
  problems.push(`${duplicates} duplicates exceed the bound ${bound}`);
}
console.log(
  `channel: ${transport} deno->node ${records} records, 1 reader restart at line ${boundary}, ${lost} lost, ${duplicates} duplicates (bound ${bound}), ${
    seconds.toFixed(1)
  } s`,
);
await Deno.remove(dir, { recursive: true });
if (problems.length > 0) {
  for (const problem of problems.slice(0, 20)) {
    console.error(`  FAIL ${problem}`);
  }
  Deno.exit(1);
}
