// Copyright 2026 the @ca/streams authors. MIT license.
// The live tap of `ca serve` as a user meets it: `ca serve` a child process
// on a free port (as tests/cli/ca_serve_test.ts starts it), on Deno from
// the source and on Node 24 (from dist/ under `node --test`, from the
// source under `deno test`), a `ws` client on GET /connectors/{id}/tap.
// A connector generate -> mark (set) -> file-sink: a client with a
// viewer's token as the subprotocol gets mark's records; a client that
// stops reading does not hold the pipeline (the connector writes all its
// records while the client is paused) and learns, once it reads again, how
// many records it lost; no token and a wrong one are refused before the
// upgrade; an unknown stage and a sink are closed with their reasons. No
// timing assertions: waits poll with a generous bound.
import assert from "node:assert/strict";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { WebSocket } from "ws";
import {
  ADMIN,
  api,
  type Host,
  type Served,
  startServe,
  until,
  VIEWER,
} from "./_ca_serve.ts";

/** A generate -> mark (set seen) -> file-sink config. */
function markConfig(
  host: Host,
  generate: Record<string, unknown>,
  out: string,
): Record<string, unknown> {
  return {
    runners: { main: { runtime: host } },
    processors: [
      { name: "gen", use: "generate", args: generate },
      { name: "mark", use: "set", args: { field: "seen", value: true } },
      { name: "out", use: "file-sink", args: { path: out } },
    ],
  };
}

interface Record_ {
  id: number;
  seen?: boolean;
}

/** A tap client: what it received, how it closed. */
interface TapClient {
  socket: WebSocket;
  /** The messages received so far, parsed. */
  // deno-lint-ignore no-explicit-any -- JSON messages, read field by field
  messages: any[];
  records(): Record_[];
  /** Resolves once it is open; rejects with the HTTP status when refused. */
  opened: Promise<void>;
  /** The close code and reason, once closed. */
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a tap of `stage`, with the token as a subprotocol or a header (null: none). */
function openTap(
  served: Served,
  id: string,
  query: string,
  auth: { protocol: string } | { header: string } | null,
): TapClient {
  const url = new URL(`connectors/${id}/tap?${query}`, served.url);
  url.protocol = "ws:";
  const socket = auth !== null && "protocol" in auth
    ? new WebSocket(url, ["ca.tap", `ca.token.${auth.protocol}`])
    : new WebSocket(url, {
      headers: auth === null ? {} : { authorization: `Bearer ${auth.header}` },
    });
  const client: TapClient = {
    socket,
    messages: [],
    records: () => client.messages.flatMap((m) => m.records ?? []),
    opened: new Promise((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("unexpected-response", (_request, response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => body += chunk);
        response.on("end", () => {
          reject(
            Object.assign(new Error(`refused: ${response.statusCode}`), {
              status: response.statusCode,
              body: JSON.parse(body),
            }),
          );
        });
      });
    }),
    closed: new Promise((resolve) => {
      socket.once(
        "close",
        (code, reason) => resolve({ code, reason: reason.toString() }),
      );
    }),
  };
  client.opened.catch(() => {});
  socket.on("error", () => {});
  socket.on("message", (data) => {
    client.messages.push(JSON.parse(data.toString()));
  });
  return client;
}

/** Asserts a tap is refused before the upgrade with `status` and `code`. */
async function assertRefused(
  client: TapClient,
  status: number,
  code: string,
): Promise<void> {
  await assert.rejects(
    client.opened,
    (
      error: Error & { status?: number; body?: { error: { code: string } } },
    ) => {
      assert.equal(error.status, status);
      assert.equal(error.body?.error.code, code);
      return true;
    },
  );
}

/** The lines of a file (none when it does not exist). */
async function lineCount(file: string): Promise<number> {
  try {
    return (await readFile(file, "utf8")).split("\n").length - 1;
  } catch {
    return 0;
  }
}

