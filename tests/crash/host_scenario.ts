// The `host` crash scenario: `ca serve` (Deno, from source) keeps 20
// connectors, its definitions and checkpoints in PostgreSQL (a database
// of the run's own, `ca_host_test_<random>`, dropped afterwards). Each
// connector is created through the API: a file source over its own NDJSON
// input → a throttled map (tests/crash/host_modules/throttled_map.ts,
// allowed by --allow-modules) → a file sink into its own output. Then the
// driver SIGKILLs `ca serve` at random moments and starts it again on the
// same store; the last start runs until every connector finished its
// input, and a watcher (here, in the driver's process) then stops it with
// SIGTERM.
//
// Checked: each connector's output holds every id of its input (0 lost),
// in order apart from the replays right after a kill, each replay within
// two batches (it resumed from its checkpoint, not from the start); every
// start the watcher saw listed the same 20 connectors, enabled; at the end
// each one finished (the host appended its `stopped` event: state
// `stopped`, `enabled` false), was created and started once, never
// failed, and its checkpoint in PostgreSQL is the end of its input.
import type {
  CrashContext,
  CrashRun,
  CrashScenario,
  CrashStream,
} from "./scenario.ts";
import { countLines, readIds, writeNumbered } from "./ndjson_files.ts";

const CONNECTORS = 20;
/** The file source's batch size (its default): what a kill can replay. */
const BATCH = 1024;
/** The throttle pauses once per this many records. */
const PAUSE_EVERY = 100;
/** How often the watcher asks the host, in ms. */
const POLL_MS = 100;
/** The watcher stops `ca serve` after this long whatever happened, in ms. */
const GIVE_UP_MS = 5 * 60_000;

/** A connector's id, and the name of its input and output files. */
function idOf(n: number): string {
  return `c${String(n).padStart(2, "0")}`;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The server's URL: the tests' variable, or the machine's server. */
function serverUrl(): string {
  return Deno.env.get("CA_TEST_POSTGRES_URL") ??
    "postgres://postgres@127.0.0.1:5432/test";
}

/** The URL of `database` on the same server. */
function databaseUrl(database: string): string {
  const url = new URL(serverUrl());
  url.pathname = `/${database}`;
  return url.href;
}

/** Runs statements on `url`, one connection, closed afterwards. */
async function onDatabase<T>(
  url: string,
  fn: (query: (text: string) => Promise<Record<string, unknown>[]>) => T,
): Promise<Awaited<T>> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(url, { onnotice: () => {}, max: 1 });
  try {
    return await fn(async (text) => [...await sql.unsafe(text)]);
  } finally {
    await sql.end();
  }
}

/** A free TCP port on 127.0.0.1 (free now; `ca serve` takes it next). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Whether `pid` is a live `ca serve` of this run. */
async function isOurServer(pid: number, port: number): Promise<boolean> {
  try {
    const cmdline = await Deno.readTextFile(`/proc/${pid}/cmdline`);
    return cmdline.includes("serve") && cmdline.includes(`${port}`);
  } catch {
    return false;
  }
}

/** A connector as `GET /connectors` lists it. */
interface Status {
  id: string;
  state: string;
  enabled: boolean;
  error: { code: string; message: string } | null;
  recordsRead: number;
}

/** What the watcher saw of one start of `ca serve`. */
interface Seen {
  pid: number;
  /** Its first answer to `GET /connectors`. */
  first: Status[];
  /** From when the watcher saw its pid to that answer, in ms. */
  readyMs: number;
}

/** What the host reported at the end, before the watcher stopped it. */
interface FinalReport {
  connectors: Status[];
  history: Record<string, string[]>;
}

/**
 * The scenario. `records` is the size of each connector's input; the
 * connectors are throttled so that one uninterrupted run takes longer
 * than all the kills could take: they still run at every kill.
 */
