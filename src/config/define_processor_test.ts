// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as z from "zod/mini";
import { defineProcessor } from "./define_processor.ts";

const valid = {
  name: "acme/fetch-page",
  kind: "processor" as const,
  description: "Fetches a page.",
  args: z.strictObject({ url: z.string() }),
  create: () => new TransformStream(),
};

test("defineProcessor() returns a valid definition as it is", () => {
  assert.equal(defineProcessor(valid), valid);
});

test("defineProcessor() names the wrong field", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ name: "Fetch Page" }, /name must be kebab-case.*got "Fetch Page"/],
    [{ name: 7 }, /name must be kebab-case.*got number/],
    [{ kind: "filter" }, /"acme\/fetch-page": kind must be .*got "filter"/],
    [{ description: undefined }, /description must be a string, got undefined/],
    [
      { args: { parse() {} } },
      /args must be a Standard Schema .*without "~standard"/,
    ],
    [{ args: undefined }, /args must be a Standard Schema .*got undefined/],
    [{ create: "nope" }, /create must be a function, got string/],
    [{ remove: "drop" }, /remove must be a function when given, got string/],
  ];
  for (const [change, message] of cases) {
    assert.throws(
      () => defineProcessor({ ...valid, ...change } as never),
      (error: unknown) =>
        error instanceof TypeError &&
        /^Cannot define processor/.test(error.message) &&
        message.test(error.message),
      JSON.stringify(change),
    );
  }
  assert.throws(
    () => defineProcessor(null as never),
    /must be an object, got null/,
  );
});

test("defineProcessor() accepts any Standard Schema", () => {
  const definition = defineProcessor({
    ...valid,
    args: {
      "~standard": {
        version: 1,
        vendor: "hand-made",
        validate: (value: unknown) => ({ value: value as { url: string } }),
      },
    },
  });
  assert.equal(definition.args["~standard"].vendor, "hand-made");
});
