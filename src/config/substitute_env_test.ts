// Copyright 2026 the @ca/streams authors. MIT license.
import assert from "node:assert/strict";
import { test } from "node:test";
import { substituteEnv } from "./substitute_env.ts";

test("substituteEnv() replaces ${NAME} in every string, not in keys", () => {
  const input = { "${KEY}": ["a ${A}", { deep: "${B}" }], n: 1, none: null };
  const { value, issues, fromEnv } = substituteEnv(input, { A: "1", B: "2" });
  assert.deepEqual(value, {
    "${KEY}": ["a 1", { deep: "2" }],
    n: 1,
    none: null,
  });
  assert.deepEqual(issues, []);
  assert.deepEqual(fromEnv, ["/${KEY}/0", "/${KEY}/1/deep"]);
  assert.equal(input["${KEY}"][0], "a ${A}", "the input is not changed");
});

test("substituteEnv() uses the default when unset or empty, not when set", () => {
  const text = "${X:-fallback}";
  assert.equal(substituteEnv(text, {}).value, "fallback");
  assert.equal(substituteEnv(text, { X: "" }).value, "fallback");
  assert.equal(substituteEnv(text, { X: "set" }).value, "set");
  assert.equal(substituteEnv("${X:-}", {}).value, "");
  assert.equal(substituteEnv("${X}", { X: "" }).value, "");
  const defaulted = substituteEnv("${X:-a}", {});
  assert.deepEqual(defaulted.substituted, [""]);
  assert.deepEqual(defaulted.fromEnv, []);
});

test("substituteEnv() keeps $${ as a literal ${ and other $ as they are", () => {
  const { value, issues } = substituteEnv("$${A} costs $5 and $$ ${A}", {
    A: "x",
  });
  assert.deepEqual(issues, []);
  assert.equal(value, "${A} costs $5 and $$ x");
});

test("substituteEnv() reports an unset variable at the string's path", () => {
  const { value, issues } = substituteEnv(
    { list: ["ok", "${MISSING}/${ALSO}"] },
    {},
    { path: "/processors/1/args" },
  );
  assert.deepEqual(value, { list: ["ok", "${MISSING}/${ALSO}"] });
  assert.equal(issues.length, 1);
  assert.equal(issues[0]!.path, "/processors/1/args/list/1");
  assert.match(
    issues[0]!.message,
    /^environment variables MISSING, ALSO are not set/,
  );
  assert.equal(issues[0]!.received, "unset");
});

test("substituteEnv() reports a malformed reference", () => {
  for (const text of ["${", "${A B}", "${A-b}", "${1A}"]) {
    const { issues } = substituteEnv(text, { A: "x" });
    assert.equal(issues.length, 1, text);
    assert.match(issues[0]!.message, /^expected \$\{NAME\} or/);
  }
});

test("substituteEnv() reads only the env it is given", () => {
  assert.throws(
    () => substituteEnv("x", undefined as never),
    /^TypeError: Cannot substitute environment variables: env must be an object/,
  );
  // A key inherited from Object.prototype is not a variable.
  assert.equal(substituteEnv("${toString:-none}", {}).value, "none");
});
