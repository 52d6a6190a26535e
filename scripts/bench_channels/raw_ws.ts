/**
 * The WebSocket baseline: raw `ws`, one text message per batch of 1024
 * records (`JSON.stringify` of the array). The reader is a `ws` server on
 * Node that `JSON.parse`s each message and does the tally; the writer is
 * the `ws` client on both runtimes, keeping at most about 1 MiB buffered.
 * The reader answers `done` once it has stored as many records as the
 * writer sends (told on its command line), so the stream ends as a
 * channel's does: the last batch, then one reply. No framing beyond
 * WebSocket's own, no acks, credit or resending.
 *
 * Not Deno's global `WebSocket` for the writer: it does not set
 * TCP_NODELAY, and with no traffic coming back a raw stream's last message
 * waits about 40 ms in Nagle's algorithm for a delayed ACK, a fixed cost
 * that would make this baseline look slower than raw WebSocket is.
 *
 * @module
 */

import type { WebSocket as WsSocket, WebSocketServer } from "ws";
import { BATCH_RECORDS, type BenchRecord, Tally } from "./records.ts";
import type { BenchImpl, ReaderSide } from "./types.ts";

const HOST = "127.0.0.1";
/** The writer waits while more than this is buffered. */
const HIGH_WATER = 1 << 20;

function batchJson(records: readonly BenchRecord[], at: number): string {
  return JSON.stringify(records.slice(at, at + BATCH_RECORDS));
}

/** The raw WebSocket baseline. */
export const rawWs: BenchImpl = {
  async listen(phases: number): Promise<ReaderSide> {
    const { WebSocketServer } = await import("ws");
    const servers: WebSocketServer[] = [];
    const accepted: Promise<WsSocket>[] = [];
    for (let i = 0; i < phases; i++) {
      const server = new WebSocketServer({
        host: HOST,
        port: 0,
        perMessageDeflate: false,
      });
      accepted.push(
        new Promise((resolve) => server.once("connection", resolve)),
      );
      await new Promise<void>((resolve, reject) => {
        server.once("listening", resolve);
        server.once("error", reject);
      });
      servers.push(server);
    }
    return {
      ports: servers.map((s) => (s.address() as { port: number }).port),
      async receive(phase: number, records: number): Promise<Tally> {
        const socket = await accepted[phase]!;
        servers[phase]!.close();
        const tally = new Tally();
        await new Promise<void>((resolve, reject) => {
          socket.on("message", (data: Uint8Array) => {
            try {
              tally.add(JSON.parse(data.toString()) as BenchRecord[]);
              if (tally.count >= records) {
                socket.send("done", () => resolve());
              }
            } catch (error) {
              reject(error);
              socket.terminate();
            }
          });
          socket.once(
            "close",
            () => reject(new Error("closed before all records arrived")),
          );
          socket.once("error", reject);
        });
        return tally;
      },
    };
  },
  send: sendWs,
};

/** The `ws` client, awaiting a send's callback when the buffer is full. */
async function sendWs(
  port: number,
  records: readonly BenchRecord[],
): Promise<void> {
  const { WebSocket } = await import("ws");
  const socket = new WebSocket(`ws://${HOST}:${port}/`, {
    perMessageDeflate: false,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  const done = new Promise<void>((resolve, reject) => {
    socket.on("message", (data: Uint8Array) => {
      if (data.toString() === "done") resolve();
    });
    socket.once("close", () => reject(new Error("closed before done")));
  });
  done.catch(() => {});
  for (let at = 0; at < records.length; at += BATCH_RECORDS) {
    const text = batchJson(records, at);
    if (socket.bufferedAmount < HIGH_WATER) {
      socket.send(text);
    } else {
      await new Promise<void>((resolve, reject) =>
        socket.send(text, (error) => error ? reject(error) : resolve())
      );
    }
  }
  await done;
  socket.terminate();
}
