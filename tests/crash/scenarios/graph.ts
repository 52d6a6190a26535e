// Crash a pipeline graph (tests/crash/graph_child.ts): two file sources,
// `a` and `b`, merged → map → a fan-out to two file sinks, `all` (every
// record) and `even` (behind a route: the records with an even id, through
// a throttle), checkpointed in the file store every 500 records. Each
// sink's output is checked per origin, as four streams: every record of
// both sources in `all`, every routed one in `even`, each origin in order
// apart from the replays right after a restart.
import type {
  CrashContext,
  CrashRun,
  CrashScenario,
  CrashStream,
} from "../scenario.ts";
import { readIdsWhere, writeNumbered } from "../ndjson_files.ts";

const EVERY_RECORDS = 500;
const BATCH_SIZE = 100;
/**
 * Batches of an origin one sink may have stored beyond the last commit
 * besides `everyRecords`: those `all` stored while the throttled even branch
 * still held them (its queue, its throttle stage, its sink's queue) and those
 * done while a commit was in flight. A few each; 10 leaves room for both.
 */
const IN_FLIGHT_BATCHES = 10;
const ORIGINS = ["a", "b"] as const;

const scenario: CrashScenario = {
  description:
    `two file sources merged → map → fan-out to a file sink and, behind a route, a throttled file sink, checkpointed in the file store every ${EVERY_RECORDS} records; every record of each origin in each sink`,
  records: 100_000,
  kills: 10,
  runs(context: CrashContext): CrashRun[] {
    const { dir, records } = context;
    const input = (origin: string) => `${dir}/${origin}.ndjson`;
    const outputs = { all: `${dir}/all.ndjson`, even: `${dir}/even.ndjson` };
    const checkpoints = `${dir}/checkpoints`;
    // Throttle the even sink so an uninterrupted run takes about
    // `targetMs`: the kills then land mid-stream. Half the records of each
    // source (so `records` in all) go there, with a pause once per 100.
    const targetMs = records <= 20_000 ? 4_000 : 25_000;
    const pauseMs = Math.max(1, Math.round(targetMs / (records / 100)));
    const script = new URL("tests/crash/graph_child.ts", context.root)
      .pathname;
    const streams: Record<string, CrashStream> = {};
    for (const [sink, path] of Object.entries(outputs)) {
      for (const origin of ORIGINS) {
        const read = () => readIdsWhere(path, "origin", origin);
        streams[`${sink}/${origin}`] = {
          deliveredCount: async () => (await read()).ids.length,
          delivered: read,
          expected: sink === "all" ? () => true : (id) => id % 2 === 0,
        };
      }
    }
    return [{
      note:
        `${records} records per source; streams are sink/origin; the even sink pauses ${pauseMs} ms once per 100 records`,
      prepare: async () => {
        for (const origin of ORIGINS) {
          await writeNumbered(input(origin), records, (id) => ({
            id,
            text: `record ${id} of ${origin} ✓`,
          }));
        }
        await Deno.mkdir(checkpoints, { recursive: true });
      },
      child: {
        command: context.deno,
        args: [
          "run",
          "-A",
          script,
          input("a"),
          input("b"),
          outputs.all,
          outputs.even,
          checkpoints,
        ],
        env: {
          CA_CRASH_BATCH_SIZE: String(BATCH_SIZE),
          CA_CRASH_EVERY_RECORDS: String(EVERY_RECORDS),
          CA_CRASH_PAUSE_EVERY: "100",
          CA_CRASH_PAUSE_MS: String(pauseMs),
        },
      },
      killAfterMs: records <= 20_000 ? [300, 900] : [400, 1500],
      streams,
      // A replay re-delivers what a sink stored after the last commit: at
      // most everyRecords done records, plus what one sink stored while the
      // other still held it (IN_FLIGHT_BATCHES).
      replay: {
        atMost: EVERY_RECORDS + IN_FLIGHT_BATCHES * BATCH_SIZE,
        why:
          `everyRecords ${EVERY_RECORDS} + ${IN_FLIGHT_BATCHES} batches of ${BATCH_SIZE} in flight`,
      },
    }];
  },
};
export default scenario;
