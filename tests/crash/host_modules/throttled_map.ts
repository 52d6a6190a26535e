// The processor module the `host` crash scenario's connectors name under
// `modules:` (ca serve runs it because it is started with --allow-modules
// on this folder): a map that tags each record and pauses once per
// `pauseEvery` records, so that twenty connectors run long enough for the
// kills to land mid-stream.
import { mapConcurrent } from "@ca/streams";
import { defineProcessor } from "@ca/streams/config";
import type { ProcessorDefinition, StandardSchemaV1 } from "@ca/streams/config";

/** The args: pause `pauseMs` once per `pauseEvery` records. */
interface ThrottleArgs {
  pauseEvery: number;
  pauseMs: number;
}

const args: StandardSchemaV1<unknown, ThrottleArgs> = {
  "~standard": {
    version: 1,
    vendor: "ca-crash-test",
    validate(value) {
      const { pauseEvery, pauseMs } = (value ?? {}) as Record<string, unknown>;
      for (
        const [name, n] of [["pauseEvery", pauseEvery], ["pauseMs", pauseMs]]
      ) {
        if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
          return {
            issues: [{
              message: `expected an integer >= 1`,
              path: [name as string],
            }],
          };
        }
      }
      return { value: { pauseEvery, pauseMs } as ThrottleArgs };
    },
  },
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `crash/throttled-map`: `{ id, ... }` → `{ id, doubled, text }`, throttled. */
export const throttledMap: ProcessorDefinition<ThrottleArgs> = defineProcessor({
  name: "crash/throttled-map",
  kind: "processor",
  description: "Tags each record and pauses once per pauseEvery records.",
  args,
  create: ({ pauseEvery, pauseMs }) =>
    mapConcurrent(
      (row: { id: number; text?: string }, index: number) => {
        const out = { id: row.id, doubled: row.id * 2, text: row.text };
        return index % pauseEvery === 0 ? sleep(pauseMs).then(() => out) : out;
      },
      { concurrency: 1 },
    ),
});
