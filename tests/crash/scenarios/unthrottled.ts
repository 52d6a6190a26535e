// An unthrottled pipeline, killed at random: a fast file source of
// millions of small records → file sink, checkpointed in the file store
// every 1,000 records. Commits are spaced by their own duration (the
// checkpointer's duty pause), so without checkpoint.maxUncommittedRecords
// the source reads far ahead of the last commit and a crash repeats much
// more than everyRecords; with maxUncommittedRecords 5,000 it repeats at
// most 5,000 plus one batch. Two runs prove both: the first must replay
// more than 5,000 records, the second at most 5,000 + one batch.
//
// Each commit first waits CA_CRASH_COMMIT_DELAY_MS (2 ms here), as a
// remote store's round trip would: a local disk that syncs in
// microseconds would make the unbounded replay depend on the machine.
import type { CrashContext, CrashRun, CrashScenario } from "../scenario.ts";
import { countLines, readIds, writeNumbered } from "../ndjson_files.ts";
import { crashChild } from "../store_scenario.ts";

const MAX_UNCOMMITTED = 5_000;
const EVERY_RECORDS = 1_000;
const BATCH_SIZE = 1_000;
const COMMIT_DELAY_MS = 2;

function run(
  context: CrashContext,
  name: string,
  maxUncommitted: number | undefined,
): CrashRun {
  const { dir, records } = context;
  const folder = `${dir}/${
    maxUncommitted === undefined ? "unbounded" : "bounded"
  }`;
  const input = `${dir}/input.ndjson`;
  const output = `${folder}/output.ndjson`;
  return {
    label: maxUncommitted === undefined ? `${name}/unbounded` : name,
    note: maxUncommitted === undefined
      ? `without checkpoint.maxUncommittedRecords (everyRecords ${EVERY_RECORDS}, commits delayed ${COMMIT_DELAY_MS} ms)`
      : `with checkpoint.maxUncommittedRecords ${maxUncommitted} (everyRecords ${EVERY_RECORDS}, commits delayed ${COMMIT_DELAY_MS} ms)`,
    prepare: async () => {
      // Both runs read the same input.
      try {
        await Deno.stat(input);
      } catch {
        await writeNumbered(input, records);
      }
      await Deno.mkdir(`${folder}/checkpoints`, { recursive: true });
    },
    child: crashChild(
      context,
      [input, output, "file", `${folder}/checkpoints`],
      {
        CA_CRASH_BATCH_SIZE: String(BATCH_SIZE),
        CA_CRASH_EVERY_RECORDS: String(EVERY_RECORDS),
        CA_CRASH_EVERY_MS: "5000",
        CA_CRASH_COMMIT_DELAY_MS: String(COMMIT_DELAY_MS),
        CA_CRASH_MAX_UNCOMMITTED: maxUncommitted === undefined
          ? ""
          : String(maxUncommitted),
        CA_CRASH_FILTER: "0",
        CA_CRASH_PAUSE_EVERY: "0",
      },
    ),
    killAfterMs: [200, 600],
    deliveredCount: () => countLines(output),
    delivered: () => readIds(output),
    expected: () => true,
    replay: maxUncommitted === undefined
      ? {
        moreThan: MAX_UNCOMMITTED,
        why: "what the bounded run must stay under",
      }
      : {
        atMost: maxUncommitted + BATCH_SIZE,
        why:
          `maxUncommittedRecords ${maxUncommitted} + one batch of ${BATCH_SIZE}`,
      },
  };
}

const scenario: CrashScenario = {
  description:
    `unthrottled file source → file sink, file store, everyRecords ${EVERY_RECORDS}: the replay exceeds ${MAX_UNCOMMITTED} without checkpoint.maxUncommittedRecords and stays within ${MAX_UNCOMMITTED} + one batch with it`,
  records: 8_000_000,
  kills: 5,
  runs: (context) => [
    run(context, "unthrottled", undefined),
    run(context, "unthrottled", MAX_UNCOMMITTED),
  ],
};
export default scenario;
