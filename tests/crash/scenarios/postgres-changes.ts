// Crash postgresChangeSource: change data capture from a private PostgreSQL
// 15 cluster (wal_level = logical, on a spare port; the machine's shared
// server is not touched) into a file sink, while a writer process commits
// `records` changes concurrently.
//
// prepare() starts the cluster (once for the scenario), makes a fresh table
// with REPLICA IDENTITY FULL, its publication and a persistent slot (made
// before the writer starts, so that the capture begins before its first
// change), then starts the writer in the background
// (tests/crash/pg_changes_writer.ts): inserts, updates and deletes in
// transactions of 1 to 100 changes, some rolled back, paced to outlast the
// kills, each committed transaction logged after its COMMIT returned, and
// last an end marker. The driver kills and restarts the child
// (tests/crash/pg_changes_child.ts: source → throttle → file sink); its
// last start stops once the marker is stored. The check
// (tests/crash/pg_changes_check.ts) maps each stored change to its place
// in the writer's commit order, so the driver's check of ids 0 to records
// - 1 means: every committed change arrived, in commit order apart from
// the replays right after a restart; it adds the content of every change,
// commit LSNs that rise with the writer's order, no gap inside a start or
// at a restart, no transaction delivered in part, no change of a
// rolled-back transaction.
//
// Two runs, one per way a user would set this pipeline up. First with no
// checkpoint store, the slot alone keeping the position (at-least-once per
// transaction: a transaction stored in part comes again whole). Then, the
// scenario's result line, with a PostgreSQL checkpoint store on the same
// server, as docs/connectors/postgres.md shows for a file sink: a rerun
// resumes right after the last change stored, inside a transaction if need
// be, so fewer changes come twice; it commits after about every batch.
// The writer's seed is random, printed under each result;
// CA_CRASH_PG_SEED fixes it. CA_CRASH_PG_KEEP names a folder to copy each
// run's output, starts and writer log to.
import type { CrashContext, CrashRun, CrashScenario } from "../scenario.ts";
import { countLines } from "../ndjson_files.ts";
import { checkChanges } from "../pg_changes_check.ts";
import {
  type TestCluster,
  testCluster,
} from "../../../connectors/postgres/_pg_test_cluster.ts";

const BATCH_SIZE = 100;
// Commit the checkpoint after about every batch: the position committed is
// then often the last change stored, in the middle of a transaction (a
// batch ends where 100 changes are reached), so a restart resumes inside a
// transaction that PostgreSQL sends again whole, and the source must skip
// exactly the stored part of it. With a lazier checkpoint the sink is
// mostly ahead of it, and the replay hides an off-by-one in that skip.
const EVERY_RECORDS = BATCH_SIZE;

type Store = "none" | "postgres";

let cluster: Promise<TestCluster> | undefined;

/** The private cluster, started on first use, or how to make it start. */
function privateCluster(): Promise<TestCluster> {
  cluster ??= testCluster().catch((error: Error) => {
    throw new Error(
      `Cannot start the private PostgreSQL cluster for postgres-changes: ${error.message}`,
    );
  });
  return cluster;
}

/** A process the scenario started and waits for. */
interface Writer {
  child: Deno.ChildProcess;
  done: Promise<{ success: boolean; code: number; output: string }>;
}

