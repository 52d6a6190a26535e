// Copyright 2026 the @ca/streams authors. MIT license.
// Shared by the partition and nats_cluster scenarios (`npm run
// test:cluster`): a private network of Linux network namespaces joined by
// veth pairs on a bridge, in a 10.231.X.0/24 the test picks among the
// unused ones and removes afterwards (as root); child processes (`ca serve`,
// `nats-server`) started in the root namespace or inside one of them,
// their output kept; and requests to a `ca serve` API from the root
// namespace or, with `curl`, from inside a namespace (the only way to ask
// a host whose link is cut).
//
// Nothing here touches an interface, a namespace or a process it did not
// make: every name carries the network's random tag, and cleanup deletes
// exactly what was created, then checks that nothing with the tag is left.

import { ADMIN } from "../cli/_ca_serve.ts";
import { sleep, waitFor } from "./_harness.ts";

const decoder = new TextDecoder();

/** The result of a short command. */
interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a short command to its end. */
async function runCommand(command: string, args: string[]): Promise<Ran> {
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}

/** Runs `ip ARGS`; throws with the command and what it printed when it fails. */
async function ip(...args: string[]): Promise<string> {
  const ran = await runCommand("ip", args);
  if (ran.code !== 0) {
    throw new Error(
      `Cannot run "ip ${
        args.join(" ")
      }": exit ${ran.code}: ${ran.stderr.trim()}`,
    );
  }
  return ran.stdout;
}

/**
 * Fails loudly unless this process may make network namespaces: it must
 * run as root, and `ip netns` must work.
 */
export async function checkNetnsUsable(scenario: string): Promise<void> {
  const uid = Deno.uid();
  if (uid !== 0) {
    throw new Error(
      `Cannot run the ${scenario} scenario: it makes network namespaces and veth pairs, which needs root, and this process runs as uid ${uid}`,
    );
  }
  let ran: Ran;
  try {
    ran = await runCommand("ip", ["netns", "list"]);
  } catch (error) {
    throw new Error(
      `Cannot run the ${scenario} scenario: the ip command (iproute2) is unavailable: ${
        (error as Error).message
      }`,
    );
  }
  if (ran.code !== 0) {
    throw new Error(
      `Cannot run the ${scenario} scenario: "ip netns list" failed (exit ${ran.code}): ${ran.stderr.trim()}`,
    );
  }
}

/** A namespace of the network. */
export interface NetNode {
  /** The name the scenario gave it. */
  name: string;
  /** The network namespace. */
  ns: string;
  /** Its address on the private network. */
  address: string;
  /** The veth end on the bridge, in the root namespace: cutting it cuts the node off. */
  link: string;
}

/**
 * A private network: a bridge in the root namespace (the test reaches the
 * nodes through its address, `gateway`) and one namespace per node, each
 * with loopback and one veth whose other end is on the bridge. The nodes
 * have no default route: only loopback and this network carry their traffic.
 */
export class PrivateNetwork {
  /** Its random tag, in every name it makes. */
  readonly tag: string;
  /** The first three octets, `10.231.X`. */
  readonly prefix: string;
  /** The bridge's address: the root namespace's on this network. */
  readonly gateway: string;
  readonly bridge: string;
  readonly #nodes = new Map<string, NetNode>();
  /** What exists, to delete in reverse order. */
  readonly #made: { kind: "link" | "netns"; name: string }[] = [];

  private constructor(tag: string, prefix: string) {
    this.tag = tag;
    this.prefix = prefix;
    this.gateway = `${prefix}.1`;
    this.bridge = `${tag}br`;
  }

  /**
   * Makes the network with `names` as nodes (addresses `.10`, `.11`, ...
   * in their order). On failure, removes what it made, then throws.
   */
  static async create(names: string[]): Promise<PrivateNetwork> {
    const used = await ip("-o", "addr", "show");
    const routes = await ip("-o", "route", "show", "table", "all");
    const free: number[] = [];
    for (let x = 1; x < 255; x++) {
      const octets = `10.231.${x}.`;
      if (!used.includes(octets) && !routes.includes(octets)) free.push(x);
    }
    if (free.length === 0) {
      throw new Error(
        "Cannot make the private network: every 10.231.X.0/24 is in use",
      );
    }
    const x = free[Math.floor(Math.random() * free.length)]!;
    const tag = `ca${
      Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, "0")
    }`;
    const network = new PrivateNetwork(tag, `10.231.${x}`);
    try {
      await network.#build(names);
    } catch (error) {
      await network.close().catch(() => {});
      throw error;
    }
    return network;
  }

