// Copyright 2026 the @ca/streams authors. MIT license.
// `ca run` end to end, as a user runs it: examples/deno-to-node.yaml with
// `ca` on Deno (runner-2 a Node 24 child) and with `ca` on Node 24
// (runner-1 a Deno child); the output file and the checkpoint; a second run
// resumes after the checkpoint; a runner child killed mid-run makes `ca`
// exit non-zero naming it, within 5 seconds; examples/fan-out.yaml (a graph
// on two runners) on both hosts, and a graceful stop of a graph that merges
// a source and a channel. Deno only: it drives both.
import assert from "node:assert/strict";
import { test } from "node:test";

const ROOT = new URL("../../", import.meta.url);
const path = (relative: string) =>
  decodeURIComponent(new URL(relative, ROOT).pathname);
const DENO = path("node_modules/.bin/deno");
const NODE24 = path("node_modules/node24/bin/node");
const CA = path("connectors/cli/ca.ts");
const EXAMPLE = path("examples/deno-to-node.yaml");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Starts `ca` on `runtime` with the example's environment. */
function spawnCa(
  runtime: "deno" | "node",
  args: string[],
  env: Record<string, string>,
): Deno.ChildProcess {
  const [command, prefix] = runtime === "deno"
    ? [DENO, ["run", "-A", CA]]
    : [NODE24, [CA]];
  return new Deno.Command(command, {
    args: [...prefix, ...args],
    env: { CA_DENO: DENO, CA_NODE: NODE24, ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function runCa(
  runtime: "deno" | "node",
  args: string[],
  env: Record<string, string>,
): Promise<Run> {
  const started = performance.now();
  const output = await spawnCa(runtime, args, env).output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
    ms: performance.now() - started,
  };
}

async function readLines(file: string): Promise<{ id: number }[]> {
  const text = await Deno.readTextFile(file);
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

const versions = async () => {
  const deno = (await runCa("deno", ["--version"], {})).stdout.trim();
  const node = (await runCa("node", ["--version"], {})).stdout.trim();
  console.log(`runtimes: ${deno}; ${node}`);
};

for (const orchestrator of ["deno", "node"] as const) {
  test(`ca run examples/deno-to-node.yaml (ca on ${orchestrator}): every record once, in order; the checkpoint holds the end; a second run resumes there`, async () => {
    if (orchestrator === "deno") await versions();
    const dir = await Deno.makeTempDir({ prefix: "ca_run_" });
    const env = { CA_OUT_DIR: dir, RECORDS: "25000" };
    const first = await runCa(orchestrator, ["run", EXAMPLE], env);
    assert.equal(first.code, 0, first.stderr);
    console.log(first.stderr.trim());
    assert.match(
      first.stderr,
      /pipeline deno-to-node stopped after [\d.]+ s: 25,000 records read, 25,000 written/,
    );
    const records = await readLines(`${dir}/deno-to-node.ndjson`);
    assert.equal(records.length, 25_000);
    assert.deepEqual(
      records.map((r) => r.id),
      Array.from({ length: 25_000 }, (_, i) => i),
    );
    assert.equal((records[0] as { sensor?: string }).sensor, "s-1");
    // The source's checkpoint: the generator's position after its last record.
    const checkpoints = [...Deno.readDirSync(`${dir}/checkpoints`)]
      .map((e) => e.name).filter((n) => n.endsWith(".json")).sort();
    assert.ok(checkpoints.length >= 1, `checkpoints: ${checkpoints.join()}`);
    const source = JSON.parse(
      await Deno.readTextFile(
        `${dir}/checkpoints/${
          checkpoints.find((n) => n.includes("source_processor"))
        }`,
      ),
    );
    assert.deepEqual(source.position, 24_999);

    const second = await runCa(orchestrator, ["run", EXAMPLE], env);
    assert.equal(second.code, 0, second.stderr);
    assert.match(
      second.stderr,
      /stopped after [\d.]+ s: 0 records read, 0 written/,
    );
    assert.equal(
      (await readLines(`${dir}/deno-to-node.ndjson`)).length,
      25_000,
    );
    await Deno.remove(dir, { recursive: true });
  });
}

test("killing the runner child process makes ca run exit non-zero, naming the runner, within 5 seconds", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ca_kill_" });
  const child = spawnCa("deno", ["run", EXAMPLE], {
    CA_OUT_DIR: dir,
    RECORDS: "1000000000",
  });
  const stderr: string[] = [];
  const reading = (async () => {
    for await (
      const chunk of child.stderr.pipeThrough(new TextDecoderStream())
    ) {
      stderr.push(chunk);
    }
  })();
  const stdout = new Response(child.stdout).text();
  // ca names each child runner and its pid when it starts it.
  let pid: number | undefined;
  const deadline = Date.now() + 30_000;
  while (pid === undefined && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    const match = /runner "runner-2" \(node[^)]*pid (\d+)\) running/.exec(
      stderr.join(""),
    );
    if (match) pid = Number(match[1]);
  }
  assert.ok(pid, `no start line for runner-2: ${stderr.join("")}`);
  // Let records flow before the kill.
  while (Date.now() < deadline) {
    try {
      if ((await Deno.stat(`${dir}/deno-to-node.ndjson`)).size > 0) break;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  const killed = performance.now();
  Deno.kill(pid!, "SIGKILL");
  const status = await child.status;
  const exitMs = performance.now() - killed;
  await reading;
  const output = stderr.join("");
  console.log(
    `ca exited with ${status.code} ${Math.round(exitMs)} ms after the kill`,
  );
  assert.equal(status.code, 3, output);
  assert.ok(exitMs < 5000, `took ${exitMs} ms`);
  assert.match(
    output,
    /runner "runner-2" \(node, pid \d+\) was killed by SIGKILL/,
  );
  assert.match(output, /pipeline deno-to-node degraded after/);
  assert.equal(await stdout, "", "progress and summary go to stderr");
  await Deno.remove(dir, { recursive: true });
});

test("SIGINT stops ca run gracefully: exit 130, everything read is written and checkpointed; the next run resumes after it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ca_sigint_" });
  const child = spawnCa("deno", ["run", EXAMPLE], {
    CA_OUT_DIR: dir,
    RECORDS: "1000000000",
  });
  const output = Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await Deno.stat(`${dir}/deno-to-node.ndjson`)).size > 100_000) break;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill("SIGINT");
  const status = await child.status;
  const [stdout, stderr] = await output;
  assert.equal(status.code, 130, stderr);
  assert.equal(stdout, "");
  const match =
    /stopped after [\d.]+ s: ([\d,]+) records read, ([\d,]+) written/
      .exec(stderr);
  assert.ok(match, stderr);
  const [read, written] = [match[1], match[2]].map((n) =>
    Number(n!.replaceAll(",", ""))
  );
  assert.equal(read, written, "everything read was drained to the sink");
  const lines = await readLines(`${dir}/deno-to-node.ndjson`);
  assert.equal(lines.length, written);
  const checkpoint = [...Deno.readDirSync(`${dir}/checkpoints`)]
    .find((e) => e.name.includes("source_processor"))!.name;
  const stored = JSON.parse(
    await Deno.readTextFile(`${dir}/checkpoints/${checkpoint}`),
  );
  assert.equal(stored.position, written - 1, "the checkpoint is committed");
  // A second run with 1,000 more records to go writes exactly those.
  const total = written + 1000;
  const second = await runCa("deno", ["run", EXAMPLE], {
    CA_OUT_DIR: dir,
    RECORDS: String(total),
  });
  assert.equal(second.code, 0, second.stderr);
  const all = await readLines(`${dir}/deno-to-node.ndjson`);
  assert.deepEqual(
    all.map((r) => r.id),
    Array.from({ length: total }, (_, i) => i),
  );
  console.log(
    `stopped after ${written} records; resumed and wrote ${
      all.length - written
    } more`,
  );
  await Deno.remove(dir, { recursive: true });
});

