// Copyright 2026 the @ca/streams authors. MIT license.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Position } from "../checkpoint/position.ts";
import type { DeadLetter } from "../failures/dead_letter.ts";
import { filter } from "../processors/filter.ts";
import { map } from "../processors/map.ts";
import { pipeline } from "../pipeline/pipeline.ts";
import { batchSink } from "../sinks/batch_sink.ts";
import { collect } from "../sinks/collect.ts";
import { resumableSource } from "./resumable_source.ts";
import type { OpenOptions } from "./resumable_source.ts";

interface Msg {
  id: number;
}

/** A broker-like source: it logs acks and the records it hears were dead-lettered. */
function broker(count: number) {
  const log: string[] = [];
  const emitted = new Set<Msg>();
  const source = resumableSource<Msg>({
    async *open() {
      for (let i = 0; i < count; i += 10) {
        const records = Array.from({ length: 10 }, (_, k) => ({ id: i + k }));
        records.forEach((r) => emitted.add(r));
        yield { records, position: i + 9 };
      }
    },
    ack(position: Position) {
      log.push(`ack ${position}`);
    },
    deadLettered(record) {
      log.push(`${emitted.has(record) ? "reject" : "unknown"} ${record.id}`);
    },
  });
  return { source, log };
}

describe("the acknowledgement path tells a source what was dead-lettered", () => {
  test("a record failing in the sink is the source's own: it hears of it before the ack that covers it", async () => {
    const { source, log } = broker(30);
    const letters = collect<DeadLetter>();
    const stored: number[] = [];
    await pipeline(
      source,
      batchSink<Msg>({
        write(records) {
          if (records.some((r) => r.id === 13)) throw new Error("refused");
          stored.push(...records.map((r) => r.id));
        },
      }),
      { batchSize: 10, deadLetter: letters },
    );
    assert.deepEqual(letters.records.map((l) => (l.record as Msg).id), [13]);
    assert.equal(stored.length, 29);
    const reject = log.indexOf("reject 13");
    assert.ok(reject >= 0, log.join(", "));
    assert.ok(reject < log.indexOf("ack 19"), log.join(", "));
    assert.deepEqual(log.filter((l) => l.startsWith("ack")), [
      "ack 9",
      "ack 19",
      "ack 29",
    ]);
  });

  test("a record a processor replaced is not recognised (its message is acknowledged)", async () => {
    const { source, log } = broker(10);
    const explode = (m: Msg) => {
      if (m.id === 4) throw new Error("boom");
      return m;
    };
    await pipeline(
      source,
      map((m: Msg) => ({ ...m })),
      filter((m: Msg) => explode(m) !== undefined),
      collect<Msg>(),
      { deadLetter: collect<DeadLetter>() },
    );
    assert.deepEqual(log, ["unknown 4", "ack 9"]);
  });

  test("open() gets a dead letter only when the pipeline has one; what it takes is stage -1, source", async () => {
    const seen: Array<OpenOptions["deadLetter"]> = [];
    const source = () =>
      resumableSource<string>({
        async *open(_after, { deadLetter }) {
          seen.push(deadLetter);
          await deadLetter?.("{oops", new SyntaxError("not JSON"));
          yield { records: ["ok"], position: 1 };
        },
      });
    const letters = collect<DeadLetter>();
    const sink = collect<string>();
    await pipeline(source(), sink, { deadLetter: letters });
    await pipeline(source(), collect<string>());
    assert.equal(typeof seen[0], "function");
    assert.equal(seen[1], undefined);
    assert.deepEqual(sink.records, ["ok"]);
    assert.equal(letters.records.length, 1);
    const [letter] = letters.records;
    assert.equal(letter!.record, "{oops");
    assert.equal(letter!.stageIndex, -1);
    assert.equal(letter!.stageName, "source");
    assert.ok(letter!.error instanceof SyntaxError);
  });
});
