// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * One message of a live tap (`ConnectorHost.tap()`, and each WebSocket
 * message of `GET /connectors/{id}/tap`, as JSON): the sampled records of
 * the stage that came since the previous message, oldest first, and how
 * many sampled records this tap lost so far because its reader was slow.
 *
 * @example Show what a tap delivers
 * ```ts
 * import type { TapMessage } from "@ca/streams/host";
 *
 * const message: TapMessage = JSON.parse('{"records":[{"id":7},{"id":9}],"dropped":120}');
 * const line = `${message.records.length} records (${message.dropped} lost so far)`;
 * if (line !== "2 records (120 lost so far)") throw new Error(line);
 * ```
 */
export interface TapMessage {
  /**
   * The sampled records, as the stage emitted them (copies taken when they
   * were sampled, so a later stage changing a record does not show).
   */
  records: unknown[];
  /**
   * Sampled records this tap dropped since it opened, because its queue
   * was full (its reader did not keep up). Records that sampling left out
   * are not counted.
   */
  dropped: number;
}
