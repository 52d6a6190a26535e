/**
 * The cluster benchmark's own servers, so that no other user of the
 * machine's servers weighs on the figures and the engines' fixed names
 * (`ca_leases`, `KV_ca_leases`, `CA_DEFINITIONS`) are the run's alone:
 *
 * - PostgreSQL from `initdb` in a temporary directory on a spare port of
 *   127.0.0.1, with the machine server's durability settings (fsync and
 *   synchronous_commit on, shared_buffers 128 MB), but `max_connections
 *   400` (20 hosts open up to 6 connections each: lease engine,
 *   definitions, checkpoints; the machine's server allows 100) and
 *   `pg_stat_statements` loaded, to count the lease statements by kind.
 * - `nats-server -js` on a spare port with its monitoring port (`/varz`,
 *   `/jsz`) and its storage in a temporary directory.
 *
 * Both are killed and their directories removed by `stop()`.
 *
 * @module
 */

import { BenchSetupError } from "../_tools.ts";

/** PostgreSQL's programs (initdb, pg_ctl, postgres). */
const PG_BIN = Deno.env.get("CA_TEST_PG_BIN") ?? "/usr/lib/postgresql/15/bin";
/** Who runs PostgreSQL when this runs as root (initdb refuses root). */
const PG_USER = Deno.env.get("CA_TEST_PG_USER") ?? "postgres";
/** The machine's `nats-server` (2.9.10 here). */
export const NATS_SERVER = Deno.env.get("CA_NATS_SERVER") ??
  "/usr/sbin/nats-server";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A server of the run's own. */
export interface PrivateServer {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` or `nats://127.0.0.1:PORT`. */
  url: string;
  /** NATS: the monitoring base URL (`http://127.0.0.1:PORT/`). */
  monitor?: string;
  /** The server's main process (its children are its backends). */
  pid: number;
  /** Kills it and removes its directory. */
  stop(): Promise<void>;
}

function sparePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function run(what: string, command: string, args: string[]) {
  const root = Deno.uid() === 0;
  const { code, stderr, stdout } = await new Deno.Command(
    root ? "runuser" : command,
    {
      args: root ? ["-u", PG_USER, "--", command, ...args] : args,
      stdout: "piped",
      stderr: "piped",
    },
  ).output().catch((error) => {
    throw new BenchSetupError(
      `Cannot ${what}: ${command}: ${error.message} (set CA_TEST_PG_BIN to PostgreSQL's bin folder)`,
    );
  });
  if (code !== 0) {
    const text = new TextDecoder().decode(stderr) ||
      new TextDecoder().decode(stdout);
    throw new BenchSetupError(
      `Cannot ${what}: ${command} exited ${code}: ${text.trim()}`,
    );
  }
}

/**
 * Starts a private PostgreSQL (see the module's doc).
 *
 * @returns the server
 */
export async function startPostgres(): Promise<PrivateServer> {
  const dir = await Deno.makeTempDir({ prefix: "ca-bench-cluster-pg-" });
  if (Deno.uid() === 0) {
    const id = async (flag: string) =>
      Number(
        new TextDecoder().decode(
          (await new Deno.Command("id", { args: [flag, PG_USER] }).output())
            .stdout,
        ),
      );
    await Deno.chown(dir, await id("-u"), await id("-g"));
  }
  const data = `${dir}/data`;
  const stopNow = async () => {
    await run("stop the private PostgreSQL", `${PG_BIN}/pg_ctl`, [
      "-D",
      data,
      "-m",
      "immediate",
      "stop",
    ]).catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await run("initdb the private PostgreSQL", `${PG_BIN}/initdb`, [
      "-D",
      data,
      "-U",
      "postgres",
      "--auth=trust",
      "--encoding=UTF8",
      "--locale=C",
    ]);
    const port = sparePort();
    await run("start the private PostgreSQL", `${PG_BIN}/pg_ctl`, [
      "-D",
      data,
      "-o",
      [
        `-p ${port}`,
        `-k ${dir}`,
        "-c listen_addresses=127.0.0.1",
        "-c max_connections=400",
        "-c shared_buffers=128MB",
        "-c shared_preload_libraries=pg_stat_statements",
        "-c pg_stat_statements.max=1000",
      ].join(" "),
      "-l",
      `${dir}/server.log`,
      "-w",
      "start",
    ]);
    const pid = Number(
      (await Deno.readTextFile(`${data}/postmaster.pid`)).split("\n")[0],
    );
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      pid,
      stop: stopNow,
    };
  } catch (error) {
    await stopNow();
    throw error;
  }
}

/**
 * Starts a private `nats-server -js` (see the module's doc).
 *
 * @returns the server, with its monitoring URL
 */
export async function startNats(): Promise<PrivateServer> {
  const dir = await Deno.makeTempDir({ prefix: "ca-bench-cluster-nats-" });
  const port = sparePort();
  const monitorPort = sparePort();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(NATS_SERVER, {
      args: [
        "-a",
        "127.0.0.1",
        "-p",
        String(port),
        "-m",
        String(monitorPort),
        "-js",
        "-sd",
        dir,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw new BenchSetupError(
      `Cannot start ${NATS_SERVER} (set CA_NATS_SERVER): ${
        (error as Error).message
      }`,
    );
  }
  const monitor = `http://127.0.0.1:${monitorPort}/`;
  const stop = async () => {
    try {
      child.kill("SIGKILL");
    } catch { /* ended */ }
    await child.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ok = await fetch(`${monitor}jsz`).then(
      async (r) => r.ok && ((await r.json()) as { config?: unknown }).config,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new BenchSetupError(
        `Cannot start ${NATS_SERVER}: its JetStream was not ready within 20 s`,
      );
    }
    await sleep(100);
  }
  return { url: `nats://127.0.0.1:${port}`, monitor, pid: child.pid, stop };
}
