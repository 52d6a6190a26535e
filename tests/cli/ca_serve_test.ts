// Copyright 2026 the @ca/streams authors. MIT license.
// `ca serve` as a user meets it: a child process on a free port (--port 0,
// the port read from its "listening on" line), driven over real HTTP with
// fetch, running real configs (generate -> file-sink with a rate,
// file-source -> file-sink). On both hosts, as tests/cli/ca_cli_test.ts:
// `ca` on Deno from the source, and on Node 24 (from dist/ under `node
// --test`, after the build; from the source under `deno test`). Every
// endpoint once; stop, start and reconfigure lose or repeat no line; reset
// and delete only when stopped, and a delete removes the checkpoint (the
// same id created again starts over); tokens and roles; refused modules; SIGTERM
// commits the checkpoints and a restarted `ca serve` resumes what ran;
// startup errors. No timing assertions: waits poll with a generous bound.
import assert from "node:assert/strict";
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  writeFile,
} from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { existsSync } from "node:fs";
import { test } from "node:test";
import {
  ADMIN,
  type Answer,
  api,
  type Host,
  type Served,
  spawnCa,
  startServe,
  until,
  VIEWER,
  withServe,
} from "./_ca_serve.ts";

/** Asserts the status, showing the answer when it differs. */
function expect(answer: Answer, status: number, what: string): void {
  assert.equal(answer.status, status, `${what}: ${answer.text}`);
}

async function tempDir(prefix: string): Promise<string> {
  return await mkdtemp(join(tmpdir(), prefix));
}

/** The complete lines of a file (none when it does not exist). */
async function linesOf(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return [];
  }
  return text.split("\n").slice(0, -1);
}

/** The records of an NDJSON file a connector wrote. */
async function recordsOf(
  file: string,
): Promise<{ id: number; value: number; round?: number }[]> {
  return (await linesOf(file)).map((line) => JSON.parse(line));
}

/** Asserts the ids are 0, 1, 2, ... (no line lost or repeated); returns how many. */
async function assertWhole(file: string, what: string): Promise<number> {
  const ids = (await recordsOf(file)).map((record) => record.id);
  const expected = Array.from({ length: ids.length }, (_, i) => i);
  const wrong = ids.findIndex((id, i) => id !== i);
  assert.ok(
    wrong === -1,
    `${what}: line ${wrong + 1} has id ${ids[wrong]}, expected ${
      expected[wrong]
    } (${ids.length} lines)`,
  );
  return ids.length;
}

/** Waits until a file has at least `count` lines. */
async function untilLines(file: string, count: number): Promise<void> {
  await until(
    `${file} has ${count} lines`,
    async () => (await linesOf(file)).length >= count,
    async () => `it has ${(await linesOf(file)).length}`,
  );
}

/** A generate -> file-sink connector config: 200 records a second into `out`. */
function numbersConfig(host: Host, out: string): Record<string, unknown> {
  return {
    runners: { main: { runtime: host } },
    processors: [
      {
        name: "gen",
        use: "generate",
        args: { count: 1_000_000, ratePerSecond: 200 },
      },
      { name: "out", use: "file-sink", args: { path: out } },
    ],
  };
}

/** The lines of a file-source -> file-sink config in YAML: in.ndjson to copy.ndjson. */
function copyYaml(host: Host): string[] {
  return [
    "runners:",
    `  main: { runtime: ${host} }`,
    "processors:",
    "  - { name: read, use: file-source, args: { path: in.ndjson } }",
    "  - { name: write, use: file-sink, args: { path: copy.ndjson } }",
    "",
  ];
}

/** The committed checkpoints in a `--store` directory, by segment id. */
async function checkpointsIn(store: string): Promise<Record<string, unknown>> {
  const dir = join(store, "checkpoints");
  const found: Record<string, unknown> = {};
  for (const name of await readdir(dir)) {
    if (!name.endsWith(".json")) continue;
    const { id, position } = JSON.parse(
      await readFile(join(dir, name), "utf8"),
    );
    found[id] = position;
  }
  return found;
}

