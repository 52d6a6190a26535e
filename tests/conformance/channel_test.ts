// Copyright 2026 the @ca/streams authors. MIT license.
// The conformance kit on channels over TCP: channelReader as a source that
// acknowledges to its writer, channelWriter as a sink whose records count
// as stored once the reading side stored them.
import { test } from "node:test";
import { batchSink, pipeline, type RunningPipeline } from "@ca/streams";
import {
  type ChannelListener,
  channelReader,
  channelWriter,
} from "@ca/streams/channel";
import { tcpConnect, tcpListen } from "@ca/streams/channel-tcp";
import { sinkConformance, sourceConformance } from "@ca/streams/testing";
import { activeTimers, socketsOn, timersAbove } from "./_resources.ts";

interface Row {
  id: number;
  text: string;
  /** Only the bad record has one: JSON cannot hold a bigint. */
  big?: bigint;
}

const STREAM = "conformance";
const record = (id: number): Row => ({ id, text: `record ${id}` });
const reconnect = { initialDelayMs: 5, maxDelayMs: 50 };

sourceConformance<Row>({
  name: "channelReader over TCP",
  record,
  key: (row) => String(row.id),
  // The writer keeps what the reader did not acknowledge and sends it
  // again to the next reader: records cannot be read twice on purpose.
  acknowledges: "server",
  open() {
    // One writer feeds every run of a case, as a process on the other end
    // would; each run listens anew, and the writer dials the newest port.
    let port = 0;
    const ports = new Set<number>();
    const listeners: ChannelListener[] = [];
    const stop = new AbortController();
    let feed: ReadableStreamDefaultController<Row> | undefined;
    let writing: RunningPipeline | undefined;
    function input(): ReadableStreamDefaultController<Row> {
      if (feed) return feed;
      const rows = new ReadableStream<Row>({ start: (c) => void (feed = c) });
      writing = pipeline(
        rows,
        channelWriter<Row>(
          (signal) => tcpConnect({ port }, { signal }),
          { stream: STREAM, batchRecords: 5, reconnect },
        ),
        { signal: stop.signal },
      );
      writing.catch(() => {});
      return feed!;
    }
    return {
      async source() {
        const listener = await tcpListen({ port: 0 });
        listeners.push(listener);
        port = listener.port;
        ports.add(port);
        return channelReader<Row>(listener, {
          stream: STREAM,
          endOnClose: false,
          window: 2,
        });
      },
      write(rows) {
        const controller = input();
        for (const row of rows) controller.enqueue(row);
      },
      async acknowledged() {
        // The writer's pipeline ends once the reader acknowledged it all.
        const controller = feed;
        feed = undefined;
        controller?.close();
        await writing;
      },
      // The reader's side: its listeners and the connections they accepted.
      leaks: () => socketsOn(ports, "local"),
      async close() {
        stop.abort();
        await writing?.catch(() => {});
        for (const listener of listeners) {
          await listener.close().catch(() => {});
        }
      },
    };
  },
}, { test });

sinkConformance<Row>({
  name: "channelWriter over TCP",
  record,
  badRecord: (id) => ({ id, text: "cannot be JSON", big: 1n }),
  key: (row) => String(row.id),
  async open() {
    // The reading side stays up for the whole case; each run's writer is new.
    const listener = await tcpListen({ port: 0 });
    const stored: Row[] = [];
    const reading = pipeline(
      channelReader<Row>(listener, { stream: STREAM, endOnClose: false }),
      batchSink<Row>({ write: (rows) => void stored.push(...rows) }),
    );
    reading.catch(() => {});
    const timers = activeTimers();
    return {
      sink: () =>
        channelWriter<Row>(
          (signal) => tcpConnect({ port: listener.port }, { signal }),
          { stream: STREAM, batchRecords: 5, reconnect },
        ),
      read: () => stored,
      // The writer's side: connections dialled to the reader, and timers.
      leaks: () => [
        ...socketsOn([listener.port], "remote"),
        ...timersAbove(timers),
      ],
      close: () => reading.abort(),
    };
  },
}, { test });
