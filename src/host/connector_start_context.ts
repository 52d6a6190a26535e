// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/**
 * What a host tells its runner when it starts a connector
 * (`ConnectorRunner.start(id, config, context)`).
 *
 * @example A runner that refuses commits once the lease is lost
 * ```ts
 * import { FencedError } from "@ca/streams";
 * import type { ConnectorStartContext } from "@ca/streams/host";
 *
 * function guardCommit(id: string, context: ConnectorStartContext): void {
 *   if (context.holdsLease !== undefined && !context.holdsLease()) {
 *     throw new FencedError(id, 0);
 *   }
 * }
 * guardCommit("orders", { holdsLease: () => true });
 * ```
 */
export interface ConnectorStartContext {
  /**
   * In a cluster: whether this host still holds the connector's lease, on
   * its own clock. Once it returns false the host is about to abort the
   * run; the runner must commit no checkpoint from then on (a paused
   * process that wakes up after its lease expired commits nothing before
   * the host notices). The checkpoint store's generations fence the rest.
   */
  holdsLease?: () => boolean;
  /**
   * In a cluster, for a connector with `parallelism` above 1: which of its
   * instances this is (`index` from 0) and how many there are. Instance
   * `i` runs under the pipeline id `ID.i`, with its own checkpoints.
   */
  instance?: { index: number; count: number };
}
