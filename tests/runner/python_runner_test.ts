// Copyright 2026 the @ca/streams authors. MIT license.
// The Python runner (examples/python_runner/runner.py) between a JS
// channelWriter() and a JS channelReader(): the channel protocol spoken by
// another language, driven by the runner control protocol as `ca run` would.
// Needs python3 (or $CA_PYTHON); fails, never skips, without it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { collect, pipeline } from "@ca/streams";
import {
  type ChannelConnection,
  channelReader,
  channelWriter,
} from "@ca/streams/channel";
import { tcpConnect, tcpListen } from "@ca/streams/channel-tcp";

type Message = Record<string, unknown>;
interface Order {
  id: number;
  name: string;
  amount: number;
}

/** A child process with piped stdin and stdout; stderr passes through. */
interface Child {
  stdin: WritableStream<Uint8Array>;
  stdout: ReadableStream<Uint8Array>;
  exitCode: Promise<number>;
  kill(): void;
}

const RUNNER = fileURLToPath(
  new URL("../../examples/python_runner/runner.py", import.meta.url),
);
const VECTORS = fileURLToPath(
  new URL("../channel/vectors.json", import.meta.url),
);
const PYTHON = env("CA_PYTHON") ?? "python3";

/** Decodes every vector with runner.py's read_frame(); prints the failures. */
const VECTOR_CHECK = `
import io, json, runpy, sys
runner = runpy.run_path(sys.argv[1])
vectors = json.load(open(sys.argv[2], encoding="utf-8"))

def frames(hex, options):
    read = io.BytesIO(bytes.fromhex(hex)).read
    limit = options.get("handshakeMaxFrameBytes", options.get("maxFrameBytes", 1 << 24))
    messages = []
    while (message := runner["read_frame"](read, limit)) is not None:
        messages.append(message)
        limit = options.get("maxFrameBytes", 1 << 24)
    return messages

failures = [v["name"] for v in vectors["valid"] if frames(v["hex"], {}) != [v["message"]]]
for v in vectors["invalid"]:
    try:
        frames(v["hex"], v.get("options", {}))
        code, reason = None, ""
    except EOFError:
        code, reason = 4000, ""
    except runner["ProtocolError"] as error:
        code, reason = error.code, error.reason
    if code != v["closeCode"] or v.get("path", "") not in reason:
        failures.append(v["name"])
print(f"{len(vectors['valid']) + len(vectors['invalid'])} vectors, {len(failures)} failures: {failures}")
`;

function env(name: string): string | undefined {
  const global = globalThis as {
    Deno?: { env: { get(name: string): string | undefined } };
    process?: { env: Record<string, string | undefined> };
  };
  return global.Deno ? global.Deno.env.get(name) : global.process?.env[name];
}

/** Spawns `PYTHON args`; a missing Python fails with how to install it. */
async function spawn(args: string[]): Promise<Child> {
  try {
    return await spawnOn(args);
  } catch (error) {
    throw new Error(
      `Cannot run the Python runner test: ${PYTHON} is missing (${error}). ` +
        "Install Python 3.11 or later (apt-get install python3, brew install " +
        "python, or python.org), or set CA_PYTHON to its path.",
    );
  }
}

