// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * The NATS lease engine found its bucket made for another ttl: the
 * bucket's `max_age` (how long the server keeps a key not rewritten) is
 * what expires leases, so every engine on the bucket must use the same
 * `ttlMs`. Change `ttlMs`, or delete the bucket (`nats kv del BUCKET`)
 * while no host uses it.
 *
 * @example Tell a bucket made for another ttl from other errors
 * ```ts
 * import { NatsLeaseEngineError } from "@ca/streams/nats";
 *
 * const error = new NatsLeaseEngineError("ca_leases", 30_000, 10_000);
 * if (error.code !== "CA_ERR_NATS_LEASE_BUCKET") throw new Error("unexpected");
 * if (error.message !== "Cannot open lease bucket ca_leases: its max_age is 30000 ms, ttlMs is 10000") {
 *   throw new Error(error.message);
 * }
 * ```
 */
export class NatsLeaseEngineError extends Error {
  /** Stable code to match on. */
  readonly code: "CA_ERR_NATS_LEASE_BUCKET" = "CA_ERR_NATS_LEASE_BUCKET";
  /** The bucket's name. */
  readonly bucket: string;
  /** The bucket's `max_age`, in ms. */
  readonly maxAgeMs: number;
  /** The engine's `ttlMs`. */
  readonly ttlMs: number;

  /**
   * Creates the error.
   *
   * @param bucket The bucket's name.
   * @param maxAgeMs The bucket's `max_age`, in ms.
   * @param ttlMs The engine's `ttlMs`.
   */
  constructor(bucket: string, maxAgeMs: number, ttlMs: number) {
    super(
      `Cannot open lease bucket ${bucket}: its max_age is ${maxAgeMs} ms, ttlMs is ${ttlMs}`,
    );
    this.name = "NatsLeaseEngineError";
    this.bucket = bucket;
    this.maxAgeMs = maxAgeMs;
    this.ttlMs = ttlMs;
  }
}
