/**
 * Checks the layers of the repository (`npm test` step `layers`), after Deno
 * std's circular-import lint (`_tools/check_circular_package_dependencies.ts`):
 *
 * 1. the folders of `src/` and `connectors/` (`src/pipeline`,
 *    `connectors/cli`, ...; nested folders count as their top folder) form a
 *    graph without cycles;
 * 2. nothing in `src/` or `mod.ts` imports from `connectors/`;
 * 3. nothing in `src/` or `mod.ts` imports a runtime module: `node:*`,
 *    `cloudflare:*`, `npm:*`/`jsr:*`/`http(s):*` specifiers, or a package
 *    that `package.json` does not list under `dependencies` (the
 *    web-standard ones; `ws`, `redis`, `postgres` are runtime packages).
 *    Use of `Deno` and `process` is the `tsc-web` step's business.
 *
 * The import graph comes from `deno info --json` (Deno's own module graph:
 * static and dynamic imports with literal specifiers, `export ... from`,
 * `import type`; bare specifiers resolved through `deno.json` "imports") over
 * every `.ts` file of `src/`, `connectors/` and `mod.ts` except `*_test.ts`.
 * Type-only imports count as edges (marked `type` in the output): a folder
 * cycle through types is still a cycle in the source.
 *
 * Usage: `deno run -A scripts/check_layers.ts [--root DIR] [--graph]`
 * (`--root` checks another checkout, `--graph` prints every folder edge).
 * Exits 1 when a rule is broken, naming every offending import as file:line.
 *
 * @module
 */

import { readManifests } from "./_manifest.ts";
import { commandOutput, filesUnder } from "./_tools.ts";

const DENO = decodeURIComponent(
  new URL("../node_modules/.bin/deno", import.meta.url).pathname,
);

/** One import of one file. */
export interface Import {
  /** Repository-relative path of the importing file. */
  from: string;
  /** 1-based line of the specifier. */
  line: number;
  /** The specifier as written. */
  specifier: string;
  /** Resolved URL (`file:`, `node:`, ...), or undefined when it did not resolve. */
  resolved?: string;
  kind: "static" | "dynamic" | "type";
  /** Resolution error from `deno info`. */
  error?: string;
}

/** An edge between two folders, with the first import seen that makes it. */
export interface FolderEdge {
  from: string;
  to: string;
  example: Import;
  count: number;
}

interface DenoInfoDependency {
  specifier: string;
  code?: DenoInfoResolved;
  type?: DenoInfoResolved;
  isDynamic?: boolean;
}
interface DenoInfoResolved {
  specifier?: string;
  error?: string;
  span?: { start: { line: number } };
}
interface DenoInfoModule {
  specifier: string;
  kind?: string;
  error?: string;
  dependencies?: DenoInfoDependency[];
}

/** Every `.ts` file below `dir` (repository-relative), tests left out. */
async function sourceFiles(root: URL, dir: string): Promise<string[]> {
  return (await filesUnder(root, dir)).filter((path) =>
    /\.(ts|mts|tsx)$/.test(path) && !/_test\.(ts|mts|tsx)$/.test(path)
  );
}

/**
 * The folder a repository-relative file belongs to for the layer graph.
 *
 * @param path such as `src/config/builtins/set.ts`
 * @returns `src/config`, `connectors/cli`, `mod.ts`, or undefined outside the layers
 */
