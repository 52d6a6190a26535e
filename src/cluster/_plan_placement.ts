// Copyright 2026 the @ca/streams authors. MIT license.
// This module is browser compatible.

/** A live host of the cluster, as its membership lease says. */
export interface PlacementHost {
  id: string;
  /** Its affinity labels. */
  labels: readonly string[];
}

/** Something to run on one host: a connector, or one instance of a parallel one. */
export interface PlacementUnit {
  /** Unique: the lease's name without its prefix (`orders`, `orders#2`). */
  key: string;
  /** The connector it belongs to: instances of one connector go to different hosts when they can. */
  connector: string;
  /** Labels a host must all have to run it (none: any host). */
  labels: readonly string[];
}

/**
 * Where every unit runs, computed alike by every host from the same view
 * (the live hosts, the units, who holds what now), so that hosts agree
 * without talking to each other; the leases settle the moments when their
 * views differ.
 *
 * The rules, in order:
 * - Quotas: n units over m hosts gives each host ⌊n/m⌋, and the first
 *   n mod m hosts by id one more. They depend on the hosts alone, never on
 *   who holds what, so a handoff under way cannot move them.
 * - A unit stays where it runs while its host is live, has the labels, runs
 *   no other instance of its connector, and is within its quota (a host
 *   over its quota keeps its first units by key and gives up the rest).
 * - The other units, those with the fewest possible hosts first, go each
 *   to the possible host with the most room left (its quota minus what it
 *   was given), then the fewest units, then the smallest id; a host that
 *   runs another instance of the same connector only when no other can.
 *
 * A unit no live host can run (its labels) is left out of the result.
 *
 * @returns The host id of every unit that can run, by unit key.
 */
export function planPlacement(
  hosts: readonly PlacementHost[],
  units: readonly PlacementUnit[],
  holders: ReadonlyMap<string, string>,
): Map<string, string> {
  // Each host once, whatever the view gave.
  const sortedHosts = [
    ...new Map(hosts.map((host) => [host.id, host])).values(),
  ]
    .sort((a, b) => compare(a.id, b.id));
  const sortedUnits = [...units].sort((a, b) => compare(a.key, b.key));
  const plan = new Map<string, string>();
  if (sortedHosts.length === 0) return plan;
  const base = Math.floor(sortedUnits.length / sortedHosts.length);
  const extra = sortedUnits.length % sortedHosts.length;
  const quota = new Map<string, number>();
  const given = new Map<string, number>();
  const byId = new Map<string, PlacementHost>();
  sortedHosts.forEach((host, index) => {
    quota.set(host.id, base + (index < extra ? 1 : 0));
    given.set(host.id, 0);
    byId.set(host.id, host);
  });
  /** Hosts given an instance of each connector. */
  const placed = new Map<string, Set<string>>();
  const place = (unit: PlacementUnit, host: string) => {
    plan.set(unit.key, host);
    given.set(host, given.get(host)! + 1);
    let hostsOf = placed.get(unit.connector);
    if (hostsOf === undefined) placed.set(unit.connector, hostsOf = new Set());
    hostsOf.add(host);
  };
  const fits = (unit: PlacementUnit, host: PlacementHost) =>
    unit.labels.every((label) => host.labels.includes(label));

  // Units stay where they run, within quotas.
  for (const unit of sortedUnits) {
    const holder = holders.get(unit.key);
    const host = holder === undefined ? undefined : byId.get(holder);
    if (
      host !== undefined && fits(unit, host) &&
      !placed.get(unit.connector)?.has(host.id) &&
      given.get(host.id)! < quota.get(host.id)!
    ) {
      place(unit, host.id);
    }
  }
  // The rest go where there is most room.
  const rest = sortedUnits
    .filter((unit) => !plan.has(unit.key))
    .map((unit) => ({
      unit,
      candidates: sortedHosts.filter((host) => fits(unit, host)),
    }))
    .filter(({ candidates }) => candidates.length > 0)
    .sort((a, b) =>
      a.candidates.length - b.candidates.length ||
      compare(a.unit.key, b.unit.key)
    );
  for (const { unit, candidates } of rest) {
    let best: PlacementHost | undefined;
    let bestScore: [number, number, number] | undefined;
    for (const host of candidates) {
      const score: [number, number, number] = [
        placed.get(unit.connector)?.has(host.id) ? 1 : 0,
        given.get(host.id)! - quota.get(host.id)!,
        given.get(host.id)!,
      ];
      if (lessThan(score, bestScore)) {
        best = host;
        bestScore = score;
      }
    }
    place(unit, best!.id);
  }
  return plan;
}

function lessThan(
  a: readonly number[],
  b: readonly number[] | undefined,
): boolean {
  if (b === undefined) return true;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i] < b[i];
  }
  return false;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
