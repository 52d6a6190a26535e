// Resume after a stop: a file → file pipeline with a checkpoint in a file
// store. The first run is stopped halfway; the second run continues after
// the last committed position, so together they write every record, with
// at most a few replayed right after the restart.
//
//   node_modules/.bin/deno run -A examples/checkpoint_resume.ts
import { filter, map, pipeline, tap } from "@ca/streams";
import { fileSink, fileSource } from "@ca/streams/file";
import { fileStore } from "@ca/streams/file-store";

interface Reading {
  sensor: number;
  celsius: number;
}

const dir = await Deno.makeTempDir({ prefix: "ca_resume_" });
const input = `${dir}/readings.ndjson`;
const output = `${dir}/hot.ndjson`;
const lines = Array.from(
  { length: 50_000 },
  (_, i) => JSON.stringify({ sensor: i, celsius: (i * 7) % 45 }),
);
await Deno.writeTextFile(input, lines.join("\n") + "\n");
const store = fileStore(`${dir}/checkpoints`);

function run(label: string) {
  let seen = 0;
  const running = pipeline(
    fileSource<Reading>(input, { batchSize: 500 }),
    // Slow enough to stop it halfway.
    tap(() => ++seen % 500 === 0 ? new Promise((r) => setTimeout(r, 5)) : 0),
    filter((reading: Reading) => reading.celsius >= 30),
    map((reading: Reading) => ({ sensor: reading.sensor, hot: true })),
    fileSink(output),
    { id: "hot-sensors", checkpoint: { store, everyRecords: 1000 } },
  );
  console.log(`${label}: started`);
  return running;
}

const first = run("run 1");
await new Promise((resolve) => setTimeout(resolve, 150));
const stopped = await first.stop();
console.log(
  `run 1: stopped after ${stopped.recordsRead} readings, checkpoint at byte ${stopped.position}`,
);
const second = await run("run 2");
console.log(
  `run 2: read ${second.recordsRead} more readings, checkpoint at byte ${second.position}`,
);
const written = (await Deno.readTextFile(output)).trim().split("\n");
const unique = new Set(written).size;
console.log(
  `output: ${written.length} lines, ${unique} distinct hot sensors, ${
    written.length - unique
  } replayed`,
);
await Deno.remove(dir, { recursive: true });