export function folderOf(path: string): string | undefined {
  if (path === "mod.ts") return "mod.ts";
  const m = /^(src|connectors)\/([^/]+)\//.exec(path);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

/**
 * Reads every import of the given files through `deno info --json`.
 *
 * @param root the repository root
 * @param files repository-relative files
 * @returns the imports, one per (file, specifier)
 */
export async function readImports(
  root: URL,
  files: string[],
): Promise<Import[]> {
  const tmp = await Deno.makeTempDir({ prefix: "check_layers_" });
  try {
    const entry = `${tmp}/all.ts`;
    await Deno.writeTextFile(
      entry,
      files.map((f) => `import ${JSON.stringify(new URL(f, root).href)};`)
        .join("\n") + "\n",
    );
    const config = new URL("deno.json", root);
    const stdout = await commandOutput(
      "read the import graph",
      DENO,
      [
        "info",
        "--json",
        "--config",
        decodeURIComponent(config.pathname),
        entry,
      ],
      decodeURIComponent(root.pathname),
    );
    const info = JSON.parse(stdout) as { modules: DenoInfoModule[] };
    const rootHref = root.href;
    const wanted = new Set(files);
    const imports: Import[] = [];
    for (const mod of info.modules) {
      if (!mod.specifier.startsWith(rootHref)) continue;
      const from = decodeURIComponent(mod.specifier.slice(rootHref.length));
      if (!wanted.has(from)) continue;
      for (const dep of mod.dependencies ?? []) {
        const resolved = dep.code ?? dep.type;
        if (!resolved) continue;
        imports.push({
          from,
          line: (resolved.span?.start.line ?? -1) + 1,
          specifier: dep.specifier,
          resolved: resolved.specifier,
          kind: dep.code ? (dep.isDynamic ? "dynamic" : "static") : "type",
          error: resolved.error,
        });
      }
    }
    return imports;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

/**
 * Strongly connected components of a directed graph (Tarjan).
 *
 * @param nodes the nodes
 * @param next the successors of a node
 * @returns the components of more than one node, each sorted
 */
export function cycles(
  nodes: string[],
  next: (node: string) => string[],
): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const v of [...nodes].sort()) if (!indices.has(v)) visit(v);
  return out;
}

/**
 * The shortest cycle through `start` inside a component (breadth first).
 *
 * @returns the nodes of the cycle, starting and ending with `start`
 */
function shortestCycle(
  start: string,
  inside: Set<string>,
  next: (node: string) => string[],
): string[] | undefined {
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of next(v)) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(parent.get(path[0])!);
        return [...path, start];
      }
      if (!parent.has(w) && w !== start) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return undefined;
}

function where(i: Import): string {
  return `${i.from}:${i.line} ${i.kind === "static" ? "" : `(${i.kind}) `}` +
    `"${i.specifier}"`;
}

/** The npm package of a path below `node_modules/` (`@types/x` counts as `x`). */
function packageName(path: string): string {
  const parts = path.split("/");
  const name = parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  return name.startsWith("@types/") ? name.slice("@types/".length) : name;
}

