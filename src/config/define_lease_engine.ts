// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import type { LeaseEngine } from "../cluster/lease_engine.ts";
import { checkDefinition } from "./check_definition.ts";
import type { StandardSchemaV1 } from "./standard_schema.ts";

/**
 * What a lease engine definition's `create` receives besides its args.
 *
 * @example Open a registered lease engine with a context
 * ```ts
 * import { builtinDefinitions, Registry } from "@ca/streams/config";
 * import type { LeaseEngineContext } from "@ca/streams/config";
 *
 * const context: LeaseEngineContext = {
 *   baseUrl: "file:///srv/host/",
 *   signal: new AbortController().signal,
 * };
 * const memory = new Registry(builtinDefinitions()).get("leaseEngine", "memory")!;
 * const leases = await memory.create({ ttlMs: 5_000 }, context);
 * if (leases.ttlMs !== 5_000) throw new Error("unexpected");
 * await leases.close();
 * ```
 */
export interface LeaseEngineContext {
  /**
   * The URL of the host's root directory (`ca serve --root`), ending with
   * `/`: resolve relative paths in args (TLS files) against it (`new
   * URL(args.path, baseUrl)`).
   */
  baseUrl: string;
  /** Aborted when the host stops. */
  signal: AbortSignal;
}

/**
 * A lease engine the hosts of a cluster share to run each connector on one
 * host at a time: its args schema (any Standard Schema) validates the
 * engine's settings (without `type`), and `create` opens the engine.
 *
 * @typeParam Args The args after validation.
 *
 * @example List the lease engines a cluster may use
 * ```ts
 * import { builtinDefinitions, Registry } from "@ca/streams/config";
 * import type { LeaseEngineDefinition } from "@ca/streams/config";
 *
 * const registry = new Registry(builtinDefinitions());
 * const engines: LeaseEngineDefinition[] = registry.list("leaseEngine");
 * const lines = engines.map((engine) => `${engine.name}: ${engine.description}`);
 * if (!lines[0]?.startsWith("memory: ")) throw new Error(`unexpected ${lines}`);
 * ```
 */
export interface LeaseEngineDefinition<Args = unknown> {
  /** The name a host is given as `type`: kebab-case, or scoped (`"acme/etcd"`). */
  readonly name: string;
  /** Always `"leaseEngine"`. */
  readonly kind: "leaseEngine";
  /** One sentence for `ca list` and generated docs. */
  readonly description: string;
  /**
   * Validates the engine's settings without their `type` key (`{ url,
   * ttlMs }` of `{ type: postgres, url, ttlMs }`); its output goes to
   * `create`. Check what can be checked without connecting (a URL's
   * scheme, a ttl's range) so that a host refuses bad settings before it
   * starts.
   */
  readonly args: StandardSchemaV1<unknown, Args>;
  /**
   * Opens the engine. Called by a host, once, when it starts. The engine's
   * `close()` must release everything `create` opened (a client, a
   * connection).
   *
   * @param args The validated args.
   * @param context The host's root directory and a signal.
   * @returns The engine, or a promise of it.
   */
  create(
    args: Args,
    context: LeaseEngineContext,
  ): LeaseEngine | Promise<LeaseEngine>;
}

/**
 * Checks a lease engine definition and returns it, typed: `Args` is
 * inferred from the args schema, so `create` sees validated, typed args.
 * Register it in a {@linkcode Registry}, or export it from a module, and
 * the hosts of a cluster can share leases through it.
 *
 * @typeParam Args The args after validation.
 * @param definition The name, description, args schema and `create`.
 * @returns The definition, with `kind: "leaseEngine"`.
 * @throws {TypeError} When a field is wrong: the message names it.
 *
 * @example A memory lease engine that counts acquires
 * ```ts
 * import { memoryLeaseEngine } from "@ca/streams/host";
 * import { defineLeaseEngine } from "@ca/streams/config";
 * import * as z from "zod/mini";
 *
 * let acquires = 0;
 * export const countingEngine = defineLeaseEngine({
 *   name: "counting-memory",
 *   description: "Leases in memory, acquires counted.",
 *   args: z.strictObject({}),
 *   create() {
 *     const engine = memoryLeaseEngine();
 *     return { ...engine, acquire: (...args) => (acquires++, engine.acquire(...args)) };
 *   },
 * });
 * const leases = await countingEngine.create({}, {
 *   baseUrl: "file:///srv/",
 *   signal: new AbortController().signal,
 * });
 * await leases.acquire("connector/demo", "host-a", "{}");
 * if (acquires !== 1) throw new Error("expected one acquire");
 * ```
 */
export function defineLeaseEngine<Args>(
  definition:
    & Omit<LeaseEngineDefinition<Args>, "kind">
    & { kind?: "leaseEngine" },
): LeaseEngineDefinition<Args> {
  const made = { ...definition, kind: definition.kind ?? "leaseEngine" };
  checkDefinition(made, "define leaseEngine", ["leaseEngine"]);
  return made as LeaseEngineDefinition<Args>;
}