for (const host of ["deno", "node"] as const) {
  test(`ca serve on ${host}: create (JSON and YAML), list, get, 400 and 409, stop at the checkpoint, start and reconfigure with no line lost or repeated, history`, async () => {
    const root = await tempDir("ca_serve_api_");
    const numbers = join(root, "numbers.ndjson");
    await withServe(host, ["--root", root], async (served) => {
      const created = await api(served, "POST", "/connectors", {
        json: {
          id: "numbers",
          config: numbersConfig(host, "numbers.ndjson"),
          start: true,
        },
      });
      expect(created, 201, "create numbers");
      assert.equal(created.body.id, "numbers");
      assert.equal(created.body.state, "running");
      assert.equal(created.body.enabled, true);
      assert.deepEqual(created.body.config, {
        id: "numbers",
        ...numbersConfig(host, "numbers.ndjson"),
      });

      const yaml = ["# a copy of a file", ...copyYaml(host)].join("\n");
      const copy = await api(served, "POST", "/connectors", {
        json: { id: "copy", config: yaml },
      });
      expect(copy, 201, "create copy from YAML text");
      assert.equal(copy.body.state, "stopped");
      assert.equal(copy.body.enabled, false);
      assert.equal(copy.body.config.id, "copy");
      assert.deepEqual(copy.body.config.processors[0], {
        name: "read",
        use: "file-source",
        args: { path: "in.ndjson" },
      });

      // Invalid configs: 400 with the issues, nothing stored.
      const bad = numbersConfig(host, "bad.ndjson");
      (bad.processors as { args: { count: number } }[])[0]!.args.count = -1;
      const invalid = await api(served, "POST", "/connectors", {
        json: { id: "bad", config: bad, start: true },
      });
      expect(invalid, 400, "an invalid config");
      assert.equal(invalid.body.error.code, "CA_ERR_HOST_INVALID_CONFIG");
      assert.ok(
        invalid.body.error.issues.some((issue: { path: string }) =>
          issue.path === "/processors/0/args/count"
        ),
        invalid.text,
      );
      const unparsable = await api(served, "POST", "/connectors", {
        json: { id: "bad", config: "processors: [ {" },
      });
      expect(unparsable, 400, "YAML that does not parse");
      assert.equal(unparsable.body.error.code, "CA_ERR_HOST_INVALID_CONFIG");
      assert.ok(unparsable.body.error.issues.length > 0, unparsable.text);
      const otherId = await api(served, "POST", "/connectors", {
        json: {
          id: "bad",
          config: { ...numbersConfig(host, "x"), id: "other" },
        },
      });
      expect(otherId, 400, "a config id that is not the connector's");
      assert.deepEqual(
        otherId.body.error.issues.map((issue: { path: string }) => issue.path),
        ["/id"],
      );
      const notStored = await api(served, "GET", "/connectors/bad");
      expect(notStored, 404, "the invalid connector");
      assert.equal(notStored.body.error.code, "CA_ERR_HOST_UNKNOWN_CONNECTOR");
      assert.equal(existsSync(join(root, "bad.ndjson")), false);

      const duplicate = await api(served, "POST", "/connectors", {
        json: { id: "numbers", config: numbersConfig(host, "other.ndjson") },
      });
      expect(duplicate, 409, "a duplicate id");
      assert.equal(duplicate.body.error.code, "CA_ERR_HOST_CONNECTOR_EXISTS");

      const list = await api(served, "GET", "/connectors");
      expect(list, 200, "list");
      assert.deepEqual(
        list.body.connectors.map((c: { id: string }) => c.id),
        ["copy", "numbers"],
      );
      for (const connector of list.body.connectors) {
        for (
          const field of [
            "state",
            "enabled",
            "position",
            "error",
            "recordsRead",
            "recordsWritten",
            "recordsPerSecond",
            "updatedAt",
          ]
        ) {
          assert.ok(
            field in connector,
            `${field} in ${JSON.stringify(connector)}`,
          );
        }
      }
      const got = await api(served, "GET", "/connectors/numbers");
      expect(got, 200, "get numbers");
      assert.equal(got.body.state, "running");
      assert.deepEqual(
        got.body.config,
        created.body.config,
        "the config as stored, not the duplicate's",
      );

      // Stop: the output ends at the committed checkpoint.
      await untilLines(numbers, 100);
      const stopped = await api(served, "POST", "/connectors/numbers/stop");
      expect(stopped, 200, "stop");
      assert.equal(stopped.body.state, "stopped");
      const firstRun = await assertWhole(numbers, "after the stop");
      assert.ok(firstRun >= 100);
      assert.equal(stopped.body.position, firstRun - 1, "the checkpoint");
      const again = await api(served, "POST", "/connectors/numbers/stop");
      expect(again, 200, "stop again");
      assert.equal(again.body.state, "stopped");

      // Start again, then reconfigure while it runs: it restarts from its
      // checkpoint with the new config.
      const started = await api(served, "POST", "/connectors/numbers/start");
      expect(started, 200, "start");
      assert.equal(started.body.state, "running");
      expect(
        await api(served, "POST", "/connectors/numbers/start"),
        200,
        "start again",
      );
      await untilLines(numbers, firstRun + 50);
      const reconfigured = await api(
        served,
        "PUT",
        "/connectors/numbers/config",
        {
          yaml: [
            "runners:",
            `  main: { runtime: ${host} }`,
            "processors:",
            "  - name: gen",
            "    use: generate",
            "    args: { count: 1000000, ratePerSecond: 300, template: { round: 2 } }",
            "  - { name: out, use: file-sink, args: { path: numbers.ndjson } }",
          ].join("\n"),
        },
      );
      expect(reconfigured, 200, "PUT config");
      assert.equal(reconfigured.body.state, "running");
      assert.deepEqual(
        reconfigured.body.config.processors[0].args.template,
        { round: 2 },
      );
      await until(
        "records of the new config",
        async () =>
          (await recordsOf(numbers)).filter((r) => r.round === 2).length >= 50,
      );
      const final = await api(served, "POST", "/connectors/numbers/stop");
      expect(final, 200, "stop after the reconfiguration");
      const total = await assertWhole(
        numbers,
        "across both runs and the restart",
      );
      assert.equal(final.body.position, total - 1, "the checkpoint");
      const records = await recordsOf(numbers);
      const firstNew = records.findIndex((r) => r.round === 2);
      assert.ok(firstNew > firstRun, "the old config ran after the start");
      assert.ok(
        records.slice(firstNew).every((r) => r.round === 2),
        "after the restart, every record is of the new config",
      );

      const history = await api(served, "GET", "/connectors/numbers/history");
      expect(history, 200, "history");
      const events: {
        type: string;
        version: number;
        connector: string;
        at: string;
      }[] = history.body.events;
      assert.deepEqual(events.map((e) => e.type), [
        "created",
        "started",
        "stopped",
        "started",
        "reconfigured",
        "stopped",
      ]);
      assert.deepEqual(events.map((e) => e.version), [1, 2, 3, 4, 5, 6]);
      assert.ok(events.every((e) => e.connector === "numbers"));
      const times = events.map((e) => Date.parse(e.at));
      assert.deepEqual(times, [...times].sort((a, b) => a - b), "in order");
      expect(
        await api(served, "GET", "/connectors/bad/history"),
        404,
        "the invalid connector's history",
      );
    });
    await rm(root, { recursive: true });
  });

  test(`ca serve on ${host}: reset and delete answer 409 while running; after a stop, reset to the start or to a position and start reads from there; delete 204, then 404, and created again it starts over`, async () => {
    const root = await tempDir("ca_serve_reset_");
    const input = Array.from(
      { length: 20 },
      (_, i) => JSON.stringify({ n: i }),
    );
    await writeFile(
      join(root, "in.ndjson"),
      input.map((l) => l + "\n").join(""),
    );
    const copyFile = join(root, "copy.ndjson");
    await withServe(host, ["--root", root], async (served) => {
      expect(
        await api(served, "POST", "/connectors", {
          json: {
            id: "numbers",
            config: numbersConfig(host, "numbers.ndjson"),
            start: true,
          },
        }),
        201,
        "create numbers",
      );
      const reset = await api(served, "POST", "/connectors/numbers/reset");
      expect(reset, 409, "reset while running");
      assert.equal(reset.body.error.code, "CA_ERR_HOST_NOT_STOPPED");
      const deleted = await api(served, "DELETE", "/connectors/numbers");
      expect(deleted, 409, "delete while running");
      assert.equal(deleted.body.error.code, "CA_ERR_HOST_NOT_STOPPED");
      assert.equal(
        (await api(served, "GET", "/connectors/numbers")).body.state,
        "running",
        "still running",
      );

      // A file copy runs to the end of its input and stops by itself.
      expect(
        await api(served, "POST", "/connectors", {
          json: {
            id: "copy",
            start: true,
            config: copyYaml(host).join("\n"),
          },
        }),
        201,
        "create copy",
      );
      /** Waits until the copy ran to its end; asserts what it wrote. */
      const ranToEnd = async (expected: string[], what: string) => {
        const done = await until(`copy ${what}: to its end`, async () => {
          const now = await api(served, "GET", "/connectors/copy");
          return !["activating", "running"].includes(now.body.state) && now;
        });
        assert.equal(done.body.state, "stopped", `${what}: ${done.text}`);
        assert.deepEqual(await linesOf(copyFile), expected, what);
        return done;
      };
      const done = await ranToEnd(input, "the first run");
      const size = input.join("\n").length + 1;
      assert.equal(done.body.position, size, "the byte offset of the end");
      // Started again without a reset, it resumes at the end: nothing new.
      expect(
        await api(served, "POST", "/connectors/copy/start"),
        200,
        "start at the end",
      );
      await ranToEnd(input, "started again at the end: nothing new");

      const toStart = await api(served, "POST", "/connectors/copy/reset");
      expect(toStart, 200, "reset to the start");
      assert.equal(toStart.body.position, null);
      expect(await api(served, "POST", "/connectors/copy/start"), 200, "start");
      await ranToEnd([...input, ...input], "after a reset to the start");

      const tenth = input.slice(0, 10).join("\n").length + 1;
      const toTenth = await api(served, "POST", "/connectors/copy/reset", {
        json: { position: tenth },
      });
      expect(toTenth, 200, "reset to a position");
      assert.equal(toTenth.body.position, tenth);
      expect(await api(served, "POST", "/connectors/copy/start"), 200, "start");
      await ranToEnd(
        [...input, ...input, ...input.slice(10)],
        "after a reset to the tenth line",
      );

      expect(
        await api(served, "DELETE", "/connectors/copy"),
        204,
        "delete copy",
      );
      expect(await api(served, "GET", "/connectors/copy"), 404, "get deleted");
      expect(
        await api(served, "DELETE", "/connectors/copy"),
        404,
        "delete again",
      );
      expect(
        await api(served, "POST", "/connectors/copy/start"),
        404,
        "start deleted",
      );
      // Its checkpoint went with it: created again with the same id, it
      // reads from the start.
      expect(
        await api(served, "POST", "/connectors", {
          json: { id: "copy", start: true, config: copyYaml(host).join("\n") },
        }),
        201,
        "create copy again",
      );
      await ranToEnd(
        [...input, ...input, ...input.slice(10), ...input],
        "created again after the delete: from the start",
      );
      expect(
        await api(served, "DELETE", "/connectors/copy"),
        204,
        "delete copy again",
      );
      assert.deepEqual(
        (await api(served, "GET", "/connectors")).body.connectors.map(
          (c: { id: string }) => c.id,
        ),
        ["numbers"],
      );
      expect(
        await api(served, "POST", "/connectors/numbers/stop"),
        200,
        "stop numbers",
      );
      expect(
        await api(served, "DELETE", "/connectors/numbers"),
        204,
        "delete numbers when stopped",
      );
      expect(await api(served, "GET", "/connectors/numbers"), 404, "gone");
    });
    await rm(root, { recursive: true });
  });

  test(`ca serve on ${host}: /healthz, /readyz, the status page, /metrics in the Prometheus format; 401 without a token, 403 for a viewer's change, 200 for a viewer's read`, async () => {
    const root = await tempDir("ca_serve_auth_");
    await withServe(
      host,
      ["--root", root, "--store", "memory"],
      async (served) => {
        const health = await api(served, "GET", "/healthz", { token: null });
        expect(health, 200, "healthz");
        assert.deepEqual(health.body, { status: "ok" });
        const ready = await api(served, "GET", "/readyz", { token: null });
        expect(ready, 200, "readyz");
        assert.deepEqual(ready.body, { status: "ready" });
        const page = await api(served, "GET", "/", { token: null });
        expect(page, 200, "the status page");
        assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
        assert.match(page.text, /^<!doctype html>/i);
        assert.match(page.text, /<\/html>\s*$/);

        for (
          const [method, route] of [["GET", "/connectors"], ["GET", "/metrics"]]
        ) {
          const none = await api(served, method!, route!, { token: null });
          expect(none, 401, `${method} ${route} without a token`);
          assert.equal(none.body.error.code, "CA_ERR_HOST_UNAUTHORIZED");
          assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer /);
          const wrong = await api(served, method!, route!, {
            token: "not-a-token-of-this-host",
          });
          expect(wrong, 401, `${method} ${route} with a wrong token`);
        }
        const byViewer = await api(served, "POST", "/connectors", {
          token: VIEWER,
          json: {
            id: "numbers",
            config: numbersConfig(host, "numbers.ndjson"),
          },
        });
        expect(byViewer, 403, "create by a viewer");
        assert.equal(byViewer.body.error.code, "CA_ERR_HOST_FORBIDDEN");
        assert.deepEqual(
          (await api(served, "GET", "/connectors", { token: VIEWER })).body,
          { connectors: [] },
          "nothing created",
        );
        expect(
          await api(served, "POST", "/connectors", {
            json: {
              id: "numbers",
              config: numbersConfig(host, "numbers.ndjson"),
              start: true,
            },
          }),
          201,
          "create by the admin",
        );
        for (
          const [method, route, yaml] of [
            ["POST", "/connectors/numbers/stop"],
            ["POST", "/connectors/numbers/start"],
            ["POST", "/connectors/numbers/reset"],
            ["PUT", "/connectors/numbers/config", "processors: []\n"],
            ["DELETE", "/connectors/numbers"],
          ]
        ) {
          const answer = await api(served, method!, route!, {
            token: VIEWER,
            yaml,
          });
          expect(answer, 403, `${method} ${route} by a viewer`);
        }
        for (
          const route of [
            "/connectors",
            "/connectors/numbers",
            "/connectors/numbers/history",
            "/metrics",
          ]
        ) {
          expect(
            await api(served, "GET", route, { token: VIEWER }),
            200,
            `GET ${route} by a viewer`,
          );
        }
        assert.equal(
          (await api(served, "GET", "/connectors/numbers")).body.state,
          "running",
          "the viewer stopped nothing",
        );

        // Metrics: Prometheus text, every name ca_, counters _total, moving.
        const scrape = async () => {
          const answer = await api(served, "GET", "/metrics", {
            token: VIEWER,
          });
          expect(answer, 200, "metrics");
          return answer;
        };
        const written = (text: string) =>
          Number(
            /^ca_connector_records_written_total\{connector="numbers"\} (\d+)$/m
              .exec(text)?.[1] ?? NaN,
          );
        const first = await until("records written in /metrics", async () => {
          const answer = await scrape();
          return written(answer.text) > 0 && answer;
        });
        assert.match(
          first.headers.get("content-type") ?? "",
          /^text\/plain; version=0\.0\.4/,
        );
        const samples = first.text.split("\n").filter((l) =>
          l !== "" && !l.startsWith("#")
        );
        assert.ok(samples.length > 0);
        for (const sample of samples) {
          assert.match(
            sample,
            /^ca_[a-z_]+(\{[^}]*\})? (-?\d+(\.\d+)?(e[+-]?\d+)?|[+-]Inf|NaN)$/,
            sample,
          );
        }
        for (
          const [, name, type] of first.text.matchAll(/^# TYPE (\S+) (\S+)$/gm)
        ) {
          assert.match(name!, /^ca_/);
          if (type === "counter") assert.match(name!, /_total$/, name);
        }
        assert.match(
          first.text,
          /^ca_connector_state\{connector="numbers",state="running"\} 1$/m,
        );
        await until(
          "records written grow between scrapes",
          async () => written((await scrape()).text) > written(first.text),
        );
        assert.doesNotMatch(served.stderr(), new RegExp(`${ADMIN}|${VIEWER}`));
      },
    );
    await rm(root, { recursive: true });
  });

  test(`ca serve on ${host}: modules are refused without --allow-modules (400 naming the path, nothing stored); with it, a module inside DIR runs and one outside is refused`, async () => {
    const root = await tempDir("ca_serve_modules_");
    await mkdir(join(root, "mods"));
    await mkdir(join(root, "elsewhere"));
    const module = [
      "export const double = {",
      '  kind: "processor",',
      '  name: "double",',
      '  description: "Doubles value.",',
      '  args: { "~standard": { version: 1, vendor: "test", validate: (value) => ({ value }) } },',
      "  create: () => new TransformStream({",
      "    transform(record, controller) {",
      "      controller.enqueue({ ...record, value: record.value * 2 });",
      "    },",
      "  }),",
      "};",
    ].join("\n");
    await writeFile(join(root, "mods", "double.mjs"), module);
    await writeFile(join(root, "elsewhere", "double.mjs"), module);
    const withModule = (specifier: string) => ({
      modules: [specifier],
      runners: { main: { runtime: host } },
      processors: [
        { name: "gen", use: "generate", args: { count: 5 } },
        { name: "twice", use: "double" },
        { name: "out", use: "file-sink", args: { path: "doubled.ndjson" } },
      ],
    });
    const refusedAt = async (
      served: Served,
      id: string,
      config: unknown,
      path: string,
      says: RegExp,
    ) => {
      const answer = await api(served, "POST", "/connectors", {
        json: { id, config, start: true },
      });
      expect(answer, 400, `${id} refused`);
      assert.equal(answer.body.error.code, "CA_ERR_HOST_INVALID_CONFIG");
      const issue = answer.body.error.issues.find((i: { path: string }) =>
        i.path === path
      );
      assert.ok(issue, `an issue at ${path}: ${answer.text}`);
      assert.match(issue.message, says);
      expect(
        await api(served, "GET", `/connectors/${id}`),
        404,
        `${id} stored`,
      );
    };

    await withServe(host, ["--root", root], async (served) => {
      await refusedAt(
        served,
        "inside",
        withModule("./mods/double.mjs"),
        "/modules/0",
        /refused: this host runs registered definitions only/,
      );
      await refusedAt(
        served,
        "executable",
        {
          ...numbersConfig(host, "x.ndjson"),
          runners: {
            main: { runtime: host, executable: process.execPath },
          },
        },
        "/runners/main/executable",
        /refused/,
      );
    });
    assert.equal(existsSync(join(root, "doubled.ndjson")), false);

    await withServe(host, [
      "--root",
      root,
      "--allow-modules",
      join(root, "mods"),
    ], async (served) => {
      await refusedAt(
        served,
        "outside",
        withModule("./elsewhere/double.mjs"),
        "/modules/0",
        /not inside .*\/mods/,
      );
      await refusedAt(
        served,
        "sneaky",
        withModule("./mods/../elsewhere/double.mjs"),
        "/modules/0",
        /not inside/,
      );
      const created = await api(served, "POST", "/connectors", {
        json: {
          id: "inside",
          config: withModule("./mods/double.mjs"),
          start: true,
        },
      });
      expect(created, 201, "a module inside --allow-modules");
      await until("the doubled records", async () => {
        const now = await api(served, "GET", "/connectors/inside");
        return now.body.state === "stopped" &&
          (await linesOf(join(root, "doubled.ndjson"))).length === 5;
      });
      assert.deepEqual(
        (await recordsOf(join(root, "doubled.ndjson"))).map((r) => r.value),
        [0, 2, 4, 6, 8],
      );
    });
    await rm(root, { recursive: true });
  });

  test(`ca serve on ${host}: SIGTERM exits 0 with the checkpoints committed; restarted on the same --store it starts the connectors that ran (not the stopped one), which resume with no line lost or repeated`, async () => {
    const root = await tempDir("ca_serve_restart_");
    const store = join(root, "state");
    const a = join(root, "a.ndjson");
    const b = join(root, "b.ndjson");
    const args = ["--root", root, "--store", store];

    const first = await startServe(host, args);
    try {
      for (const id of ["a", "b"]) {
        expect(
          await api(first, "POST", "/connectors", {
            json: {
              id,
              config: numbersConfig(host, `${id}.ndjson`),
              start: true,
            },
          }),
          201,
          `create ${id}`,
        );
      }
      await untilLines(a, 50);
      await untilLines(b, 50);
      expect(await api(first, "POST", "/connectors/b/stop"), 200, "stop b");
    } catch (error) {
      await first.stop("SIGKILL");
      throw error;
    }
    const exit = await first.stop("SIGTERM");
    assert.deepEqual(exit, { code: 0, signal: null }, first.stderr());
    assert.match(
      first.stderr(),
      /ca serve: SIGTERM: stopping every connector gracefully\n(.*\n)*ca serve: stopped\n$/,
    );
    const aBefore = await assertWhole(a, "a after SIGTERM");
    const bBefore = await assertWhole(b, "b after its stop");
    assert.deepEqual(await checkpointsIn(store), {
      "a/gen": aBefore - 1,
      "b/gen": bBefore - 1,
    }, "the checkpoints match the output");

    await withServe(host, args, async (served) => {
      const list = await api(served, "GET", "/connectors");
      expect(list, 200, "list after the restart");
      assert.deepEqual(
        list.body.connectors.map((
          c: { id: string; state: string; enabled: boolean },
        ) => [
          c.id,
          c.state,
          c.enabled,
        ]),
        [["a", "running", true], ["b", "stopped", false]],
      );
      await untilLines(a, aBefore + 50);
      assert.deepEqual(
        await served.stop("SIGINT"),
        { code: 0, signal: null },
        served.stderr(),
      );
      assert.match(
        served.stderr(),
        /ca serve: SIGINT: stopping every connector/,
      );
    });
    const aAfter = await assertWhole(a, "a across both ca serve");
    assert.ok(aAfter >= aBefore + 50);
    assert.equal(
      (await linesOf(b)).length,
      bBefore,
      "b, stopped, did not run again",
    );
    assert.deepEqual(await checkpointsIn(store), {
      "a/gen": aAfter - 1,
      "b/gen": bBefore - 1,
    });
    await rm(root, { recursive: true });
  });

  test(`ca serve on ${host}: startup errors: no CA_ADMIN_TOKEN or a short one is exit 2 with the message, a busy port exit 3, a --store of another scheme exit 64`, async () => {
    const root = await tempDir("ca_serve_startup_");
    const run = async (
      args: string[],
      env: Record<string, string | undefined> = {},
    ) => {
      const child = spawnCa(host, ["serve", "--root", root, ...args], env);
      const { code } = await child.exit();
      return { code, stderr: child.stderr() };
    };
    const noToken = await run(["--port", "0"], { CA_ADMIN_TOKEN: undefined });
    assert.equal(noToken.code, 2, noToken.stderr);
    assert.equal(
      noToken.stderr,
      "ca serve: cannot start: set CA_ADMIN_TOKEN (and CA_VIEWER_TOKEN for read-only access) to the tokens clients send as Authorization: Bearer <token>\n",
    );
    const short = await run(["--port", "0"], { CA_VIEWER_TOKEN: "short" });
    assert.equal(short.code, 2, short.stderr);
    assert.match(
      short.stderr,
      /^ca serve: cannot start: CA_VIEWER_TOKEN must be at least 16 characters long/,
    );

    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const taken = await run(["--port", String(port)]);
      assert.equal(taken.code, 3, taken.stderr);
      assert.match(
        taken.stderr,
        new RegExp(`^ca serve: cannot listen on 127\\.0\\.0\\.1:${port}: `),
      );
      assert.doesNotMatch(taken.stderr, /^\s+at /m, "no stack trace");
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }

    const scheme = await run([
      "--port",
      "0",
      "--store",
      "redis://127.0.0.1:6379",
    ]);
    assert.equal(scheme.code, 64, scheme.stderr);
    assert.match(
      scheme.stderr,
      /--store must be memory, a directory, a postgres:\/\/ or a nats:\/\/ URL/,
    );
    // The cluster flags: each names what is wrong.
    const alone = await run(["--port", "0", "--host-id", "a"]);
    assert.equal(alone.code, 64, alone.stderr);
    assert.match(alone.stderr, /--host-id needs --cluster/);
    const engine = await run(["--port", "0", "--cluster", "redis://x"]);
    assert.equal(engine.code, 64, engine.stderr);
    assert.match(
      engine.stderr,
      /--cluster must be a postgres:\/\/ or nats:\/\/ URL/,
    );
    const ttl = await run([
      "--port",
      "0",
      "--cluster",
      "nats://127.0.0.1:4222",
      "--lease-ttl",
      "soon",
    ]);
    assert.equal(ttl.code, 64, ttl.stderr);
    assert.match(ttl.stderr, /--lease-ttl expects a duration such as 5s/);
    const query = await run([
      "--port",
      "0",
      "--store",
      "nats://127.0.0.1:4222,127.0.0.1:4223?replicas=9",
    ]);
    assert.equal(query.code, 64, query.stderr);
    assert.match(query.stderr, /--store's replicas must be 1 to 5, got "9"/);
    const unknown = await run([
      "--port",
      "0",
      "--cluster",
      "nats://127.0.0.1:4222?stream=x",
    ]);
    assert.equal(unknown.code, 64, unknown.stderr);
    assert.match(
      unknown.stderr,
      /--cluster takes the query parameters replicas, bucket, got "stream"/,
    );
    await rm(root, { recursive: true });
  });
}