/** Runs the check; returns the process exit code. */
export async function main(args: string[]): Promise<number> {
  let root = new URL("../", import.meta.url);
  let graph = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--root") {
      const dir = args[++i];
      if (!dir) throw new TypeError("Cannot parse arguments: --root needs DIR");
      const abs = dir.startsWith("/") ? dir : `${Deno.cwd()}/${dir}`;
      root = new URL(`file://${abs.replace(/\/?$/, "/")}`);
    } else if (args[i] === "--graph") graph = true;
    else {
      throw new TypeError(
        `Cannot parse arguments: unknown argument ${JSON.stringify(args[i])}`,
      );
    }
  }
  const { pkg } = await readManifests(root);
  const webPackages = new Set(Object.keys(pkg.dependencies ?? {}));

  const files = [
    "mod.ts",
    ...await sourceFiles(root, "src/"),
    ...await sourceFiles(root, "connectors/"),
  ];
  const imports = await readImports(root, files);

  const problems: string[] = [];
  const edges = new Map<string, FolderEdge>();
  for (const i of imports) {
    if (i.error || !i.resolved) {
      problems.push(
        `unresolved import: ${where(i)}: ${i.error ?? "no target"}`,
      );
      continue;
    }
    const fromFolder = folderOf(i.from)!;
    const core = i.from === "mod.ts" || i.from.startsWith("src/");
    let target: string | undefined;
    if (i.resolved.startsWith(root.href)) {
      target = decodeURIComponent(i.resolved.slice(root.href.length));
    }
    if (core) {
      const runtime = (() => {
        if (!i.resolved.startsWith("file:")) {
          return `runtime module ${i.resolved}`;
        }
        if (/^(npm|jsr|node|cloudflare|https?):/.test(i.specifier)) {
          return `runtime specifier ${i.specifier}`;
        }
        const inModules = i.resolved.lastIndexOf("/node_modules/");
        if (inModules >= 0) {
          const name = packageName(decodeURIComponent(
            i.resolved.slice(inModules + "/node_modules/".length),
          ));
          if (!webPackages.has(name)) {
            return `package "${name}" (not in package.json dependencies)`;
          }
          return undefined;
        }
        if (target === undefined) return `file outside the repository`;
        return undefined;
      })();
      if (runtime) {
        problems.push(
          `core imports a ${runtime}: ${
            where(i)
          } (src/ and mod.ts stay web-standard; move it under connectors/)`,
        );
      }
      if (target?.startsWith("connectors/")) {
        problems.push(
          `src/ imports connectors/: ${
            where(i)
          } -> ${target} (core code must not depend on connectors; move the shared part into src/)`,
        );
      }
    }
    const toFolder = target === undefined ? undefined : folderOf(target);
    if (toFolder === undefined || toFolder === fromFolder) continue;
    const key = `${fromFolder}\0${toFolder}`;
    const edge = edges.get(key);
    if (edge) {
      edge.count++;
      // Prefer a runtime import as the example over a type-only one.
      if (edge.example.kind === "type" && i.kind !== "type") edge.example = i;
    } else {
      edges.set(key, { from: fromFolder, to: toFolder, example: i, count: 1 });
    }
  }

  const folders = [
    ...new Set([...edges.values()].flatMap((e) => [e.from, e.to])),
  ];
  const next = (node: string) =>
    [...edges.values()].filter((e) => e.from === node).map((e) => e.to).sort();
  const components = cycles(folders, next);
  for (const component of components) {
    const inside = new Set(component);
    const seen = new Set<string>();
    const lines: string[] = [];
    for (const start of component) {
      const cycle = shortestCycle(start, inside, next);
      if (!cycle) continue;
      // One line per distinct cycle (rotations are the same cycle).
      const body = cycle.slice(0, -1);
      const min = body.indexOf([...body].sort()[0]);
      const canonical = [...body.slice(min), ...body.slice(0, min)].join(">");
      if (seen.has(canonical)) continue;
      seen.add(canonical);
      lines.push(`  ${cycle.join(" -> ")}`);
      for (let k = 0; k + 1 < cycle.length; k++) {
        const e = edges.get(`${cycle[k]}\0${cycle[k + 1]}`)!;
        lines.push(
          `    ${cycle[k]} -> ${cycle[k + 1]}: ${where(e.example)}${
            e.count > 1 ? ` (+${e.count - 1} more)` : ""
          }`,
        );
      }
    }
    problems.push(
      `folder cycle among ${component.join(", ")}:\n${lines.join("\n")}`,
    );
  }

  if (graph) {
    for (
      const e of [...edges.values()].sort((a, b) =>
        a.from.localeCompare(b.from) || a.to.localeCompare(b.to)
      )
    ) {
      console.log(`${e.from} -> ${e.to} (${e.count}): ${where(e.example)}`);
    }
  }
  const summary =
    `${files.length} files, ${folders.length} folders, ${edges.size} folder edges, ${imports.length} imports`;
  if (problems.length === 0) {
    console.log(
      `layers: ok (${summary}): no folder cycles, src/ imports nothing from connectors/, src/ and mod.ts import no runtime module`,
    );
    return 0;
  }
  for (const p of problems) console.log(`layers: ${p}`);
  console.log(
    `layers: FAILED, ${problems.length} problem${
      problems.length === 1 ? "" : "s"
    } (${summary}); break each cycle by moving the shared code into the lower folder`,
  );
  return 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err) {
    console.error(`layers: ${err instanceof Error ? err.message : err}`);
    Deno.exit(2);
  }
}