const FAN_OUT = path("examples/fan-out.yaml");

for (const orchestrator of ["deno", "node"] as const) {
  test(`ca run examples/fan-out.yaml (ca on ${orchestrator}): every record in the archive on runner-2, the paid ones on runner-1; a checkpoint per source; a second run resumes`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "ca_fan_out_" });
    const env = { CA_OUT_DIR: dir, RECORDS: "20000", REFUNDS: "700" };
    const first = await runCa(orchestrator, ["run", FAN_OUT], env);
    assert.equal(first.code, 0, first.stderr);
    console.log(first.stderr.trim());
    assert.match(
      first.stderr,
      /pipeline fan-out stopped after [\d.]+ s: 20,700 records read, 40,700 written \(paid 20,000, archive 20,700; /,
    );
    const archive = await readLines(`${dir}/fan-out-all.ndjson`) as {
      id: number;
      status: string;
      shop: string;
    }[];
    const of = (status: string) =>
      archive.filter((r) => r.status === status).map((r) => r.id);
    const range = (n: number) => Array.from({ length: n }, (_, i) => i);
    assert.equal(archive.length, 20_700);
    assert.deepEqual(of("paid"), range(20_000), "each order once, in order");
    assert.deepEqual(of("refunded"), range(700), "each refund once, in order");
    assert.ok(archive.every((r) => r.shop === "s-1"));
    const paid = await readLines(`${dir}/fan-out-paid.ndjson`) as {
      id: number;
      status: string;
    }[];
    assert.deepEqual(paid.map((r) => r.id), range(20_000));
    assert.ok(paid.every((r) => r.status === "paid"), "no refund routed");
    const sources = JSON.parse(
      await Deno.readTextFile(`${dir}/checkpoints/fan-out%2forders.json`),
    );
    assert.deepEqual(sources.position, { orders: 19_999, refunds: 699 });

    const second = await runCa(orchestrator, ["run", FAN_OUT], env);
    assert.equal(second.code, 0, second.stderr);
    assert.match(
      second.stderr,
      /stopped after [\d.]+ s: 0 records read, 0 written/,
    );
    // More records: only the new ones are read, into both sinks.
    const third = await runCa(orchestrator, ["run", FAN_OUT], {
      ...env,
      RECORDS: "21000",
    });
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stderr, /: 1,000 records read, 2,000 written/);
    assert.equal((await readLines(`${dir}/fan-out-all.ndjson`)).length, 21_700);
    assert.deepEqual(
      (await readLines(`${dir}/fan-out-paid.ndjson`)).map((r) => r.id),
      range(21_000),
    );
    await Deno.remove(dir, { recursive: true });
  });
}

