/**
 * Every export has an example (`npm test` step `examples`).
 *
 * Reads `deno doc --json` for every `deno.json` entry point and checks that
 * each exported symbol (functions, classes, interfaces, type aliases,
 * variables, enums, namespaces; re-exported ones too) has JSDoc with at least
 * one `@example` holding a fenced code block. For a class or an interface the
 * symbol's own JSDoc counts (not its members'); for an overloaded function
 * any overload's JSDoc counts. `deno test --doc` runs the examples (the
 * `test-deno` step); this check also counts, per entry, the code blocks
 * fenced as `ignore`, which `deno test --doc` skips (printed, not failed).
 *
 * Usage: `deno run -A scripts/check_examples.ts`
 * Exits 1 and lists the exports without an example (as entry: name, kind,
 * file:line) when there are any.
 *
 * @module
 */

import { readManifests, ROOT } from "./_manifest.ts";
import { commandOutput } from "./_tools.ts";

const DENO = decodeURIComponent(
  new URL("node_modules/.bin/deno", ROOT).pathname,
);
const ROOT_PATH = decodeURIComponent(ROOT.pathname);

interface DocTag {
  kind: string;
  doc?: string;
}
interface DocDeclaration {
  kind: string;
  declarationKind?: string;
  location: { filename: string; line: number };
  jsDoc?: { doc?: string; tags?: DocTag[] };
  /** For `kind: "reference"` (a re-export of another entry's symbol). */
  def?: { target?: { filename: string; byteIndex: number } };
}
interface DocSymbol {
  name: string;
  declarations: DocDeclaration[];
}
interface DocJson {
  version: number;
  nodes: Record<
    string,
    { symbols?: DocSymbol[]; module_doc?: { doc?: string } }
  >;
}

/** The verdict on one entry point. */
export interface EntryReport {
  key: string;
  target: string;
  exports: number;
  /** Exports with no `@example` holding a code block: "name (kind, file:line)". */
  missing: string[];
  /** Example code blocks, and how many of them are fenced `ignore`. */
  examples: number;
  ignored: number;
  /** Code blocks in the entry's `@module` doc, and how many are `ignore`d. */
  moduleBlocks: number;
  moduleIgnored: number;
}

/** The info strings of the fenced code blocks in a Markdown text. */
export function codeFences(markdown: string): string[] {
  const fences: string[] = [];
  let open: string | undefined;
  for (const line of markdown.split("\n")) {
    const m = /^\s*(`{3,}|~{3,})(.*)$/.exec(line);
    if (!m) continue;
    if (open === undefined) {
      open = m[1];
      fences.push(m[2].trim());
    } else if (m[1].startsWith(open[0]) && m[1].length >= open.length) {
      open = undefined;
    }
  }
  return fences;
}

/** Whether `deno test --doc` skips a code block with this info string. */
function isIgnored(info: string): boolean {
  return info.split(/[\s,]+/).includes("ignore");
}

function relative(url: string): string {
  const path = decodeURIComponent(url.replace(/^file:\/\//, ""));
  return path.startsWith(ROOT_PATH) ? path.slice(ROOT_PATH.length) : path;
}

/**
 * Checks the exports of every `deno.json` entry point.
 *
 * @returns one report per entry, in `deno.json` order
 */
export async function checkExamples(): Promise<EntryReport[]> {
  const { deno } = await readManifests(ROOT);
  const entries = Object.entries(deno.exports);
  const stdout = await commandOutput(
    "read the docs",
    DENO,
    ["doc", "--json", ...entries.map(([, target]) => target)],
    ROOT_PATH,
  );
  const doc = JSON.parse(stdout) as DocJson;
  if (doc.version !== 2) {
    throw new Error(
      `Cannot read the docs: deno doc --json format version ${doc.version}, this script reads version 2`,
    );
  }
  // When several entries export one symbol, deno doc describes it in one of
  // them and makes the others `reference`s to its declaration: index every
  // declaration by place to follow them.
  const byPlace = new Map<string, DocDeclaration[]>();
  for (const node of Object.values(doc.nodes)) {
    for (const symbol of node.symbols ?? []) {
      for (const d of symbol.declarations) {
        if (d.kind === "reference") continue;
        const place = `${d.location.filename}#${
          (d.location as { byteIndex?: number }).byteIndex
        }`;
        byPlace.set(place, [...byPlace.get(place) ?? [], d]);
      }
    }
  }
  const reports: EntryReport[] = [];
  for (const [key, target] of entries) {
    const url = new URL(target, ROOT).href;
    const node = doc.nodes[url];
    if (!node) {
      throw new Error(
        `Cannot read the docs: deno doc printed nothing for ${target}`,
      );
    }
    const report: EntryReport = {
      key,
      target,
      exports: 0,
      missing: [],
      examples: 0,
      ignored: 0,
      moduleBlocks: 0,
      moduleIgnored: 0,
    };
    const moduleFences = codeFences(node.module_doc?.doc ?? "");
    report.moduleBlocks = moduleFences.length;
    report.moduleIgnored = moduleFences.filter(isIgnored).length;
    for (const symbol of node.symbols ?? []) {
      const decls = symbol.declarations.filter((d) =>
        d.kind !== "import" && d.kind !== "moduleDoc"
      ).flatMap((d) => {
        const to = d.kind === "reference" ? d.def?.target : undefined;
        return to ? byPlace.get(`${to.filename}#${to.byteIndex}`) ?? [d] : [d];
      });
      if (decls.length === 0) continue;
      report.exports++;
      let has = false;
      for (const d of decls) {
        for (const tag of d.jsDoc?.tags ?? []) {
          if (tag.kind !== "example") continue;
          const fences = codeFences(tag.doc ?? "");
          if (fences.length > 0) has = true;
          report.examples += fences.length;
          report.ignored += fences.filter(isIgnored).length;
        }
      }
      if (!has) {
        const d = decls[0];
        report.missing.push(
          `${symbol.name} (${d.kind}, ${
            relative(d.location.filename)
          }:${d.location.line})`,
        );
      }
    }
    reports.push(report);
  }
  return reports;
}

/** Runs the check; returns the exit code. */
export async function main(): Promise<number> {
  const reports = await checkExamples();
  let missing = 0;
  let exports = 0;
  for (const r of reports) {
    exports += r.exports;
    missing += r.missing.length;
    console.log(
      `examples: ${r.key.padEnd(22)} ${
        String(r.exports).padStart(3)
      } exports, ${
        String(r.missing.length).padStart(3)
      } without an example; ${r.examples} @example blocks (${r.ignored} ignored), module doc ${r.moduleBlocks} (${r.moduleIgnored} ignored)`,
    );
  }
  if (missing === 0) {
    console.log(
      `examples: ok: all ${exports} exports of ${reports.length} entries have an @example with code`,
    );
    return 0;
  }
  for (const r of reports) {
    if (r.missing.length === 0) continue;
    console.log(`examples: ${r.key} (${r.target}) lacks an @example on:`);
    for (const m of r.missing) console.log(`  ${m}`);
  }
  const distinct = new Set(reports.flatMap((r) => r.missing)).size;
  console.log(
    `examples: FAILED: ${missing} of ${exports} exports (${distinct} distinct symbols) have no @example with a code block; add a titled \`@example\` with a runnable code block to each one's JSDoc`,
  );
  return 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (err) {
    console.error(`examples: ${err instanceof Error ? err.message : err}`);
    Deno.exit(2);
  }
}
