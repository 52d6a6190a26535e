// Copyright 2026 the @ca/streams authors. MIT license.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { StageError } from "../errors/stage_error.ts";
import { batch } from "../processors/batch.ts";
import { map } from "../processors/map.ts";
import { take } from "../processors/take.ts";
import { collect } from "../sinks/collect.ts";
import { pipeline } from "../pipeline/pipeline.ts";
import { merge } from "./merge.ts";

async function* endless(tag: string): AsyncGenerator<string> {
  for (let i = 0;; i++) yield `${tag}${i}`;
}

describe("merge() runs the line's first processors itself", () => {
  test("take() after a merge ends every origin", async () => {
    const sink = collect<string>();
    const summary = await pipeline(
      merge({ a: endless("a"), b: endless("b") }),
      take(5),
      sink,
      { batchSize: 2 },
    );
    assert.equal(sink.records.length, 5);
    assert.equal(summary.ended, "finished");
  });

  test("a processor after a merge that fails is named as on a line", async () => {
    const boom = (n: number) => {
      if (n === 7) throw new Error("seven");
      return n;
    };
    await assert.rejects(
      Promise.resolve(
        pipeline(merge({ a: [1, 2, 3], b: [7] }), map(boom), collect()),
      ),
      (error: unknown) => {
        assert.ok(error instanceof StageError);
        assert.equal(error.stageIndex, 0);
        assert.equal(error.stageName, "boom");
        assert.equal(error.branch, undefined);
        return true;
      },
    );
  });

  test("records a processor holds come out after every origin ran dry", async () => {
    const sink = collect<number[]>();
    await pipeline(merge({ a: [1, 2, 3], b: [4, 5] }), batch(4), sink);
    assert.deepEqual(sink.records.flat().sort(), [1, 2, 3, 4, 5]);
  });
});
