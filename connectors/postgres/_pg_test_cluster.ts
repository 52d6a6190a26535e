// Copyright 2026 the @ca/streams authors. MIT license.
// A private PostgreSQL cluster for the change data capture tests (and crash
// scenarios): wal_level = logical, on a spare port of 127.0.0.1, in a
// temporary directory. The machine's shared server (wal_level = replica)
// is never touched. One cluster per process: testCluster() starts it on the
// first call and returns the same one after; stop it in an after() hook.
//
// The binaries are in CA_TEST_PG_BIN (default /usr/lib/postgresql/15/bin).
// initdb refuses to run as root: as root, the cluster runs as the user
// CA_TEST_PG_USER (default "postgres") through runuser.

import { execFile, execFileSync } from "node:child_process";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import postgres from "postgres";
import {
  startTcpProxy,
  type TestTcpProxy,
} from "../runtime/_test_tcp_proxy.ts";

/** A running private cluster. */
export interface TestCluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  url: string;
  port: number;
  /** An admin client (superuser), closed by stop(). */
  sql: postgres.Sql;
  /** Stops the server at once and removes its directory. */
  stop(): Promise<void>;
}

const BIN = process.env.CA_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";
const RUN_AS = process.env.CA_TEST_PG_USER ?? "postgres";

let started: Promise<TestCluster> | undefined;

/** The process's private cluster, started on the first call. */
export function testCluster(): Promise<TestCluster> {
  started ??= startCluster();
  return started;
}

function run(command: string, args: string[]): Promise<string> {
  const root = process.getuid?.() === 0;
  const [file, argv] = root
    ? ["runuser", ["-u", RUN_AS, "--", command, ...args]]
    : [command, args];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) {
        reject(
          new Error(
            `Cannot run ${command} for the test cluster (set CA_TEST_PG_BIN to PostgreSQL's bin folder${
              root ? `, and CA_TEST_PG_USER to a user who may run it` : ""
            }): ${stderr || error.message}`,
          ),
        );
      } else resolve(stdout);
    });
  });
}

async function startCluster(): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), "ca-pg-cdc-"));
  if (process.getuid?.() === 0) {
    const uid = Number(
      execFileSync("id", ["-u", RUN_AS], { encoding: "utf8" }),
    );
    const gid = Number(
      execFileSync("id", ["-g", RUN_AS], { encoding: "utf8" }),
    );
    await chown(dir, uid, gid);
  }
  const data = join(dir, "data");
  await run(join(BIN, "initdb"), [
    "-D",
    data,
    "-U",
    "postgres",
    "--auth=trust",
    "--no-sync",
    "--encoding=UTF8",
    "--locale=C",
  ]);
  const port = await sparePort();
  const settings = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses=127.0.0.1",
    "-c wal_level=logical",
    "-c max_replication_slots=40",
    "-c max_wal_senders=40",
    "-c max_connections=200",
    "-c fsync=off",
    "-c full_page_writes=off",
  ].join(" ");
  await run(join(BIN, "pg_ctl"), [
    "-D",
    data,
    "-o",
    settings,
    "-l",
    join(dir, "server.log"),
    "-w",
    "start",
  ]);
  let stopped = false;
  const stopNow = () => {
    if (stopped) return;
    stopped = true;
    try {
      const root = process.getuid?.() === 0;
      const args = ["-D", data, "-m", "immediate", "stop"];
      execFileSync(
        root ? "runuser" : join(BIN, "pg_ctl"),
        root ? ["-u", RUN_AS, "--", join(BIN, "pg_ctl"), ...args] : args,
        { stdio: "ignore" },
      );
    } catch {
      // already down
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // A test run that ends without after() still stops the server.
  process.once("exit", stopNow);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const sql = postgres(url, { max: 4, onnotice: () => {} });
  return {
    url,
    port,
    sql,
    async stop() {
      await sql.end({ timeout: 1 });
      if (stopped) return;
      stopped = true;
      await run(join(BIN, "pg_ctl"), ["-D", data, "-m", "immediate", "stop"])
        .catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A name no other test uses: letters, digits and `_`. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${
    Math.random().toString(36).slice(2, 8)
  }`;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `condition()` holds, checking every 20 ms; fails after `timeoutMs`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Starts a TCP proxy on a spare port to `url`'s server (`open` counts its connections). */
export function tcpProxy(url: string): Promise<TestTcpProxy> {
  return startTcpProxy(url);
}

function sparePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
