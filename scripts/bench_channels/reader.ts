/**
 * The reader process of the channel benchmark. Opens one listener per
 * phase and prints `{"ports":[...]}`; then serves the phases in order (the
 * warm-up ones with `--warmup` records each, the last with `--records`),
 * checks each phase's count and sum, and prints a `ReaderReport` per
 * phase. Exits 1 on a wrong checksum or any failure.
 *
 * Usage: reader.ts --transport tcp|ws --impl channel|raw --records N
 * --warmup N --phases N (phases counts the warm-up ones too)
 *
 * @module
 */

import { count, exit, implArgs, report } from "./child_args.ts";
import { loadImpl } from "./impls.ts";
import type { ReaderReport } from "./types.ts";

async function main(): Promise<void> {
  const { transport, impl } = implArgs();
  const records = count("records");
  const warmup = count("warmup");
  const phases = count("phases");
  const side = await (await loadImpl(transport, impl)).listen(phases);
  report({ ports: side.ports });
  for (let phase = 0; phase < phases; phase++) {
    const n = phase === phases - 1 ? records : warmup;
    const tally = await side.receive(phase, n);
    tally.verify(
      n,
      `the ${impl} ${transport} reader (phase ${phase + 1} of ${phases})`,
    );
    const line: ReaderReport = { phase, count: tally.count, sum: tally.sum };
    report(line);
  }
}

try {
  await main();
  exit(0);
} catch (error) {
  console.error(error);
  exit(1);
}