export function hostScenario(): CrashScenario {
  return {
    description:
      `ca serve with ${CONNECTORS} connectors (file source → throttled map → file sink each) created through the API, definitions and checkpoints in PostgreSQL; SIGKILLed and restarted: the same connectors resume from their checkpoints, 0 lost`,
    records: 60_000,
    kills: 10,
    runs(context: CrashContext): CrashRun[] {
      const { dir, records, kills, deno, root } = context;
      const small = kills <= 3;
      // From while it rebuilds its connectors (it is ready after about
      // 300 ms) to well into their run.
      const killAfterMs: [number, number] = small ? [300, 2500] : [300, 4000];
      // Whatever the kills' moments, a start makes progress for less than
      // killAfterMs[1]: a run longer than all of them together outlives
      // the kills.
      const targetMs = kills * killAfterMs[1] + 3000;
      const pauseMs = Math.max(
        1,
        Math.round(targetMs / (records / PAUSE_EVERY)),
      );
      const database = `ca_host_test_${
        crypto.randomUUID().replaceAll("-", "").slice(0, 12)
      }`;
      const store = databaseUrl(database);
      const token = crypto.randomUUID().replaceAll("-", "");
      const port = freePort();
      const base = `http://127.0.0.1:${port}`;
      const headers = { authorization: `Bearer ${token}` };
      const pidFile = `${dir}/ca-serve.pid`;
      const modules = new URL("tests/crash/host_modules/", root).pathname;
      const ids = Array.from({ length: CONNECTORS }, (_, n) => idOf(n));
      const input = (id: string) => `${dir}/in/${id}.ndjson`;
      const output = (id: string) => `${dir}/out/${id}.ndjson`;
      const child: CrashRun["child"] = {
        // sh writes its pid, then becomes `ca serve` (exec keeps the pid):
        // the driver's SIGKILL hits `ca serve` itself, and the watcher
        // knows whom to send SIGTERM at the end.
        command: "sh",
        args: [
          "-c",
          'echo $$ > "$0"; exec "$@"',
          pidFile,
          deno,
          "run",
          "-A",
          new URL("connectors/cli/ca.ts", root).pathname,
          "serve",
          "--port",
          String(port),
          "--store",
          store,
          "--root",
          dir,
          "--allow-modules",
          modules,
        ],
        env: { CA_ADMIN_TOKEN: token },
      };

      /** A connector's config, as posted. */
      const config = (id: string) => ({
        runners: { main: { runtime: "deno" } },
        modules: [`${modules}throttled_map.ts`],
        checkpoint: { everyRecords: 200, everyMs: 200 },
        processors: [
          {
            name: "read",
            use: "file-source",
            args: { path: `in/${id}.ndjson` },
          },
          {
            name: "slow",
            use: "crash/throttled-map",
            args: { pauseEvery: PAUSE_EVERY, pauseMs },
          },
          {
            name: "write",
            use: "file-sink",
            args: { path: `out/${id}.ndjson` },
          },
        ],
      });

      async function api(path: string, init: RequestInit = {}) {
        const response = await fetch(`${base}${path}`, {
          ...init,
          headers: { ...headers, ...init.headers },
        });
        const text = await response.text();
        return {
          status: response.status,
          body: text === "" ? null : JSON.parse(text),
        };
      }

      // ------------------------------------------------------- the watcher
      const seen: Seen[] = [];
      let final: FinalReport | undefined;
      const watcherProblems: string[] = [];
      let watching = false;
      let watcher: Promise<void> | undefined;

      /**
       * Asks each start of `ca serve` for its connectors; once every one
       * finished (or one is degraded, or it takes far too long), keeps
       * the host's report and stops that start with SIGTERM.
       */
      async function watch(): Promise<void> {
        const began = Date.now();
        let signalled: number | undefined;
        let spawned = { pid: 0, at: 0 };
        while (watching) {
          await sleep(POLL_MS);
          let pid: number;
          try {
            pid = Number((await Deno.readTextFile(pidFile)).trim());
          } catch {
            continue;
          }
          if (!Number.isInteger(pid) || pid <= 0 || pid === signalled) {
            continue;
          }
          if (pid !== spawned.pid) spawned = { pid, at: Date.now() };
          let list: Status[];
          try {
            const { status, body } = await api("/connectors");
            if (status !== 200) continue; // 503 while it starts
            list = body.connectors;
          } catch {
            continue; // not listening yet, or killed meanwhile
          }
          if (seen.at(-1)?.pid !== pid) {
            seen.push({ pid, first: list, readyMs: Date.now() - spawned.at });
          }
          const finished = list.length === CONNECTORS &&
            list.every((c) => c.state === "stopped" && !c.enabled);
          const degraded = list.filter((c) => c.state === "degraded");
          const late = Date.now() - began > GIVE_UP_MS;
          if (!finished && degraded.length === 0 && !late) continue;
          try {
            const history: Record<string, string[]> = {};
            for (const c of list) {
              const { body } = await api(`/connectors/${c.id}/history`);
              history[c.id] = body.events.map((e: { type: string }) => e.type);
            }
            final = { connectors: list, history };
          } catch {
            continue; // killed meanwhile: the next start finishes
          }
          if (!(await isOurServer(pid, port))) continue;
          if (degraded.length > 0) {
            watcherProblems.push(
              `host: stopped early: ${
                degraded.map((c) => `${c.id} degraded (${c.error?.message})`)
                  .join("; ")
              }`,
            );
          }
          if (late) {
            watcherProblems.push(
              `host: gave up after ${GIVE_UP_MS / 1000} s: ${
                list.filter((c) => c.enabled).length
              } connectors still enabled`,
            );
          }
          signalled = pid;
          Deno.kill(pid, "SIGTERM");
        }
      }

      // ----------------------------------------------- what was delivered
      let hostChecks:
        | Promise<{ byConnector: Map<string, string[]>; host: string[] }>
        | undefined;

      /** Checks what the host reported; once, for every stream. */
      function checkHost() {
        hostChecks ??= (async () => {
          watching = false;
          await watcher;
          const host = [...watcherProblems];
          const byConnector = new Map<string, string[]>(
            ids.map((id) => [id, []]),
          );
          // Every start the watcher saw listed the same connectors,
          // enabled (or finished: stopped by the host's own event).
          seen.forEach(({ first }, n) => {
            const listed = first.map((c) => c.id).sort().join(",");
            if (listed !== ids.join(",")) {
              host.push(
                `host: start ${n + 1} listed ${first.length} connectors (${
                  listed.slice(0, 80)
                }), not the ${CONNECTORS} created`,
              );
            }
            for (const c of first) {
              const finished = c.state === "stopped" && !c.enabled;
              if (!c.enabled && !finished) {
                byConnector.get(c.id)?.push(
                  `start ${n + 1}: ${c.state}, not enabled`,
                );
              }
              if (c.state === "degraded") {
                byConnector.get(c.id)?.push(
                  `start ${n + 1}: degraded (${c.error?.message})`,
                );
              }
            }
          });
          if (final === undefined) {
            host.push("host: the watcher got no final report");
          }
          const checkpoints = new Map<string, unknown>();
          await onDatabase(store, async (query) => {
            for (
              const row of await query(
                "select id, position from ca_checkpoints",
              )
            ) {
              checkpoints.set(String(row.id), row.position);
            }
          });
          for (const id of ids) {
            const problems = byConnector.get(id)!;
            const status = final?.connectors.find((c) => c.id === id);
            if (final !== undefined && status === undefined) {
              problems.push("missing from the host's final list");
            }
            if (status !== undefined) {
              if (status.state !== "stopped" || status.enabled) {
                problems.push(
                  `ended ${status.state}${
                    status.enabled ? ", enabled" : ""
                  }, not finished`,
                );
              }
              if (status.error !== null) {
                problems.push(`error ${status.error.message}`);
              }
            }
            const events = final?.history[id];
            if (events !== undefined) {
              const count = (type: string) =>
                events.filter((e) => e === type).length;
              if (
                events[0] !== "created" || count("created") !== 1 ||
                count("started") !== 1 || events.at(-1) !== "stopped"
              ) {
                problems.push(
                  `history ${
                    events.join(",")
                  }, not created, started once, then stopped by the host when it finished`,
                );
              }
              if (count("failed") > 0) {
                problems.push(`failed ${count("failed")} times`);
              }
            }
            const { size } = await Deno.stat(input(id));
            const position = checkpoints.get(`${id}/read`);
            if (Number(position) !== size) {
              problems.push(
                `its checkpoint is ${
                  JSON.stringify(position)
                }, not the end of its input (${size})`,
              );
            }
          }
          run.note = [
            `${CONNECTORS} connectors of ${records} records each (a stream per connector), throttled to pause ${pauseMs} ms once per ${PAUSE_EVERY} records; ca serve on port ${port}, definitions and checkpoints in PostgreSQL database ${database}`,
            `the watcher saw ${seen.length} of ${
              kills + 1
            } starts get ready (in ${
              Math.round(
                seen.reduce((sum, s) => sum + s.readyMs, 0) /
                  Math.max(1, seen.length),
              )
            } ms on average); checked: each start listed the same ${CONNECTORS} connectors, enabled or finished; at the end each one finished (state stopped, enabled false, its history created, started, stopped: never failed) with its checkpoint at the end of its input`,
            `records stored by all connectors when each kill landed: ${
              atKills.join(", ")
            } of ${CONNECTORS * records}`,
          ].join("\n  ");
          return { byConnector, host };
        })();
        return hostChecks;
      }

      /** Records stored by all connectors when each kill landed. */
      const atKills: number[] = [];
      const streams: Record<string, CrashStream> = {};
      for (const [n, id] of ids.entries()) {
        let kill = 0;
        streams[id] = {
          async deliveredCount() {
            const count = await countLines(output(id));
            atKills[kill] = (atKills[kill] ?? 0) + count;
            kill++;
            return count;
          },
          async delivered() {
            const { ids: delivered, problems } = await readIds(output(id));
            const { byConnector, host } = await checkHost();
            problems.push(...byConnector.get(id)!);
            if (n === 0) problems.push(...host);
            return { ids: delivered, problems };
          },
          expected: () => true,
        };
      }

      const run: CrashRun = {
        label: "host",
        child,
        killAfterMs,
        streams,
        // A kill repeats what the sink stored after the last commit: a
        // commit follows each batch the sink stored (everyRecords 200 is
        // less than a batch), so one batch, or two when the next batch
        // was stored while the commit was in flight.
        replay: {
          atMost: 2 * BATCH,
          why:
            `2 batches of ${BATCH}: one stored, not yet committed, and the next`,
        },
        async prepare() {
          await Deno.mkdir(`${dir}/in`, { recursive: true });
          await Deno.mkdir(`${dir}/out`, { recursive: true });
          for (const id of ids) {
            await writeNumbered(input(id), records, (n) => ({
              id: n,
              text: `${id} record ${n} ✓`,
            }));
          }
          try {
            await onDatabase(
              serverUrl(),
              (query) => query(`create database ${database}`),
            );
          } catch (error) {
            throw new Error(
              `Cannot reach PostgreSQL at ${serverUrl()}: ${
                (error as Error).message
              }. Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`,
            );
          }
          await createConnectors();
          watching = true;
          watcher = watch();
        },
        async cleanup() {
          watching = false;
          await watcher;
          // A start left running (the driver failed): stop it.
          try {
            const pid = Number((await Deno.readTextFile(pidFile)).trim());
            if (await isOurServer(pid, port)) Deno.kill(pid, "SIGKILL");
          } catch {
            // no start, or it ended
          }
          await onDatabase(
            serverUrl(),
            (query) =>
              query(`drop database if exists ${database} with (force)`),
          ).catch(() => {});
        },
      };

      /**
       * Starts `ca serve`, creates the connectors through the API
       * (enabled: `start: true`), and stops it with SIGTERM (gracefully:
       * their checkpoints committed). The kills begin with the next start.
       */
      async function createConnectors(): Promise<void> {
        const server = new Deno.Command(child.command, {
          args: child.args,
          env: child.env,
          cwd: root.pathname,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const logs = Promise.all([
          new Response(server.stdout).text(),
          new Response(server.stderr).text(),
        ]);
        const fail = async (why: string): Promise<never> => {
          try {
            server.kill("SIGKILL");
          } catch {
            // exited
          }
          await server.status;
          throw new Error(
            `Cannot create the connectors: ${why}\n${(await logs).join("\n")}`,
          );
        };
        const giveUp = Date.now() + 60_000;
        for (;;) {
          try {
            if ((await api("/readyz")).status === 200) break;
          } catch {
            // not listening yet
          }
          if (Date.now() > giveUp) await fail("ca serve did not get ready");
          await sleep(100);
        }
        for (const id of ids) {
          const { status, body } = await api("/connectors", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ id, config: config(id), start: true }),
          });
          if (status !== 201 || body.state !== "running") {
            await fail(
              `POST /connectors ${id} answered ${status}: ${
                JSON.stringify(body)
              }`,
            );
          }
        }
        server.kill("SIGTERM");
        const { code } = await server.status;
        if (code !== 0) await fail(`ca serve exited with ${code} on SIGTERM`);
        await logs;
      }

      return [run];
    },
  };
}