  async #build(names: string[]): Promise<void> {
    await ip("link", "add", this.bridge, "type", "bridge");
    this.#made.push({ kind: "link", name: this.bridge });
    await ip("addr", "add", `${this.gateway}/24`, "dev", this.bridge);
    await ip("link", "set", this.bridge, "up");
    for (const [i, name] of names.entries()) {
      const node: NetNode = {
        name,
        ns: `${this.tag}-${name}`,
        address: `${this.prefix}.${10 + i}`,
        link: `${this.tag}h${i}`,
      };
      const peer = `${this.tag}n${i}`;
      await ip("netns", "add", node.ns);
      this.#made.push({ kind: "netns", name: node.ns });
      await ip("link", "add", node.link, "type", "veth", "peer", "name", peer);
      this.#made.push({ kind: "link", name: node.link });
      await ip("link", "set", peer, "netns", node.ns);
      await ip("link", "set", node.link, "master", this.bridge);
      await ip("link", "set", node.link, "up");
      await ip("-n", node.ns, "link", "set", "lo", "up");
      await ip("-n", node.ns, "addr", "add", `${node.address}/24`, "dev", peer);
      await ip("-n", node.ns, "link", "set", peer, "up");
      this.#nodes.set(name, node);
    }
  }

  /** The node called `name`. */
  node(name: string): NetNode {
    const node = this.#nodes.get(name);
    if (node === undefined) throw new Error(`no node ${name} in the network`);
    return node;
  }

  /** Cuts `name` off the network: its veth end on the bridge goes down. */
  async cut(name: string): Promise<void> {
    await ip("link", "set", this.node(name).link, "down");
  }

  /** Puts `name` back on the network. */
  async restore(name: string): Promise<void> {
    await ip("link", "set", this.node(name).link, "up");
  }

  /** What the network is, for the scenario's notes. */
  describe(): string {
    return `bridge ${this.bridge} ${this.gateway}/24; ${
      [...this.#nodes.values()].map((node) =>
        `${node.name}: netns ${node.ns} ${node.address} (link ${node.link})`
      ).join("; ")
    }`;
  }

  /**
   * Deletes the namespaces and links it made (a process still inside a
   * namespace is killed first: only the scenario's own children can be
   * there), then checks that nothing with its tag is left.
   */
  async close(): Promise<void> {
    const errors: string[] = [];
    for (const { name } of this.#made.filter((m) => m.kind === "netns")) {
      const pids = await runCommand("ip", ["netns", "pids", name]);
      for (const pid of pids.stdout.split(/\s+/).filter((p) => p !== "")) {
        try {
          Deno.kill(Number(pid), "SIGKILL");
        } catch { /* gone */ }
      }
    }
    for (const { kind, name } of [...this.#made].reverse()) {
      const ran = kind === "link"
        ? await runCommand("ip", ["link", "del", name])
        : await runCommand("ip", ["netns", "del", name]);
      // A veth whose peer's namespace went first is gone with it.
      if (ran.code !== 0 && !/Cannot find device/.test(ran.stderr)) {
        errors.push(`ip ${kind} del ${name}: ${ran.stderr.trim()}`);
      }
    }
    this.#made.length = 0;
    // A namespace's veth goes away once its last process has.
    let left = "";
    for (let i = 0; i < 50; i++) {
      const links = (await ip("-o", "link", "show")).split("\n")
        .filter((line) => line.includes(this.tag));
      const spaces = (await ip("netns", "list")).split("\n")
        .filter((line) => line.includes(this.tag));
      left = [...links, ...spaces].join("; ");
      if (left === "") break;
      for (const line of links) {
        const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
        if (name !== undefined) await runCommand("ip", ["link", "del", name]);
      }
      await sleep(100);
    }
    if (left !== "") errors.push(`still there: ${left}`);
    if (errors.length > 0) {
      throw new Error(
        `Cannot remove the private network ${this.tag}: ${errors.join("; ")}`,
      );
    }
  }
}

/** A child process of a scenario. */
export interface Proc {
  /** What it is, for messages: `h1`, `nats-2`. */
  name: string;
  pid: number;
  /** What it printed (stdout and stderr together) so far. */
  output(): string;
  ended(): boolean;
  /** Sends it a signal (nothing once it ended). */
  signal(name: Deno.Signal): void;
  /** Kills it (SIGKILL) and waits for its end. */
  kill(): Promise<void>;
  /** Resolves when it ended, with its status. */
  status: Promise<Deno.CommandStatus>;
}

