// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { ClusterOptions } from "../cluster/cluster_options.ts";
import type { DefinitionStore } from "../definition_store/definition_store.ts";
import type { ConnectorRunner } from "./connector_runner.ts";

/**
 * Options of a `ConnectorHost`.
 *
 * @example A host with tokens, quick recovery and a small body limit
 * ```ts
 * import { ConnectorHost, memoryDefinitionStore } from "@ca/streams/host";
 * import type { ConnectorHostOptions, ConnectorRunner } from "@ca/streams/host";
 *
 * const runner: ConnectorRunner = {
 *   check: () => Promise.resolve([]),
 *   start: () => { throw new Error("not in this example"); },
 *   reset: () => Promise.resolve(),
 * };
 * const options: ConnectorHostOptions = {
 *   definitions: memoryDefinitionStore(),
 *   runner,
 *   tokens: { admin: ["s3cret-admin"], viewer: ["s3cret-viewer"] },
 *   recovery: { initialDelayMs: 100, maxDelayMs: 5_000, maxRetries: 5, windowMs: 60_000 },
 *   maxBodyBytes: 64 * 1024,
 * };
 * const host = new ConnectorHost(options);
 * await host.start();
 * const anonymous = await host.fetch(new Request("http://host/connectors"));
 * if (anonymous.status !== 401) throw new Error(`unexpected ${anonymous.status}`);
 * await host.stop();
 * ```
 */
export interface ConnectorHostOptions {
  /** Where the connectors' definitions are kept, event-sourced. The host does not close it. */
  definitions: DefinitionStore;
  /** What checks, starts and resets connectors. */
  runner: ConnectorRunner;
  /**
   * The bearer tokens of each role: `admin` may do everything, `viewer` may
   * read (the `GET` endpoints and the metrics). When `tokens` is given, every
   * request but `GET /healthz`, `GET /readyz` and a CORS preflight needs an
   * `Authorization: Bearer TOKEN` header with one of them (401 otherwise,
   * 403 for a viewer changing something). Without `tokens` nothing is
   * checked: for tests and for embedding behind one's own checks.
   */
  tokens?: { admin?: readonly string[]; viewer?: readonly string[] };
  /**
   * How transient failures are retried: a restart from the checkpoint after
   * `initialDelayMs` (default 1000), doubling up to `maxDelayMs` (default
   * 600000, ten minutes), at most `maxRetries` (default 10) within
   * `windowMs` (default 3600000, an hour); one more failure leaves the
   * connector `degraded`.
   */
  recovery?: {
    initialDelayMs?: number;
    maxDelayMs?: number;
    maxRetries?: number;
    windowMs?: number;
  };
  /** The largest request body taken, in bytes (413 above it). Default 1 MiB. */
  maxBodyBytes?: number;
  /**
   * Answer cross-origin requests from `origin` (`"https://ops.example.com"`,
   * or `"*"`): CORS headers on every answer, and `OPTIONS` preflights. No
   * CORS headers without it.
   */
  cors?: { origin: string };
  /** The clock, in ms since the epoch, for event times, `updatedAt`, rates and the retry window. Default `Date.now`. */
  now?: () => number;
  /**
   * Join a cluster: the hosts given the same definition store and lease
   * engine share the enabled connectors, each running on one host at a
   * time (see {@linkcode ClusterOptions}). Without it the host runs every
   * enabled connector itself.
   */
  cluster?: ClusterOptions;
  /**
   * Told what the host does in its cluster, one line each (joined, lost its
   * membership, took a connector, handed one over, lost a connector's
   * lease and aborted it), for an operator's log. `level` is `"error"`
   * for a lease lost. Default: nothing is told.
   */
  clusterLog?: (level: "info" | "error", message: string) => void;
}
