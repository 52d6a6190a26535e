/**
 * What the cluster benchmark reads of processes from Linux's `/proc`: the
 * `ca serve` hosts it started (found by their `--host-id`, since the
 * shared spawner does not expose pids), their descendants, resident memory
 * and CPU time.
 *
 * @module
 */

/** Clock ticks per second of `/proc/PID/stat` times (Linux: 100). */
const TICKS = 100;

/** A process's CPU time and resident memory at one moment. */
export interface ProcessSample {
  /** User + system CPU time, in µs. */
  cpuMicros: number;
  /** Resident set size, in bytes. */
  rssBytes: number;
  /**
   * Proportional set size, in bytes: shared pages divided among the
   * processes that map them (what a sum over PostgreSQL's backends means).
   */
  pssBytes: number;
}

interface ProcEntry {
  pid: number;
  ppid: number;
  cmdline: string[];
}

async function entries(): Promise<ProcEntry[]> {
  const out: ProcEntry[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cmdline = (await Deno.readTextFile(`/proc/${entry.name}/cmdline`))
        .split("\0").filter((part) => part !== "");
      out.push({ pid: Number(entry.name), ppid: Number(fields[1]), cmdline });
    } catch {
      // It ended meanwhile.
    }
  }
  return out;
}

/**
 * The pids of the `ca serve` processes started with `--host-id ID`, by id,
 * each with its descendants (runners in child processes, if any).
 *
 * @param ids the host ids
 * @returns by host id, the pids of its process tree (empty when not found)
 */
export async function hostProcesses(
  ids: readonly string[],
): Promise<Map<string, number[]>> {
  const all = await entries();
  const children = new Map<number, number[]>();
  for (const e of all) {
    children.set(e.ppid, [...(children.get(e.ppid) ?? []), e.pid]);
  }
  const tree = (pid: number): number[] => [
    pid,
    ...(children.get(pid) ?? []).flatMap(tree),
  ];
  const found = new Map<string, number[]>();
  for (const id of ids) {
    const root = all.find((e) => {
      const at = e.cmdline.indexOf("--host-id");
      return e.cmdline.includes("serve") && at !== -1 &&
        e.cmdline[at + 1] === id;
    });
    found.set(id, root === undefined ? [] : tree(root.pid));
  }
  return found;
}

/**
 * The pids of a process and its descendants.
 *
 * @param pid the root
 * @returns the root and every descendant
 */
export async function processTree(pid: number): Promise<number[]> {
  const all = await entries();
  const children = new Map<number, number[]>();
  for (const e of all) {
    children.set(e.ppid, [...(children.get(e.ppid) ?? []), e.pid]);
  }
  const tree = (p: number): number[] => [
    p,
    ...(children.get(p) ?? []).flatMap(tree),
  ];
  return tree(pid);
}

/**
 * The summed CPU time and RSS of some processes; ended ones count 0.
 *
 * @param pids the processes
 * @returns their sums
 */
export async function sample(pids: readonly number[]): Promise<ProcessSample> {
  let cpuMicros = 0;
  let rssBytes = 0;
  let pssBytes = 0;
  for (const pid of pids) {
    try {
      const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // Fields from 3 (state) on: utime is field 14, stime 15, rss 24.
      cpuMicros += (Number(fields[11]) + Number(fields[12])) * 1e6 / TICKS;
      const status = await Deno.readTextFile(`/proc/${pid}/status`);
      const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
      rssBytes += kb * 1024;
      const rollup = await Deno.readTextFile(`/proc/${pid}/smaps_rollup`)
        .catch(() => "");
      pssBytes += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
    } catch {
      // It ended.
    }
  }
  return { cpuMicros, rssBytes, pssBytes };
}
