// The broker scenarios (redis-streams, jetstream, mqtt, amqp): messages
// with ids 0 to records - 1 published to a server that keeps the source's
// position (a consumer group, a durable consumer, a persistent session, a
// queue), then source → throttle → file sink (tests/crash/broker_child.ts)
// with no checkpoint store, killed mid-stream. What a kill leaves
// unacknowledged the server delivers again: 0 lost, and the records the
// sink stored but whose acknowledgement had not reached the server yet come
// twice.
import type { CrashContext, CrashRun, CrashScenario } from "./scenario.ts";
import type { BrokerSourceKind } from "./broker_child.ts";
import { countLines, readIds } from "./ndjson_files.ts";

/** Records per source batch, per pipeline batch, per throttle pause. */
export const BROKER_BATCH_SIZE = 100;

/** One run against a server: where the messages go, and the source's options. */
export interface BrokerRun {
  /** The source's options for the child (url, stream, consumer...), as JSON. */
  options: Record<string, unknown>;
  /**
   * Makes the fresh stream (queue, session...) that `options` names and
   * publishes `records` messages to it, in order: the payload of message
   * `id` is `payload(id)`.
   */
  prepare(records: number, payload: (id: number) => string): Promise<void>;
  /** Deletes what `prepare` made (and stops what it started). */
  cleanup(): Promise<void>;
  /** What this run shows besides the defaults, printed under its result. */
  note?: string;
}

/** How one broker's scenario differs from the others. */
export interface BrokerScenarioInit {
  /** The source the child runs. */
  source: BrokerSourceKind;
  /** One line: the server and what keeps the position. */
  description: string;
  /** Names a fresh run: unique names, the server's address. */
  open(context: CrashContext): BrokerRun | Promise<BrokerRun>;
  /** The longest replay after a restart (see CrashRunBase.replay). */
  replay: CrashRun["replay"];
  /** Set when the source cannot deliver in order across restarts. */
  order?: CrashRun["order"];
  /**
   * When the kills land for a run of `records` (default: 600 to 2000 ms
   * after a start, 500 to 1200 ms with 20,000 records or fewer): later for
   * a source that takes longer to deliver its first record after a restart.
   */
  killAfterMs?(records: number): [number, number];
}

/** A message's payload: the record the sink stores, as JSON. */
export function payload(id: number): string {
  return JSON.stringify({ id, text: `record ${id} ✓` });
}

/**
 * Publishes `records` messages through `send`, up to `window` of them
 * unconfirmed at a time, in order: `send(id)` starts one publish and
 * resolves once the server confirmed it.
 */
export async function publishAll(
  records: number,
  window: number,
  send: (id: number) => Promise<unknown>,
): Promise<void> {
  for (let from = 0; from < records; from += window) {
    const to = Math.min(records, from + window);
    const sent: Promise<unknown>[] = [];
    for (let id = from; id < to; id++) sent.push(send(id));
    await Promise.all(sent);
  }
}

/** A crash scenario for a source whose server keeps its position. */
export function brokerScenario(init: BrokerScenarioInit): CrashScenario {
  return {
    description: init.description,
    records: 100_000,
    kills: 10,
    async runs(context: CrashContext): Promise<CrashRun[]> {
      const { dir, records } = context;
      const output = `${dir}/output.ndjson`;
      const broker = await init.open(context);
      const killAfterMs = init.killAfterMs?.(records) ??
        (records <= 20_000 ? [500, 1200] : [600, 2000]);
      // Throttle the child so an uninterrupted run takes about `targetMs`,
      // longer than every kill's latest moment together: the kills then
      // all land while records flow, however fast the source reads. It
      // pauses once per batch.
      const targetMs = Math.max(
        records <= 20_000 ? 4_000 : 20_000,
        context.kills * killAfterMs[1] + 3_000,
      );
      const pauseMs = Math.max(
        1,
        Math.round(targetMs / (records / BROKER_BATCH_SIZE)),
      );
      const script = new URL("tests/crash/broker_child.ts", context.root)
        .pathname;
      const notes = [
        `${records} messages published first; no checkpoint store; the child pauses ${pauseMs} ms once per ${BROKER_BATCH_SIZE} records`,
      ];
      if (broker.note) notes.push(broker.note);
      return [{
        note: notes.join("; "),
        prepare: () => broker.prepare(records, payload),
        child: {
          command: context.deno,
          args: [
            "run",
            "-A",
            script,
            init.source,
            output,
            String(records),
            JSON.stringify(broker.options),
          ],
          env: {
            CA_CRASH_BATCH_SIZE: String(BROKER_BATCH_SIZE),
            CA_CRASH_PAUSE_EVERY: String(BROKER_BATCH_SIZE),
            CA_CRASH_PAUSE_MS: String(pauseMs),
          },
        },
        killAfterMs: killAfterMs as [number, number],
        deliveredCount: () => countLines(output),
        delivered: () => readIds(output),
        expected: () => true,
        replay: init.replay,
        ...(init.order ? { order: init.order } : {}),
        // A server that is down fails the run in prepare(): say so once.
        cleanup: () =>
          broker.cleanup().catch((error) =>
            console.error(
              `  cleanup of ${init.source}: ${(error as Error).message}`,
            )
          ),
      }];
    },
  };
}

/** A name no other run uses: `ca-crash-<what>-<random>`. */
export function uniqueName(what: string): string {
  return `ca-crash-${what}-${crypto.randomUUID().slice(0, 8)}`;
}
