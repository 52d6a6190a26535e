// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * The part of a nats.js v3 connection (`NatsConnection`) the connectors
 * name in their types; a connection of `@nats-io/transport-node` fits.
 *
 * @example Tell whether a connection is still open
 * ```ts
 * import type { NatsConnectionLike } from "@ca/streams/nats";
 *
 * const isOpen = (connection: NatsConnectionLike) => !connection.isClosed();
 * const stub: NatsConnectionLike = {
 *   isClosed: () => false,
 *   flush: () => Promise.resolve(),
 *   close: () => Promise.resolve(),
 * };
 * if (!isOpen(stub)) throw new Error("unexpected");
 * ```
 */
export interface NatsConnectionLike {
  /** Whether the connection is closed for good. */
  isClosed(): boolean;
  /** Resolves once the server has seen everything sent before it. */
  flush(): Promise<void>;
  /** Closes the connection. */
  close(): Promise<void>;
}
