/**
 * A private mosquitto for the MQTT rows, on a free port, with
 * `max_queued_messages 0`: the shared broker keeps at most 1000 messages
 * for an offline session, and the source row queues a whole run's records
 * before its reader connects. Stopped by its own pid after the row.
 *
 * @module
 */

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { startPeer } from "./spawn_peer.ts";

/** A running private broker. */
export interface Mosquitto {
  readonly url: string;
  /** `mosquitto 2.0.11 (private, max_queued_messages 0)`. */
  readonly server: string;
  /** Where its log is now, for {@linkcode Mosquitto.disconnected}. */
  mark(): number;
  /** Resolves once the broker logged that `clientId` left, after `mark`. */
  disconnected(clientId: string, mark: number): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts `mosquitto -c` on a free port of 127.0.0.1. */
export async function startMosquitto(): Promise<Mosquitto> {
  const dir = await mkdtemp(join(tmpdir(), "ca-bench-mosquitto-"));
  const port = await freePort();
  const conf = join(dir, "mosquitto.conf");
  await writeFile(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      "persistence false",
      "max_queued_messages 0",
      "log_dest stderr",
      "log_type error",
      "log_type warning",
      "log_type notice",
      "log_type information",
      "",
    ].join("\n"),
  );
  const binary = process.env.CA_BENCH_MOSQUITTO ?? "mosquitto";
  try {
    const peer = await startPeer(binary, ["-c", conf], {
      readyOn: "stderr",
      readyText: "running",
    });
    return {
      url: `mqtt://127.0.0.1:${port}`,
      server: `mosquitto ${
        /version (\S+)/.exec(peer.firstLine)?.[1] ?? "?"
      } (private, max_queued_messages 0)`,
      mark: () => peer.lineCount,
      disconnected: (clientId, mark) =>
        peer.waitFor(
          new RegExp(`Client ${clientId} (disconnected|closed its connection)`),
          mark,
        ),
      async stop() {
        await peer.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(
      `Cannot start a private mosquitto (${binary}): install it, or set CA_BENCH_MOSQUITTO to its path`,
      { cause: error },
    );
  }
}
