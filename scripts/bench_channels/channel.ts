/**
 * Our channel as a benchmark implementation: `channelWriter()` in a
 * pipeline over the records, `channelReader()` in a pipeline whose batch
 * sink does the tally. Library defaults throughout (credit window 16,
 * 1024 records per DATA frame, heartbeats on), as a user gets them.
 *
 * @module
 */

import { channelReader } from "../../src/channel/channel_reader.ts";
import { channelWriter } from "../../src/channel/channel_writer.ts";
import { pipeline } from "../../src/pipeline/pipeline.ts";
import { batchSink } from "../../src/sinks/batch_sink.ts";
import type {
  ChannelConnection,
  ChannelListener,
} from "../../src/channel/channel_connection.ts";
import { BATCH_RECORDS, type BenchRecord, Tally } from "./records.ts";
import type { BenchImpl, ReaderSide } from "./types.ts";

/** How a channel reaches the other process: TCP, WebSocket. */
export interface ChannelTransport {
  /** Listens on 127.0.0.1, any free port. */
  listen(): Promise<ChannelListener>;
  /** Dials the listener on `port`. */
  connect(port: number, signal: AbortSignal): Promise<ChannelConnection>;
}

const STREAM = "bench";

/** The channel over `transport`. */
export function channelImpl(transport: ChannelTransport): BenchImpl {
  return {
    async listen(phases: number): Promise<ReaderSide> {
      const listeners: ChannelListener[] = [];
      for (let i = 0; i < phases; i++) listeners.push(await transport.listen());
      return {
        ports: listeners.map((listener) => listener.port),
        async receive(phase: number, _records: number): Promise<Tally> {
          const tally = new Tally();
          const summary = await pipeline(
            channelReader<BenchRecord>(listeners[phase]!, { stream: STREAM }),
            batchSink<BenchRecord>({ write: (records) => tally.add(records) }),
          );
          if (summary.recordsWritten !== tally.count) {
            throw new Error(
              `Cannot trust the channel reader: its summary says ${summary.recordsWritten} records written, the sink saw ${tally.count}`,
            );
          }
          return tally;
        },
      };
    },
    async send(port: number, records: readonly BenchRecord[]): Promise<void> {
      const summary = await pipeline(
        records as BenchRecord[],
        channelWriter<BenchRecord>(
          (signal) => transport.connect(port, signal),
          { stream: STREAM, batchRecords: BATCH_RECORDS },
        ),
        { batchSize: BATCH_RECORDS },
      );
      if (summary.recordsWritten !== records.length) {
        throw new Error(
          `Cannot trust the channel writer: ${summary.recordsWritten} of ${records.length} records acknowledged`,
        );
      }
    },
  };
}
