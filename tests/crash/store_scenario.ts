// The checkpoint-store scenarios (file, redis, postgres): file source →
// map, filter, a throttle stage → file sink (tests/crash/child.ts),
// checkpointed in the store every 500 records, killed mid-stream.
import type { CrashContext, CrashRun, CrashScenario } from "./scenario.ts";
import { countLines, readIds, writeNumbered } from "./ndjson_files.ts";

/** The stores the child can open. */
export type CrashStore = "file" | "redis" | "postgres";

const EVERY_RECORDS = 500;
const BATCH_SIZE = 100;

/** Where the store lives: a folder, or the server's URL. */
function storeArg(store: CrashStore, dir: string): string {
  switch (store) {
    case "file":
      return `${dir}/checkpoints`;
    case "redis":
      return Deno.env.get("CA_TEST_REDIS_URL") ?? "redis://127.0.0.1:6379";
    case "postgres":
      return Deno.env.get("CA_TEST_POSTGRES_URL") ??
        "postgres://postgres@127.0.0.1:5432/test";
  }
}

/** Forgets the checkpoint a previous crash run left in the store. */
async function resetStore(store: CrashStore, arg: string): Promise<void> {
  switch (store) {
    case "file":
      await Deno.mkdir(arg, { recursive: true });
      return;
    case "redis": {
      const { createClient } = await import("redis");
      const client = await createClient({ url: arg }).connect().catch(
        (error: Error) => {
          throw new Error(
            `Cannot reach Redis at ${arg}: ${error.message}. Start it: redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save '' --appendonly no`,
          );
        },
      );
      for (const key of await client.keys("ca:crash:*")) await client.del(key);
      await client.quit();
      return;
    }
    case "postgres": {
      const { default: postgres } = await import("postgres");
      const sql = postgres(arg, { onnotice: () => {}, max: 1 });
      try {
        await sql`drop table if exists ca_crash_checkpoints`;
      } catch (error) {
        throw new Error(
          `Cannot reach PostgreSQL at ${arg}: ${
            (error as Error).message
          }. Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`,
        );
      } finally {
        await sql.end();
      }
    }
  }
}

/**
 * The process of tests/crash/child.ts, run by Deno.
 *
 * @param context the crash run's context (`deno`, `root`)
 * @param args the child's arguments: input, output, store, store argument
 * @param env the child's `CA_CRASH_*` settings
 */
export function crashChild(
  context: CrashContext,
  args: [input: string, output: string, store: CrashStore, arg: string],
  env: Record<string, string>,
): CrashRun["child"] {
  const script = new URL("tests/crash/child.ts", context.root).pathname;
  return { command: context.deno, args: ["run", "-A", script, ...args], env };
}

/**
 * A scenario that crashes the throttled pipeline of tests/crash/child.ts
 * with its checkpoints in `store`.
 */
export function storeScenario(store: CrashStore): CrashScenario {
  return {
    description:
      `file source → map, filter, throttle → file sink, checkpointed in the ${store} store every ${EVERY_RECORDS} records`,
    records: 100_000,
    kills: 10,
    runs(context: CrashContext): CrashRun[] {
      const { dir, records } = context;
      const input = `${dir}/input.ndjson`;
      const output = `${dir}/output.ndjson`;
      const arg = storeArg(store, dir);
      // Throttle the child so an uninterrupted run takes about `targetMs`:
      // the kills then land mid-stream. 2/3 of the records pass the
      // filter, and the child pauses once per 100 of those.
      const targetMs = records <= 20_000 ? 4_000 : 25_000;
      const pauseMs = Math.max(
        1,
        Math.round(targetMs / (records * 2 / 3 / 100)),
      );
      return [{
        prepare: async () => {
          await writeNumbered(input, records, (id) => ({
            id,
            text: `record ${id} ✓`,
          }));
          await resetStore(store, arg);
        },
        child: crashChild(context, [input, output, store, arg], {
          CA_CRASH_EVERY_RECORDS: String(EVERY_RECORDS),
          CA_CRASH_BATCH_SIZE: String(BATCH_SIZE),
          CA_CRASH_PAUSE_EVERY: "100",
          CA_CRASH_PAUSE_MS: String(pauseMs),
        }),
        killAfterMs: records <= 20_000 ? [300, 900] : [400, 1500],
        deliveredCount: () => countLines(output),
        delivered: () => readIds(output),
        expected: (id) => id % 3 !== 0,
        // A replay re-delivers what was done but not committed: at most
        // everyRecords, plus what was in flight between source and sink
        // when the kill landed (the source's batch, one per stage and
        // queue: 6 batches).
        replay: {
          atMost: EVERY_RECORDS + 6 * BATCH_SIZE,
          why:
            `everyRecords ${EVERY_RECORDS} + 6 batches of ${BATCH_SIZE} in flight`,
        },
      }];
    },
  };
}
