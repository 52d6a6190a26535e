/**
 * The TCP baseline: NDJSON over a plain socket with the runtime's own TCP
 * API (`Deno.listen`/`Deno.connect`, `node:net`). The writer sends each
 * batch of 1024 records as one write of `JSON.stringify` per record joined
 * by newlines, then half-closes; the reader splits lines, `JSON.parse`s
 * each, does the tally, and answers one byte once the writer's end
 * arrived and everything is stored. No framing, acks, credit or resending:
 * what a channel costs beyond this is the price of its guarantees.
 *
 * @module
 */

import type { Server, Socket } from "node:net";
import { BATCH_RECORDS, type BenchRecord, Tally } from "./records.ts";
import type { BenchImpl, ReaderSide } from "./types.ts";

const HOST = "127.0.0.1";
const DONE = new Uint8Array([0x0a]);

/** Turns text into records, line by line, across chunk boundaries. */
class LineParser {
  #rest = "";
  readonly tally: Tally = new Tally();

  push(text: string): void {
    const all = this.#rest === "" ? text : this.#rest + text;
    let start = 0;
    let end = all.indexOf("\n");
    while (end !== -1) {
      this.tally.addOne(JSON.parse(all.slice(start, end)) as BenchRecord);
      start = end + 1;
      end = all.indexOf("\n", start);
    }
    this.#rest = start === 0 ? all : all.slice(start);
  }

  end(): Tally {
    if (this.#rest !== "") {
      throw new Error(
        `Cannot read NDJSON: the stream ended inside a line (${this.#rest.length} chars)`,
      );
    }
    return this.tally;
  }
}

/** One batch as NDJSON text. */
function ndjson(records: readonly BenchRecord[], at: number): string {
  const end = Math.min(at + BATCH_RECORDS, records.length);
  const lines: string[] = new Array(end - at);
  for (let i = at; i < end; i++) lines[i - at] = JSON.stringify(records[i]);
  return lines.join("\n") + "\n";
}

const deno = (globalThis as { Deno?: typeof Deno }).Deno;

/** The raw NDJSON-over-TCP baseline on the runtime this process runs on. */
export const rawTcp: BenchImpl = deno ? denoRaw(deno) : nodeRaw();

function denoRaw(api: typeof Deno): BenchImpl {
  return {
    listen(phases: number): Promise<ReaderSide> {
      const listeners = Array.from(
        { length: phases },
        () => api.listen({ hostname: HOST, port: 0 }),
      );
      return Promise.resolve({
        ports: listeners.map((l) => l.addr.port),
        async receive(phase: number, _records: number): Promise<Tally> {
          const listener = listeners[phase]!;
          const conn = await listener.accept();
          listener.close();
          conn.setNoDelay(true);
          const parser = new LineParser();
          const decoder = new TextDecoder();
          // conn.read, not conn.readable: the readable closes the whole
          // connection at its end, and the reply still has to go out.
          const buffer = new Uint8Array(64 * 1024);
          for (;;) {
            const n = await conn.read(buffer);
            if (n === null) break;
            parser.push(
              decoder.decode(buffer.subarray(0, n), { stream: true }),
            );
          }
          parser.push(decoder.decode());
          const tally = parser.end();
          await writeAll(conn, DONE);
          conn.close();
          return tally;
        },
      });
    },
    async send(port: number, records: readonly BenchRecord[]): Promise<void> {
      const conn = await api.connect({ hostname: HOST, port });
      conn.setNoDelay(true);
      const encoder = new TextEncoder();
      for (let at = 0; at < records.length; at += BATCH_RECORDS) {
        await writeAll(conn, encoder.encode(ndjson(records, at)));
      }
      await conn.closeWrite();
      const reply = new Uint8Array(1);
      const n = await conn.read(reply);
      conn.close();
      if (n !== 1) {
        throw new Error("Cannot finish: the reader hung up without confirming");
      }
    },
  };
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}

function nodeRaw(): BenchImpl {
  return {
    async listen(phases: number): Promise<ReaderSide> {
      const net = await import("node:net");
      const servers: Server[] = [];
      const accepted: Promise<Socket>[] = [];
      for (let i = 0; i < phases; i++) {
        const server = net.createServer({ allowHalfOpen: true, noDelay: true });
        accepted.push(
          new Promise((resolve) => server.once("connection", resolve)),
        );
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(0, HOST, () => resolve());
        });
        servers.push(server);
      }
      return {
        ports: servers.map((s) => (s.address() as { port: number }).port),
        async receive(phase: number, _records: number): Promise<Tally> {
          const socket = await accepted[phase]!;
          servers[phase]!.close();
          const parser = new LineParser();
          socket.setEncoding("utf8");
          await new Promise<void>((resolve, reject) => {
            socket.on("data", (text: string) => {
              try {
                parser.push(text);
              } catch (error) {
                socket.destroy(error as Error);
              }
            });
            socket.once("end", resolve);
            socket.once("error", reject);
          });
          const tally = parser.end();
          await new Promise<void>((resolve) => socket.end(DONE, resolve));
          return tally;
        },
      };
    },
    async send(port: number, records: readonly BenchRecord[]): Promise<void> {
      const net = await import("node:net");
      const socket = net.connect({ host: HOST, port, noDelay: true });
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("error", reject);
      });
      let failure: Error | undefined;
      socket.on("error", (error) => failure = error);
      const confirmed = new Promise<boolean>((resolve) => {
        socket.once("data", () => resolve(true));
        socket.once("close", () => resolve(false));
      });
      for (let at = 0; at < records.length; at += BATCH_RECORDS) {
        if (failure) throw failure;
        if (!socket.write(ndjson(records, at))) {
          await new Promise<void>((resolve) => {
            socket.once("drain", resolve);
            socket.once("close", resolve);
          });
        }
      }
      socket.end();
      const ok = await confirmed;
      socket.destroy();
      if (!ok || failure) {
        throw failure ??
          new Error("Cannot finish: the reader hung up without confirming");
      }
    },
  };
}
