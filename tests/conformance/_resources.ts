// Copyright 2026 the @ca/streams authors. MIT license.
// What a connector still holds, for the conformance harnesses' `leaks()`:
// this process's open files and sockets, read from /proc (Linux, on Deno
// and Node alike), and its active timers (process.getActiveResourcesInfo).
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import process from "node:process";

/** This process's file descriptors and what each points at. */
function descriptors(): Array<{ fd: string; target: string }> {
  const found: Array<{ fd: string; target: string }> = [];
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      found.push({ fd, target: readlinkSync(`/proc/self/fd/${fd}`) });
    } catch {
      // Closed between the listing and the read (the listing's own fd).
    }
  }
  return found;
}

/** Open files of this process inside `dir`, one description each. */
export function openFilesUnder(dir: string): string[] {
  return descriptors()
    .filter(({ target }) => target.startsWith(`${dir}/`))
    .map(({ fd, target }) => `file ${target.slice(dir.length + 1)} (fd ${fd})`);
}

const TCP_STATES: Record<string, string> = {
  "01": "established",
  "02": "syn-sent",
  "03": "syn-received",
  "04": "fin-wait-1",
  "05": "fin-wait-2",
  "06": "time-wait",
  "07": "closed",
  "08": "close-wait",
  "09": "last-ack",
  "0A": "listening",
  "0B": "closing",
};

/**
 * TCP sockets this process holds whose local port (a listener and the
 * connections it accepted) or remote port (connections dialled to it) is
 * one of `ports`.
 */
export function socketsOn(
  ports: Iterable<number>,
  side: "local" | "remote",
): string[] {
  const wanted = new Set(ports);
  const inodes = new Map<string, string>();
  for (const { fd, target } of descriptors()) {
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match) inodes.set(match[1]!, fd);
  }
  const found: string[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const [, local, remote, state] = fields;
      const inode = fields[9]!;
      const address = side === "local" ? local! : remote!;
      const port = parseInt(address.slice(address.lastIndexOf(":") + 1), 16);
      const fd = inodes.get(inode);
      if (wanted.has(port) && fd !== undefined) {
        found.push(
          `socket ${side === "local" ? "on" : "to"} port ${port}, ${
            TCP_STATES[state!] ?? state
          } (fd ${fd})`,
        );
      }
    }
  }
  return found;
}

/** How many timers are active in this process. */
export function activeTimers(): number {
  return process.getActiveResourcesInfo()
    .filter((resource) => resource === "Timeout").length;
}

/** Timers above `baseline`, as a leak description. */
export function timersAbove(baseline: number): string[] {
  const now = activeTimers();
  return now > baseline ? [`${now - baseline} timer(s)`] : [];
}
