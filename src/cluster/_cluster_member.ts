// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

import { describeError } from "../errors/describe_error.ts";
import { describeValue } from "../util/describe_value.ts";
import type { ClusterOptions } from "./cluster_options.ts";
import type { Lease, LeaseEngine, LeaseInfo } from "./lease_engine.ts";
import type { PlacementHost } from "./_plan_placement.ts";

const ID_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;
const HOST_PREFIX = "host/";
const UNIT_PREFIX = "connector/";

/** A live host as its membership lease describes it. */
export interface ClusterHost extends PlacementHost {
  url: string | null;
  startedAt: string | null;
}

/** What the cluster looks like now: the live hosts and who holds which unit. */
export interface ClusterView {
  hosts: ClusterHost[];
  /** The live unit leases, by unit key. */
  units: Map<string, LeaseInfo>;
}

/**
 * One host's side of the leases: its membership (`host/ID`), the unit
 * leases it holds (`connector/KEY`), and how long it may trust them on its
 * own clock. The host drives it from its loop; nothing here runs by itself.
 */
export class ClusterMember {
  readonly hostId: string;
  readonly labels: readonly string[];
  readonly url: string | null;
  readonly renewEveryMs: number;
  readonly leases: LeaseEngine;
  #startedAt: string;
  #membership: Lease | undefined;
  #held = new Map<string, Lease>();
  /** Until when (on the monotonic clock) every lease held is surely still ours. */
  #validUntil = -Infinity;
  /** Why the last renewal or join failed, for the API. */
  lastError: string | null = null;

  constructor(options: ClusterOptions, now: () => number) {
    const fail = (message: string) =>
      new TypeError(`Cannot join the cluster: ${message}`);
    if (typeof options !== "object" || options === null) {
      throw fail(`cluster must be an object, got ${describeValue(options)}`);
    }
    const { leases, hostId, labels = [], url, renewEveryMs } = options;
    if (
      typeof leases !== "object" || leases === null ||
      (["acquire", "renew", "release", "list"] as const).some((method) =>
        typeof leases[method] !== "function"
      ) || !(typeof leases.ttlMs === "number" && leases.ttlMs > 0)
    ) {
      throw fail(
        `cluster.leases must be a lease engine (acquire, renew, release, list, ttlMs), got ${
          describeValue(leases)
        }`,
      );
    }
    if (typeof hostId !== "string" || !ID_PATTERN.test(hostId)) {
      throw fail(
        `cluster.hostId must be 1-100 characters of A-Z a-z 0-9 . _ -, got ${
          describeValue(hostId)
        }`,
      );
    }
    if (
      !Array.isArray(labels) ||
      labels.some((label) => typeof label !== "string" || label === "")
    ) {
      throw fail(
        `cluster.labels must be an array of non-empty strings, got ${
          describeValue(labels)
        }`,
      );
    }
    if (url !== undefined && typeof url !== "string") {
      throw fail(`cluster.url must be a string, got ${describeValue(url)}`);
    }
    const ttlMs = leases.ttlMs;
    if (
      renewEveryMs !== undefined &&
      !(typeof renewEveryMs === "number" && renewEveryMs > 0 &&
        renewEveryMs <= ttlMs / 2)
    ) {
      throw new RangeError(
        `Cannot join the cluster: cluster.renewEveryMs must be a number above 0 and at most half the lease time (${ttlMs} ms), got ${
          describeValue(renewEveryMs)
        }`,
      );
    }
    this.hostId = hostId;
    this.labels = [...labels];
    this.url = url ?? null;
    this.leases = leases;
    this.renewEveryMs = renewEveryMs ?? ttlMs / 4;
    this.#startedAt = new Date(now()).toISOString();
  }

  /** Whether the host is a member now (its membership lease renewed in time). */
  get joined(): boolean {
    return this.#membership !== undefined && this.valid();
  }

  /** Whether the leases held are surely still this host's, on its own clock. */
  valid(): boolean {
    return performance.now() < this.#validUntil;
  }