for (const host of ["deno", "node"] as const) {
  test(`ca serve on ${host}: a tap with a viewer's token as the subprotocol gets the mark stage's records, the source's before it; refused without a token, closed with a reason for an unknown stage or a sink; 1000 when the connector stops`, async () => {
    const root = await mkdtemp(join(tmpdir(), "ca_serve_tap_"));
    const served = await startServe(host, [
      "--store",
      "memory",
      "--root",
      root,
    ]);
    try {
      const created = await api(served, "POST", "/connectors", {
        json: {
          id: "live",
          start: true,
          config: markConfig(
            host,
            { count: 1_000_000, ratePerSecond: 200 },
            "live.ndjson",
          ),
        },
      });
      assert.equal(created.status, 201, created.text);

      const mark = openTap(served, "live", "stage=mark&sample=1", {
        protocol: VIEWER,
      });
      const gen = openTap(served, "live", "stage=gen&sample=20/s", {
        header: ADMIN,
      });
      await mark.opened;
      await gen.opened;
      assert.equal(mark.socket.protocol, "ca.tap", "the server selects ca.tap");
      assert.equal(
        gen.socket.protocol,
        "",
        "no subprotocol offered, none selected",
      );
      await until("10 records of mark", () => mark.records().length >= 10);
      await until("3 records of gen", () => gen.records().length >= 3);
      const marked = mark.records();
      assert.ok(marked.every((r) => r.seen === true), JSON.stringify(marked));
      assert.ok(
        marked.every((r, i) => i === 0 || r.id === marked[i - 1]!.id + 1),
        "every record, in order (sample=1)",
      );
      assert.ok(
        gen.records().every((r) => r.seen === undefined),
        "the source's records, before mark",
      );
      assert.ok(mark.messages.every((m) => m.dropped === 0));

      // Refused before the upgrade: no token, a wrong one.
      await assertRefused(
        openTap(served, "live", "stage=mark", null),
        401,
        "CA_ERR_HOST_UNAUTHORIZED",
      );
      await assertRefused(
        openTap(served, "live", "stage=mark", { protocol: "not-a-token" }),
        401,
        "CA_ERR_HOST_UNAUTHORIZED",
      );
      // Upgraded, then closed with the reason a browser can read.
      const unknown = openTap(served, "live", "stage=nope", {
        protocol: VIEWER,
      });
      const unknownClose = await unknown.closed;
      assert.equal(unknownClose.code, 4404);
      assert.match(unknownClose.reason, /^Cannot tap stage "nope": /);
      assert.equal(
        unknown.messages[0]?.error.code,
        "CA_ERR_HOST_UNKNOWN_STAGE",
      );
      assert.match(unknown.messages[0]?.error.message, /gen, mark, out/);
      const sink = openTap(served, "live", "stage=out", { protocol: VIEWER });
      const sinkClose = await sink.closed;
      assert.equal(sinkClose.code, 4409);
      assert.match(sinkClose.reason, /it is a sink/);
      const plain = await fetch(
        new URL("connectors/live/tap?stage=mark", served.url),
        { headers: { authorization: `Bearer ${VIEWER}` } },
      );
      assert.equal(plain.status, 426);
      await plain.body?.cancel();

      const stopped = await api(served, "POST", "/connectors/live/stop");
      assert.equal(stopped.status, 200, stopped.text);
      for (const client of [mark, gen]) {
        const closed = await client.closed;
        assert.equal(closed.code, 1000);
        assert.equal(closed.reason, "the tap ended: the connector stopped");
      }
    } catch (error) {
      throw new Error(
        `${(error as Error).message}\nca serve:\n${served.stderr()}`,
        {
          cause: error,
        },
      );
    } finally {
      await served.stop("SIGKILL");
    }
  });

  test(`ca serve on ${host}: a tap client that stops reading does not hold the pipeline: the connector writes all its records meanwhile, and the client, reading again, gets what was queued and how many it lost`, async () => {
    const root = await mkdtemp(join(tmpdir(), "ca_serve_tap_"));
    const served = await startServe(host, [
      "--store",
      "memory",
      "--root",
      root,
    ]);
    const count = 60_000;
    try {
      // About 1 KB a record, 60 MB in all: far more than the socket
      // buffers between the server and a client that does not read.
      const created = await api(served, "POST", "/connectors", {
        json: {
          id: "bulk",
          start: true,
          config: markConfig(host, {
            count,
            ratePerSecond: 10_000,
            template: { pad: "x".repeat(1000) },
          }, "bulk.ndjson"),
        },
      });
      assert.equal(created.status, 201, created.text);
      const slow = openTap(served, "bulk", "stage=mark&sample=1", {
        header: ADMIN,
      });
      await slow.opened;
      slow.socket.pause();

      const done = await until("the connector finished", async () => {
        const got = await api(served, "GET", "/connectors/bulk");
        return got.body.state === "stopped" && got.body;
      });
      assert.equal(done.error, null);
      assert.equal(done.recordsWritten, count);
      assert.equal(await lineCount(join(root, "bulk.ndjson")), count);
      assert.equal(
        slow.socket.readyState,
        WebSocket.OPEN,
        "the slow client is still connected",
      );

      slow.socket.resume();
      const closed = await slow.closed;
      assert.equal(closed.code, 1000);
      const records = slow.records();
      const dropped = slow.messages.at(-1).dropped;
      assert.ok(dropped > 0, `dropped ${dropped}`);
      assert.ok(
        records.every((r, i) => i === 0 || r.id > records[i - 1]!.id),
        "in order",
      );
      assert.equal(
        records.length + dropped,
        count - records[0]!.id,
        "every record from the first tapped on was sent or counted as dropped",
      );
    } catch (error) {
      throw new Error(
        `${(error as Error).message}\nca serve:\n${served.stderr()}`,
        {
          cause: error,
        },
      );
    } finally {
      await served.stop("SIGKILL");
    }
  });
}
