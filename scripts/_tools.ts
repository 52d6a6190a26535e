/**
 * Small helpers shared by the check and build scripts.
 *
 * @module
 */

/**
 * Every file below `dir`, as paths relative to `root` (`dir` included),
 * sorted. A missing `dir` yields none.
 *
 * @param root the folder the paths are relative to
 * @param dir a folder below `root`, such as `src/` or `src`
 * @returns the files' paths, such as `src/a/b.ts`
 */
export async function filesUnder(root: URL, dir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    try {
      for await (const entry of Deno.readDir(new URL(rel, root))) {
        if (entry.isDirectory) await walk(`${rel}${entry.name}/`);
        else if (entry.isFile) files.push(`${rel}${entry.name}`);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  };
  await walk(dir.endsWith("/") ? dir : `${dir}/`);
  return files.sort();
}

/**
 * Runs a command to its end and returns what it printed on stdout.
 *
 * @param what what the command is for, such as `bundle` (for the error)
 * @param command the program, such as a path to `node_modules/.bin/deno`
 * @param args its arguments
 * @param cwd the folder it runs in
 * @returns its stdout, decoded
 * @throws {Error} "Cannot `what`: ..." with its stderr when it exits non-zero
 */
export async function commandOutput(
  what: string,
  command: string,
  args: string[],
  cwd: string,
): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    // The program's name, with its subcommand (`deno info`) if it has one.
    const sub = /^[a-z]+$/.test(args[0] ?? "") ? ` ${args[0]}` : "";
    const name = `${command.split("/").pop()}${sub}`;
    throw new Error(
      `Cannot ${what}: ${name} exited with ${code}: ${
        new TextDecoder().decode(stderr).trim()
      }`,
    );
  }
  return new TextDecoder().decode(stdout);
}

/**
 * The median of some numbers.
 *
 * @param values the numbers, at least one
 * @returns the middle value, or the mean of the two middle values
 */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A failure that ends a whole benchmark (bad arguments): its message is the output. */
export class BenchSetupError extends Error {}

/**
 * A benchmark option's integer value, at least `min`.
 *
 * @param name the option without its dashes, such as `records`
 * @param text the value given
 * @param min the least value allowed (default 1)
 * @returns the integer
 */
export function positiveInt(
  name: string,
  text: string | undefined,
  min = 1,
): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new BenchSetupError(
      `Cannot run the benchmark: --${name} needs an integer of at least ${min}, got ${text}`,
    );
  }
  return value;
}

/**
 * A benchmark option's comma-separated names, each one of `known`, in the
 * order of `known`.
 *
 * @param name the option without its dashes, such as `only`
 * @param text the value given
 * @param known the names allowed
 * @param nonEmpty whether an empty list is an error
 * @returns the names given
 */
export function list<T extends string>(
  name: string,
  text: string | undefined,
  known: readonly T[],
  nonEmpty = false,
): T[] {
  const names = (text ?? "").split(",").filter((n) => n !== "");
  if (nonEmpty && names.length === 0) {
    throw new BenchSetupError(
      `Cannot run the benchmark: --${name} needs a list`,
    );
  }
  for (const n of names) {
    if (!known.includes(n as T)) {
      throw new BenchSetupError(
        `Cannot run the benchmark: unknown --${name} ${n} (known: ${
          known.join(", ")
        })`,
      );
    }
  }
  return known.filter((k) => names.includes(k));
}

/**
 * A count for people: rounded, with thousands separators.
 *
 * @param n the count
 * @returns such as `1,234,567`
 */
export function thousands(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/**
 * Runs a benchmark's `main` and exits with its code; a `BenchSetupError`
 * (a server missing, a bad flag) is printed through `log` and exits 1,
 * any other error is thrown as is.
 */
export async function runBench(
  main: () => Promise<number>,
  log: (line: string) => void,
): Promise<never> {
  try {
    Deno.exit(await main());
  } catch (error) {
    if (!(error instanceof BenchSetupError)) throw error;
    log(error.message);
    Deno.exit(1);
  }
}

/** The machine in one line: CPU model, logical cores, memory, OS. */
export async function machineLine(): Promise<string> {
  let model = "unknown CPU";
  try {
    const info = await Deno.readTextFile("/proc/cpuinfo");
    model = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? model;
  } catch {
    // Not Linux.
  }
  const memory = Deno.systemMemoryInfo().total / 1024 ** 3;
  return `${model}, ${navigator.hardwareConcurrency} logical cores, ${
    memory.toFixed(1)
  } GiB, ${Deno.build.os} ${Deno.osRelease()}`;
}

/** The load averages (1, 5, 15 min), as `"0.52 0.61 0.70"`. */
export function loadAverage(): string {
  return Deno.loadavg().map((n) => n.toFixed(2)).join(" ");
}