/**
 * Starts `command ARGS`, inside namespace `ns` (`ip netns exec` execs it,
 * so its pid is the command's own) or in the root namespace.
 */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  options: { ns?: string; env?: Record<string, string> } = {},
): Proc {
  const full = options.ns === undefined
    ? { command, args }
    : { command: "ip", args: ["netns", "exec", options.ns, command, ...args] };
  const child = new Deno.Command(full.command, {
    args: full.args,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  let ended = false;
  const keep = (stream: ReadableStream<Uint8Array>) =>
    stream.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({ write: (chunk) => void (output += chunk) }),
    ).catch(() => {});
  const reading = Promise.all([keep(child.stdout), keep(child.stderr)]);
  const status = child.status.then(async (status) => {
    ended = true;
    await reading;
    return status;
  });
  const signal = (which: Deno.Signal) => {
    if (ended) return;
    try {
      child.kill(which);
    } catch { /* ended meanwhile */ }
  };
  return {
    name,
    pid: child.pid,
    output: () => output,
    ended: () => ended,
    signal,
    async kill() {
      signal("SIGCONT");
      signal("SIGKILL");
      await status;
    },
    status,
  };
}

/** A `ca serve` host of a scenario, and where its API is. */
export interface ServeHost extends Proc {
  /** Its base URL, `http://ADDR:PORT/`. */
  url: string;
  /** Its namespace, when it runs in one. */
  ns?: string;
}

/** What `ca serve` listens on, from its "listening on" line. */
export async function untilListening(proc: Proc): Promise<string> {
  return await waitFor(
    `${proc.name} (ca serve) listens`,
    () => {
      if (proc.ended()) {
        throw new Error(
          `${proc.name} (ca serve) ended before it listened:\n${
            proc.output().slice(-2000)
          }`,
        );
      }
      return /listening on (http:\/\/\S+\/) /.exec(proc.output())?.[1];
    },
    { deadlineMs: 60_000, everyMs: 100 },
  );
}

/**
 * `GET route` on `host` with the admin token, its JSON body; from inside
 * the host's namespace with `curl` when `fromInside` (a host cut off the
 * network is reached only there), else with `fetch` from here.
 */
export async function getJson<T>(
  host: ServeHost,
  route: string,
  options: { fromInside?: boolean; timeoutMs?: number } = {},
): Promise<T> {
  const url = new URL(route.slice(1), host.url).href;
  const timeoutMs = options.timeoutMs ?? 5_000;
  let status: number;
  let text: string;
  if (options.fromInside && host.ns !== undefined) {
    const ran = await runCommand("ip", [
      "netns",
      "exec",
      host.ns,
      "curl",
      "-s",
      "-m",
      String(timeoutMs / 1000),
      "-H",
      `authorization: Bearer ${ADMIN}`,
      "-w",
      "\n%{http_code}",
      url,
    ]);
    if (ran.code !== 0) {
      throw new Error(
        `GET ${route} on ${host.name} from its namespace: curl exit ${ran.code} ${ran.stderr.trim()}`,
      );
    }
    const cut = ran.stdout.lastIndexOf("\n");
    text = ran.stdout.slice(0, cut);
    status = Number(ran.stdout.slice(cut + 1));
  } else {
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${ADMIN}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    text = await response.text();
  }
  if (status !== 200) {
    throw new Error(
      `GET ${route} on ${host.name} answered ${status}: ${text.slice(0, 300)}`,
    );
  }
  return JSON.parse(text) as T;
}

/** `POST route` on `host` with a JSON body and the admin token; throws unless 2xx. */
export async function postJson(
  host: ServeHost,
  route: string,
  body: unknown,
): Promise<unknown> {
  const response = await fetch(new URL(route.slice(1), host.url), {
    method: "POST",
    headers: {
      authorization: `Bearer ${ADMIN}`,
      "content-type": "application/json",
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status < 200 || response.status > 299) {
    throw new Error(
      `POST ${route} on ${host.name} answered ${response.status}: ${
        text.slice(0, 300)
      }`,
    );
  }
  return JSON.parse(text);
}

/** The environment of a `ca serve` child: the test's tokens, no update check. */
export function serveEnv(
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...Deno.env.toObject(),
    CA_ADMIN_TOKEN: ADMIN,
    DENO_NO_UPDATE_CHECK: "1",
    ...extra,
  };
}

/** A free TCP port of 127.0.0.1 (in the root namespace). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Starts `nats-server ARGS` (in namespace `ns`, or here) and waits for its
 * "Server is ready" line; with `cluster`, for its routes too ("JetStream
 * cluster" lines are not waited for: the caller waits for a meta leader).
 */
export async function startNatsServer(
  name: string,
  natsServer: string,
  args: string[],
  options: { ns?: string } = {},
): Promise<Proc> {
  const proc = startProcess(name, natsServer, args, options);
  try {
    await waitFor(
      `${name} (${natsServer} ${args.join(" ")}) is ready`,
      () => {
        if (proc.ended()) {
          throw new Error(
            `${name} (nats-server) ended at start:\n${
              proc.output().slice(-2000)
            }`,
          );
        }
        return proc.output().includes("Server is ready");
      },
      { deadlineMs: 30_000, everyMs: 50 },
    );
  } catch (error) {
    await proc.kill();
    throw error;
  }
  return proc;
}

/** What a sink stream holds of one connector (subject `out.<connector>`). */
export interface SinkCount {
  /** Messages. */
  rows: number;
  /** Distinct `id`s. */
  distinct: number;
  /** The highest `id`, -1 for none. */
  max: number;
}

/** A NATS connection of the test (`@nats-io/transport-node`). */
export type TestNats = import("@nats-io/transport-node").NatsConnection;

/** Connects the test to `servers` (a run's own server or cluster). */
export async function connectNats(servers: string[]): Promise<TestNats> {
  const { connect } = await import("@nats-io/transport-node");
  return await connect({
    servers,
    name: "ca-cluster-scenario",
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
}

/**
 * Messages per subject of `stream` below `prefix.` (cheap: the stream's
 * state, not its messages).
 */
export async function subjectCounts(
  nc: TestNats,
  stream: string,
  prefix: string,
): Promise<Map<string, number>> {
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream, {
    subjects_filter: `${prefix}.>`,
  });
  const counts = new Map<string, number>();
  for (const [subject, n] of Object.entries(info.state.subjects ?? {})) {
    counts.set(subject.slice(prefix.length + 1), n);
  }
  return counts;
}

/**
 * Reads every message of `stream` (an ordered consumer) and counts, per
 * subject `prefix.<connector>`, the messages and their distinct `id`s.
 */
export async function sinkCounts(
  nc: TestNats,
  stream: string,
  prefix: string,
): Promise<Map<string, SinkCount>> {
  const { jetstream, jetstreamManager } = await import("@nats-io/jetstream");
  const jsm = await jetstreamManager(nc);
  const total = (await jsm.streams.info(stream)).state.messages;
  const ids = new Map<string, Set<number>>();
  const counts = new Map<string, SinkCount>();
  if (total > 0) {
    const consumer = await jetstream(nc).consumers.get(stream);
    const messages = await consumer.consume({ max_messages: 2_000 });
    let seen = 0;
    for await (const message of messages) {
      const connector = message.subject.slice(prefix.length + 1);
      const { id } = message.json<{ id: number }>();
      let set = ids.get(connector);
      if (set === undefined) ids.set(connector, set = new Set());
      set.add(id);
      const count = counts.get(connector) ?? { rows: 0, distinct: 0, max: -1 };
      count.rows++;
      count.max = Math.max(count.max, id);
      counts.set(connector, count);
      seen++;
      if (message.info.pending === 0 && seen >= total) break;
    }
    await messages.close();
  }
  for (const [connector, set] of ids) {
    counts.get(connector)!.distinct = set.size;
  }
  return counts;
}

/** A `generate` → `jetstream-sink` config: `count` records at `rate`/s to `out.<connector>`. */
export function streamSinkConfig(
  connector: string,
  natsUrl: string | string[],
  options: { count: number; rate: number },
): Record<string, unknown> {
  return {
    runners: { main: { runtime: "deno" } },
    processors: [
      {
        name: "numbers",
        use: "generate",
        args: {
          count: options.count,
          ratePerSecond: options.rate,
          template: { connector },
        },
      },
      {
        name: "out",
        use: "jetstream-sink",
        args: { url: natsUrl, subject: `out.${connector}` },
      },
    ],
  };
}