test("SIGINT stops a graph whose Node runner merges its own source with a channel: exit 130, each sink has every record read once; the next run resumes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ca_graph_sigint_" });
  const file = `${dir}/graph.yaml`;
  const config = (rate: string) =>
    `id: merged
runners: { a: { runtime: deno }, b: { runtime: node } }
checkpoint: { store: { type: file, dir: ./checkpoints } }
processors:
  - { name: orders, use: generate, runner: a, args: { count: "\${ORDERS:-1000000000}", ${rate}template: { kind: order } } }
  - { name: refunds, use: generate, runner: b, args: { count: "\${REFUNDS:-1000000000}", ${rate}template: { kind: refund } } }
  - { name: all, use: set, runner: b, from: [orders, refunds], args: { field: seen, value: true } }
  - { name: here, use: file-sink, runner: b, args: { path: here.ndjson } }
  - { name: there, use: file-sink, runner: a, from: all, args: { path: there.ndjson } }
`;
  await Deno.writeTextFile(file, config("ratePerSecond: 20000, "));
  const child = spawnCa("deno", ["run", file], {});
  const output = Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await Deno.stat(`${dir}/there.ndjson`)).size > 100_000) break;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill("SIGINT");
  const status = await child.status;
  const [, stderr] = await output;
  assert.equal(status.code, 130, stderr);
  type Row = { id: number; kind: string };
  const ids = (rows: Row[], kind: string) =>
    rows.filter((r) => r.kind === kind).map((r) => r.id);
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const counts: Record<string, number> = {};
  for (const sink of ["here", "there"]) {
    const rows = await readLines(`${dir}/${sink}.ndjson`) as Row[];
    for (const kind of ["order", "refund"]) {
      const found = ids(rows, kind);
      assert.deepEqual(found, range(found.length), `${sink}: ${kind}s once`);
      assert.equal(found.length, counts[kind] ??= found.length, sink);
    }
  }
  assert.ok(counts.order! > 0 && counts.refund! > 0, JSON.stringify(counts));
  const merged = JSON.parse(
    await Deno.readTextFile(`${dir}/checkpoints/merged%2frefunds.json`),
  );
  assert.equal(merged.position.refunds, counts.refund! - 1, stderr);
  // The rest, unpaced: each sink ends with every record once.
  await Deno.writeTextFile(file, config(""));
  const env = {
    ORDERS: String(counts.order! + 500),
    REFUNDS: String(counts.refund! + 300),
  };
  const second = await runCa("deno", ["run", file], env);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /: 800 records read, 1,600 written/);
  for (const sink of ["here", "there"]) {
    const rows = await readLines(`${dir}/${sink}.ndjson`) as Row[];
    assert.deepEqual(ids(rows, "order"), range(Number(env.ORDERS)), sink);
    assert.deepEqual(ids(rows, "refund"), range(Number(env.REFUNDS)), sink);
  }
  console.log(
    `stopped after ${counts.order} orders and ${counts.refund} refunds; resumed each after its own position`,
  );
  await Deno.remove(dir, { recursive: true });
});