function run(context: CrashContext, store: Store, seed: number): CrashRun {
  const { dir, records, kills, deno, root } = context;
  const folder = `${dir}/${store}`;
  const output = `${folder}/output.ndjson`;
  const starts = `${folder}/starts.txt`;
  const log = `${folder}/writer.ndjson`;
  const table = `ca_crash_changes_${store}`;
  const slot = `ca_crash_changes_${store}`;
  const small = records <= 20_000;
  const killAfterMs: [number, number] = small ? [500, 1200] : [700, 2000];
  // The writer outlasts the kills (a start lives at most killAfterMs[1]),
  // so that each lands while changes flow.
  const writerMs = Math.max(4_000, Math.round(kills * killAfterMs[1] * 1.3));
  // The child reads about 1.5 times as fast as the writer writes: it
  // falls behind at each restart and catches up slowly, so changes wait in
  // the throttle, read but not stored, and batches end inside
  // transactions, when a kill lands.
  const pauseMs = Math.max(
    1,
    Math.round(BATCH_SIZE * writerMs / (1.5 * records)),
  );
  let writer: Writer | undefined;
  // The child's arguments; prepare() sets the cluster's URL, before the
  // first start.
  const childArgs = [
    "run",
    "-A",
    new URL("tests/crash/pg_changes_child.ts", root).pathname,
    "",
    slot,
    table,
    output,
    starts,
    store,
  ];
  const run: CrashRun = {
    label: store === "none" ? "postgres-changes/no-store" : "postgres-changes",
    note: `${records} changes committed by a writer over about ${
      (writerMs / 1000).toFixed(0)
    } s, in transactions of 1 to 100 (about 1 in 30 rolled back), seed ${seed}; ${
      store === "none"
        ? "no checkpoint store: the slot keeps the position"
        : `checkpointed in a PostgreSQL store every ${EVERY_RECORDS} changes`
    }; the child pauses ${pauseMs} ms once per ${BATCH_SIZE} changes`,
    async prepare() {
      const { sql, url } = await privateCluster();
      childArgs[3] = url;
      await Deno.mkdir(folder, { recursive: true });
      await sql.unsafe(`
        drop table if exists ${table};
        create table ${table} (
          id int primary key, seq int not null, txn int not null,
          note text not null, blob text
        );
        alter table ${table} replica identity full;
        drop publication if exists ${slot};
        create publication ${slot} for table ${table};
        drop table if exists ca_crash_checkpoints;
      `);
      await sql.unsafe(
        `select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = $1`,
        [slot],
      );
      await sql.unsafe(
        `select pg_create_logical_replication_slot($1, 'pgoutput')`,
        [slot],
      );
      const script = new URL("tests/crash/pg_changes_writer.ts", root)
        .pathname;
      const child = new Deno.Command(deno, {
        args: [
          "run",
          "-A",
          script,
          url,
          table,
          log,
          String(records),
          String(seed),
          String(writerMs),
        ],
        cwd: root.pathname,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const texts = Promise.all([
        new Response(child.stdout).text(),
        new Response(child.stderr).text(),
      ]);
      writer = {
        child,
        done: child.status.then(async (status) => {
          const [stdout, stderr] = await texts;
          return {
            success: status.success,
            code: status.code,
            output: (stderr || stdout).trim(),
          };
        }),
      };
    },
    child: {
      command: deno,
      args: childArgs,
      env: {
        CA_CRASH_BATCH_SIZE: String(BATCH_SIZE),
        CA_CRASH_EVERY_RECORDS: String(EVERY_RECORDS),
        CA_CRASH_EVERY_MS: "250",
        CA_CRASH_PAUSE_EVERY: String(BATCH_SIZE),
        CA_CRASH_PAUSE_MS: String(pauseMs),
      },
    },
    killAfterMs,
    deliveredCount: () => countLines(output),
    async delivered() {
      // The marker is the writer's last commit: it ends at once, or is stuck.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ran = await Promise.race([
        writer!.done,
        new Promise<never>((_, reject) =>
          timer = setTimeout(() => {
            writer!.child.kill("SIGKILL");
            reject(
              new Error(
                "Cannot check postgres-changes: the writer still runs 60 s after the last start ended",
              ),
            );
          }, 60_000)
        ),
      ]).finally(() => clearTimeout(timer));
      const checked = await checkChanges({
        log,
        output,
        starts,
        table,
        resumesInside: store !== "none",
      });
      const problems = checked.problems;
      if (!ran.success) {
        problems.unshift(`the writer failed (exit ${ran.code}): ${ran.output}`);
      }
      if (checked.changes !== records) {
        problems.unshift(
          `the writer committed ${checked.changes} changes, not ${records}`,
        );
      }
      // Read by the driver after this check: what the restarts exercised.
      run.note +=
        `; ${checked.resumedInside} of ${checked.restarts} restarts resumed inside a transaction`;
      return { ids: checked.ids, problems };
    },
    expected: () => true,
    replay: store === "none"
      ? {
        atMost: 4 * BATCH_SIZE + 100,
        why:
          `the batches of ${BATCH_SIZE} stored, their acknowledgement on its way, and a transaction of up to 100 stored in part, which comes again whole`,
      }
      : {
        atMost: EVERY_RECORDS + 6 * BATCH_SIZE,
        why:
          `everyRecords ${EVERY_RECORDS} + 6 batches of ${BATCH_SIZE} in flight`,
      },
    async cleanup() {
      try {
        writer?.child.kill("SIGKILL");
      } catch {
        // it has exited
      }
      await writer?.done;
      const keep = Deno.env.get("CA_CRASH_PG_KEEP");
      if (keep) {
        await Deno.mkdir(keep, { recursive: true });
        for (const file of [output, starts, log]) {
          await Deno.copyFile(
            file,
            `${keep}/${store}-${file.slice(folder.length + 1)}`,
          ).catch(() => {});
        }
      }
      if (cluster !== undefined) {
        const stopping = cluster.then((c) => c.stop(), () => {});
        cluster = undefined;
        await stopping;
      }
    },
  };
  return run;
}

const scenario: CrashScenario = {
  description:
    "a writer commits inserts, updates and deletes in transactions of 1 to 100 while postgresChangeSource (persistent slot, private PostgreSQL 15 cluster) → file sink is killed; without and with a PostgreSQL checkpoint store: every committed change arrives, in commit order, transactions whole",
  records: 50_000,
  kills: 10,
  runs(context: CrashContext): CrashRun[] {
    const seed = Number(
      Deno.env.get("CA_CRASH_PG_SEED") ?? Date.now() % 1_000_000,
    );
    return [run(context, "none", seed), run(context, "postgres", seed)];
  },
};
export default scenario;
