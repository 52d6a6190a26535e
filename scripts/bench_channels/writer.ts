/**
 * The writer process of the channel benchmark. Builds its records first,
 * sends the warm-up phases (one per port but the last, `--warmup` records
 * each), collects garbage, then times one send of `--records` records to
 * the last port: from before it dials to the reader's confirmation that
 * all are stored. Prints one `WriterReport`, then ends when its sockets
 * are closed.
 *
 * Usage: writer.ts --transport tcp|ws --impl channel|raw --records N
 * --warmup N --ports P1,P2,...
 *
 * @module
 */

import {
  count,
  exit,
  implArgs,
  option,
  report,
  runtimeVersion,
} from "./child_args.ts";
import { loadImpl } from "./impls.ts";
import { makeRecords } from "./records.ts";
import type { WriterReport } from "./types.ts";

async function main(): Promise<void> {
  const { transport, impl: name } = implArgs();
  const records = count("records");
  const warmup = count("warmup");
  const ports = option("ports").split(",").map(Number);
  const impl = await loadImpl(transport, name);
  const warmupInput = makeRecords(warmup);
  const input = makeRecords(records);
  for (const port of ports.slice(0, -1)) await impl.send(port, warmupInput);
  (globalThis as { gc?: () => void }).gc?.();
  const start = performance.now();
  await impl.send(ports.at(-1)!, input);
  const elapsedMs = performance.now() - start;
  const line: WriterReport = {
    runtimeVersion,
    records,
    elapsedMs,
    warmupPhases: ports.length - 1,
  };
  report(line);
}

try {
  await main();
  // No exit(0): the process ends once its sockets are closed. Exiting at
  // once could cut off what the runtime still flushes after the pipeline
  // resolved (Deno's WebSocket sends the channel's final CLOSE after
  // that), leaving the reader waiting for a writer that is gone.
} catch (error) {
  console.error(error);
  exit(1);
}