test("ca run examples/deno-python-node.yaml: a Python processor between a Deno source and a Node sink", async () => {
  const python = new Deno.Command(Deno.env.get("CA_PYTHON") ?? "python3", {
    args: ["--version"],
  }).output().catch((error) => {
    throw new Error(
      `Cannot run python3 (${error.message}): install it (apt-get install python3) or set CA_PYTHON`,
    );
  });
  console.log(
    `runtimes: ${new TextDecoder().decode((await python).stdout).trim()}`,
  );
  const dir = await Deno.makeTempDir({ prefix: "ca_python_" });
  const run = await runCa(
    "deno",
    ["run", path("examples/deno-python-node.yaml")],
    { CA_OUT_DIR: dir, RECORDS: "30000" },
  );
  assert.equal(run.code, 0, run.stderr);
  console.log(run.stderr.trim());
  const records = await readLines(`${dir}/deno-python-node.ndjson`) as {
    id: number;
    name?: string;
    amount?: number;
  }[];
  assert.equal(records.length, 30_000);
  records.forEach((record, i) => {
    assert.equal(record.id, i);
    assert.equal(record.name, "WIDGET");
    assert.equal(record.amount, 10);
  });
  await Deno.remove(dir, { recursive: true });
});

test("ca run of a broken config exits 2, names every bad path, and starts no runner", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ca_broken_" });
  const file = `${dir}/broken.yaml`;
  const text = (await Deno.readTextFile(EXAMPLE))
    .replace("count: ${RECORDS:-100000}", "count: -1")
    .replace("runner: runner-2", "runner: runner-9");
  await Deno.writeTextFile(file, text);
  for (const command of ["validate", "run"]) {
    const run = await runCa("deno", [command, file], { CA_OUT_DIR: dir });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /\/processors\/0\/args\/count: /);
    assert.match(run.stderr, /\/processors\/1\/runner: .*runner-9/);
    assert.doesNotMatch(run.stderr, /started/);
  }
  const entries = [...Deno.readDirSync(dir)].map((e) => e.name);
  assert.deepEqual(entries, ["broken.yaml"], "nothing was written");
  await Deno.remove(dir, { recursive: true });
});

test("ca list --json prints every processor's args as JSON Schema; --live draws runners and processors", async () => {
  const list = await runCa("node", ["list", "--json"], {});
  assert.equal(list.code, 0, list.stderr);
  const processors = JSON.parse(list.stdout) as {
    name: string;
    kind: string;
    args: { properties?: Record<string, unknown> } | null;
  }[];
  const sink = processors.find((p) => p.name === "file-sink");
  assert.equal(sink?.kind, "sink");
  assert.ok(sink?.args?.properties?.path, JSON.stringify(sink));
  const generate = processors.find((p) => p.name === "generate");
  assert.ok(generate?.args?.properties?.count);

  const dir = await Deno.makeTempDir({ prefix: "ca_live_" });
  const live = await runCa("deno", ["run", EXAMPLE, "--live"], {
    CA_OUT_DIR: dir,
    RECORDS: "3000",
  });
  assert.equal(live.code, 0, live.stderr);
  assert.match(live.stdout, /ca run deno-to-node {2}stopped/);
  assert.match(live.stdout, /runner-2 \(node 24\.\d+\.\d+, pid \d+\)/);
  assert.match(live.stdout, /sink_processor +stopped +3,000 records/);
  assert.match(live.stdout, /checkpoint deno-to-node\/source_processor: 2999/);
  await Deno.remove(dir, { recursive: true });
});

test("a config POSTs CloudEvents with the library's connectors: generate -> to-cloud-event -> cloudevents-http-writer", async () => {
  const { cloudEventsReader } = await import("@ca/streams/cloudevents");
  const { collect, pipeline } = await import("@ca/streams");
  type CloudEvent<T> = import("@ca/streams/cloudevents").CloudEvent<T>;
  const reader = cloudEventsReader<{ id: number; value: number }>();
  const received = collect<CloudEvent<{ id: number; value: number }>>();
  const receiving = pipeline(reader, received);
  const server = Deno.serve({ port: 0, onListen() {} }, reader.fetch);
  const dir = await Deno.makeTempDir({ prefix: "ca_ce_" });
  const file = `${dir}/events.yaml`;
  await Deno.writeTextFile(
    file,
    `id: events
runners: { main: { runtime: deno } }
processors:
  - name: numbers
    use: generate
    args: { count: 2500 }
  - name: wrap
    use: to-cloud-event
    args: { source: /numbers, type: number.generated }
  - name: post
    use: cloudevents-http-writer
    args: { url: "http://127.0.0.1:${server.addr.port}/events", mode: batch }
`,
  );
  const run = await runCa("deno", ["run", file], {});
  assert.equal(run.code, 0, run.stderr);
  reader.close();
  await receiving;
  await server.shutdown();
  assert.equal(received.records.length, 2500);
  assert.deepEqual(
    received.records.map((e) => e.data!.id),
    Array.from({ length: 2500 }, (_, i) => i),
  );
  assert.equal(received.records[7]!.id, "7");
  assert.equal(received.records[7]!.type, "number.generated");
  await Deno.remove(dir, { recursive: true });
});