  /** How long the leases held may still be trusted, in ms (0 when not). */
  remainingMs(): number {
    return Math.max(0, this.#validUntil - performance.now());
  }

  /** Whether this host holds `key`'s lease and may still trust it. */
  holds(key: string): boolean {
    return this.#held.has(key) && this.valid();
  }

  /** The unit keys this host holds leases of. */
  held(): string[] {
    return [...this.#held.keys()];
  }

  /**
   * Renews the membership and every unit lease in one call (joining first
   * when not a member), with each unit's data from `dataOf`.
   *
   * @returns The unit keys whose leases were lost (expired, or taken by
   * another host meanwhile): their runs must end at once. All of them when
   * the leases can no longer be trusted (the engine failed for longer than
   * their time).
   */
  async renew(dataOf: (key: string) => string): Promise<string[]> {
    const began = performance.now();
    const ttlMs = this.leases.ttlMs;
    // A call that hangs must not keep the host trusting its leases.
    const signal = AbortSignal.timeout(ttlMs / 2);
    try {
      if (this.#membership === undefined) {
        this.#membership = await this.leases.acquire(
          HOST_PREFIX + this.hostId,
          this.hostId,
          this.#memberData(),
          { signal },
        );
        if (this.#membership === undefined) {
          this.lastError =
            `host id "${this.hostId}" is held by a live lease (another host with this id, or this host before a restart; it expires within ${ttlMs} ms)`;
          return this.#forgetAll();
        }
        if (this.#held.size === 0) {
          this.#validUntil = began + ttlMs * 0.9;
          this.lastError = null;
          return [];
        }
      }
      const keys = [...this.#held.keys()];
      const renewed = await this.leases.renew([
        { ...this.#membership, data: this.#memberData() },
        ...keys.map((key) => ({ ...this.#held.get(key)!, data: dataOf(key) })),
      ], { signal });
      const lost: string[] = [];
      keys.forEach((key, index) => {
        const lease = renewed[index + 1];
        if (lease === undefined) {
          this.#held.delete(key);
          lost.push(key);
        } else if (this.#held.has(key)) {
          this.#held.set(key, lease);
        }
      });
      this.#membership = renewed[0];
      if (this.#membership === undefined) {
        // Others saw this host gone: it joins again next time, as new.
        this.lastError = "the membership lease expired";
        return [...lost, ...this.#forgetAll()];
      }
      this.#validUntil = began + ttlMs * 0.9;
      this.lastError = null;
      return lost;
    } catch (error) {
      this.lastError = `the lease engine failed: ${describeError(error)}`;
      return this.valid() ? [] : this.#forgetAll();
    }
  }

  /** The live hosts and the unit leases, from the engine. */
  async view(): Promise<ClusterView> {
    const signal = AbortSignal.timeout(this.leases.ttlMs / 2);
    const [hostLeases, unitLeases] = await Promise.all([
      this.leases.list(HOST_PREFIX, { signal }),
      this.leases.list(UNIT_PREFIX, { signal }),
    ]);
    const hosts: ClusterHost[] = hostLeases.map((lease) => {
      const data = parseObject(lease.data);
      return {
        id: lease.name.slice(HOST_PREFIX.length),
        labels: Array.isArray(data.labels)
          ? data.labels.filter((label) => typeof label === "string")
          : [],
        url: typeof data.url === "string" ? data.url : null,
        startedAt: typeof data.startedAt === "string" ? data.startedAt : null,
      };
    });
    const units = new Map<string, LeaseInfo>();
    for (const lease of unitLeases) {
      units.set(lease.name.slice(UNIT_PREFIX.length), lease);
    }
    return { hosts, units };
  }

  /** Takes `key`'s lease when free. @returns Whether this host holds it now. */
  async acquire(key: string, data: string): Promise<boolean> {
    if (!this.joined) return false;
    if (this.#held.has(key)) return true;
    const lease = await this.leases.acquire(
      UNIT_PREFIX + key,
      this.hostId,
      data,
      { signal: AbortSignal.timeout(this.leases.ttlMs / 2) },
    );
    if (lease === undefined || !this.joined) {
      if (lease !== undefined) await this.leases.release(lease);
      return false;
    }
    this.#held.set(key, lease);
    return true;
  }

  /** Releases `key`'s lease, when held (after its run ended and committed). */
  async release(key: string): Promise<void> {
    const lease = this.#held.get(key);
    if (lease === undefined) return;
    this.#held.delete(key);
    if (this.valid()) await this.leases.release(lease).catch(() => {});
  }

  /** Releases every lease, the membership last: for a host that stops. */
  async leave(): Promise<void> {
    await Promise.all(this.held().map((key) => this.release(key)));
    const membership = this.#membership;
    this.#membership = undefined;
    if (membership !== undefined) {
      await this.leases.release(membership).catch(() => {});
    }
  }

  /** Forgets every unit lease (without releasing: they may be another's by now). */
  #forgetAll(): string[] {
    const keys = [...this.#held.keys()];
    this.#held.clear();
    this.#validUntil = -Infinity;
    return keys;
  }

  #memberData(): string {
    return JSON.stringify({
      labels: this.labels,
      url: this.url,
      startedAt: this.#startedAt,
    });
  }
}

/** Parses a lease's data as a JSON object; anything else gives `{}`. */
export function parseObject(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? value
      : {};
  } catch {
    return {};
  }
}