/** Spawns `PYTHON args` on Deno or Node. */
async function spawnOn(args: string[]): Promise<Child> {
  if ("Deno" in globalThis) {
    const child = new Deno.Command(PYTHON, {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    return {
      stdin: child.stdin,
      stdout: child.stdout,
      exitCode: child.status.then((status) => status.code),
      kill: () => {
        try {
          child.kill();
        } catch { /* it exited already */ }
      },
    };
  }
  const { spawn } = await import("node:child_process");
  const { Readable, Writable } = await import("node:stream");
  const child = spawn(PYTHON, args, { stdio: ["pipe", "pipe", "inherit"] });
  await new Promise((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", reject);
  });
  return {
    stdin: Writable.toWeb(child.stdin!) as WritableStream<Uint8Array>,
    stdout: Readable.toWeb(child.stdout!) as ReadableStream<Uint8Array>,
    exitCode: new Promise((resolve) =>
      child.once("exit", (code) => resolve(code ?? -1))
    ),
    kill: () => child.kill(),
  };
}

/**
 * Runs the Python runner and checks its `hello`. Every line it prints must
 * be a JSON object; `next()` returns the next one that is not `progress`.
 */
async function startRunner() {
  const child = await spawn([RUNNER]);
  const input = child.stdin.getWriter();
  const lines = jsonLines(child.stdout);
  const runner = {
    ...child,
    send: (message: Message) =>
      input.write(new TextEncoder().encode(JSON.stringify(message) + "\n")),
    async next(): Promise<Message> {
      for (;;) {
        const { value, done } = await lines.next();
        assert.ok(!done, "the runner's stdout ended");
        if (value.type !== "progress") return value;
      }
    },
  };
  const hello = await runner.next();
  assert.equal(hello.type, "hello");
  assert.equal(hello.runtime, "python");
  return runner;
}

async function* jsonLines(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<Message> {
  let buffer = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    buffer += text;
    for (let end; (end = buffer.indexOf("\n")) >= 0;) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      yield JSON.parse(line);
    }
  }
}

/** A channel of a plan. */
function channel(from: string, to: string, token: string) {
  return {
    name: `${from}->${to}`,
    from,
    to,
    transport: "tcp",
    host: "127.0.0.1",
    port: 0,
    token,
    args: {},
  };
}

/** A plan for one segment, `upper` then `scale`, between two channels. */
function plan(scaleArgs: unknown) {
  return {
    pipelineId: "py-test",
    runner: "runner-2",
    runtime: "python",
    baseUrl: "file:///tmp/",
    modules: [],
    segments: [{
      id: "py-test/upper",
      processors: [
        {
          name: "upper",
          use: "py-upper",
          args: { field: "name" },
          from: ["source"],
        },
        { name: "scale", use: "py-scale", args: scaleArgs, from: ["upper"] },
      ],
      inputs: [channel("source", "upper", "in-secret")],
      outputs: [channel("scale", "sink", "out-secret")],
    }],
  };
}

test("python3 is there", async () => {
  const child = await spawn(["--version"]);
  await child.stdin.close();
  const version = await new Response(child.stdout).text();
  assert.equal(await child.exitCode, 0);
  console.log(`python runner test: ${PYTHON} is ${version.trim()}`);
});

/**
 * Sends `count` orders from a JS channelWriter through the Python runner
 * (upper, then scale x2) to a JS channelReader; with `chaos`, closes a
 * connection (either side of the runner) every 10 ms meanwhile.
 */
async function throughPython(count: number, chaos: boolean) {
  const orders: Order[] = Array.from({ length: count }, (_, id) => ({
    id,
    name: `commande été ${id}`,
    amount: id + 0.25,
  }));
  const runner = await startRunner();
  const open: ChannelConnection[] = [];
  const listener = await tcpListen({ port: 0 });
  const accepted = {
    async *[Symbol.asyncIterator]() {
      for await (const connection of listener) {
        yield open[open.push(connection) - 1];
      }
    },
    close: () => listener.close(),
  };
  const received = collect<Order>();
  const reading = pipeline(
    channelReader<Order>(accepted, {
      stream: "scale->sink",
      token: "out-secret",
    }),
    received,
  );
  const timer = chaos
    ? setInterval(() => open.shift()?.close(), 10)
    : undefined;
  // A runner that fails fails the test at once, instead of at its timeout.
  const failed = runner.exitCode.then((code) =>
    code === 0 ? new Promise<never>(() => {}) : Promise.reject(
      new Error(`the Python runner exited with code ${code}`),
    )
  );
  failed.catch(() => {});
  let writing: ReturnType<typeof pipeline> | undefined;
  try {
    await runner.send({
      type: "start",
      plan: plan({ field: "amount", factor: 2 }),
    });
    const listening = await runner.next();
    assert.equal(listening.type, "listening");
    assert.equal(listening.channel, "source->upper");
    await runner.send({
      type: "connect",
      channel: "scale->sink",
      host: "127.0.0.1",
      port: listener.port,
    });
    const started = performance.now();
    let connections = 0;
    writing = pipeline(
      orders,
      channelWriter<Order>(async () => {
        connections++;
        const connection = await tcpConnect({ port: listening.port as number });
        return open[open.push(connection) - 1];
      }, {
        stream: "source->upper",
        token: "in-secret",
        batchRecords: 250,
        reconnect: { initialDelayMs: 1, maxDelayMs: 20 },
      }),
      { batchSize: 250 },
    );
    const written = await Promise.race([writing, failed]);
    const read = await Promise.race([reading, failed]);
    const ms = performance.now() - started;
    clearInterval(timer);
    assert.deepEqual(await runner.next(), {
      type: "done",
      recordsRead: count,
      recordsWritten: count,
    });
    assert.equal(await runner.exitCode, 0);
    assert.equal(written.recordsWritten, count);
    assert.equal(read.recordsWritten, count);
    assert.deepEqual(
      received.records,
      orders.map((order) => ({
        id: order.id,
        name: order.name.toUpperCase(),
        amount: order.amount * 2,
      })),
    );
    console.log(
      `python runner test: ${count} records JS -> Python -> JS in ${
        ms.toFixed(0)
      } ms, ${connections} connection(s) to the runner`,
    );
    return connections;
  } finally {
    clearInterval(timer);
    runner.kill();
    await writing?.abort(new Error("test over"));
    await reading.abort(new Error("test over"));
  }
}

test("20,000 records pass the Python runner once each, in order, transformed", {
  timeout: 60_000,
}, async () => {
  await throughPython(20_000, false);
});

test("connections dropped on both sides: nothing lost, nothing twice", {
  timeout: 60_000,
}, async () => {
  const connections = await throughPython(20_000, true);
  assert.ok(connections > 1, `only ${connections} connection`);
});

test("the runner's frame decoder agrees with tests/channel/vectors.json", {
  timeout: 30_000,
}, async () => {
  const child = await spawn(["-c", VECTOR_CHECK, RUNNER, VECTORS]);
  await child.stdin.close();
  const output = await new Response(child.stdout).text();
  assert.equal(await child.exitCode, 0, output);
  const { default: vectors } = await import("../channel/vectors.json", {
    with: { type: "json" },
  });
  const count = vectors.valid.length + vectors.invalid.length;
  assert.match(output, new RegExp(`^${count} vectors, 0 failures`), output);
});

test("a bad args value is an error naming its path, exit code 2", {
  timeout: 30_000,
}, async () => {
  const runner = await startRunner();
  try {
    await runner.send({
      type: "start",
      plan: plan({ field: "amount", factor: "two" }),
    });
    const error = await runner.next();
    assert.equal(error.type, "error");
    assert.equal(error.code, "CA_ERR_CONFIG");
    assert.equal(error.config, true);
    // Named as the JS runners name it (the plan has no config index).
    assert.equal(error.path, "/processors/scale/args/factor");
    assert.equal(
      error.message,
      '/processors/scale/args/factor: expected a number, got "two"',
    );
    assert.equal(await runner.exitCode, 2);
  } finally {
    runner.kill();
  }
});

test("a segment that is not a line is a config error, exit code 2", {
  timeout: 30_000,
}, async () => {
  const joins = plan({ field: "amount", factor: 2 });
  const [segment] = joins.segments;
  segment!.inputs.push(channel("other", "upper", "in-secret"));
  segment!.processors[0]!.from = ["source", "other"];
  const fans = plan({ field: "amount", factor: 2 });
  fans.segments[0]!.outputs.push(channel("upper", "archive", "x"));
  for (
    const [broken, why] of [
      [joins, "not a graph (2 input channels: source->upper, other->upper)"],
      [fans, "not a graph (2 output channels: scale->sink, upper->archive)"],
    ] as const
  ) {
    const runner = await startRunner();
    try {
      await runner.send({ type: "start", plan: broken });
      const error = await runner.next();
      assert.equal(error.type, "error");
      assert.equal(error.code, "CA_ERR_CONFIG");
      assert.equal(error.config, true);
      assert.equal(
        error.message,
        `Cannot run segment py-test/upper: the Python runner runs a line of processors between two channels, ${why}`,
      );
      assert.equal(await runner.exitCode, 2);
    } finally {
      runner.kill();
    }
  }
});
