/**
 * Writes the README's catalog: one table of every definition a pipeline
 * config can name (sources, processors, sinks, checkpoint stores, channel
 * transports), generated from `defaultRegistry()`, so the README and `ca
 * list` never say different things. The table goes between the markers
 * `<!-- catalog:start -->` and `<!-- catalog:end -->` in `README.md`,
 * formatted as `deno fmt` formats it.
 *
 * Usage:
 *   deno run -A scripts/catalog.ts           # rewrite the README's catalog
 *   deno run -A scripts/catalog.ts --check   # exit 1 when it is not current
 *
 * `npm run catalog` runs the first; `npm test` (step `catalog`) the second.
 *
 * @module
 */

import { defaultRegistry } from "../connectors/cli/default_registry.ts";
import {
  type Definition,
  DEFINITION_KINDS,
  type DefinitionKind,
} from "../src/config/definition_kinds.ts";

const ROOT = new URL("../", import.meta.url);
const README = new URL("README.md", ROOT);
const DENO = decodeURIComponent(
  new URL("node_modules/.bin/deno", ROOT).pathname,
);
const START = "<!-- catalog:start -->";
const END = "<!-- catalog:end -->";

/** A table cell: one line, no unescaped `|`. */
function cell(text: string): string {
  return text.replace(/\s+/g, " ").trim().replaceAll("|", "\\|");
}

/** What the catalog says about delivery for one definition. */
function delivery(definition: Definition): string {
  const declared = (definition as { delivery?: string }).delivery;
  if (declared !== undefined) return declared;
  return definition.kind === "processor" || definition.kind === "store"
    ? "n/a"
    : "not stated";
}

/**
 * The catalog's markdown (before formatting): a table of every definition,
 * by kind in the order of `DEFINITION_KINDS`, then in registry order.
 *
 * @returns The table, with a line before it saying where it comes from.
 */
export function catalogMarkdown(): string {
  const registry = defaultRegistry();
  const kinds = Object.keys(DEFINITION_KINDS) as DefinitionKind[];
  const rows = kinds.flatMap((kind) => registry.list(kind));
  const lines = [
    "Generated from `defaultRegistry()` by `npm run catalog` (do not edit by hand; `npm test` checks it is current). A module listed under `modules:` adds its own.",
    "",
    "| name | kind | description | delivery |",
    "| --- | --- | --- | --- |",
    ...rows.map((definition) =>
      `| \`${cell(definition.name)}\` | ${definition.kind} | ${
        cell(definition.description)
      } | ${delivery(definition)} |`
    ),
  ];
  return lines.join("\n");
}

/** Formats markdown as `deno fmt` does, so the fmt check agrees. */
async function formatMarkdown(text: string): Promise<string> {
  const child = new Deno.Command(DENO, {
    args: ["fmt", "--ext=md", "-"],
    cwd: decodeURIComponent(ROOT.pathname),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const output = await child.output();
  if (!output.success) {
    throw new Error(
      `Cannot format the catalog: deno fmt failed: ${
        new TextDecoder().decode(output.stderr)
      }`,
    );
  }
  return new TextDecoder().decode(output.stdout);
}

/**
 * The README with its catalog replaced by the current one.
 *
 * @param readme The README's text.
 * @returns The new text.
 * @throws {Error} When the markers are missing or out of order.
 */
export async function withCatalog(readme: string): Promise<string> {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) {
    throw new Error(
      `Cannot update the catalog: README.md needs the markers ${START} and ${END}, in that order`,
    );
  }
  // Formatted alone: a table and a paragraph format the same in place.
  const catalog = (await formatMarkdown(catalogMarkdown())).trimEnd();
  return `${readme.slice(0, start + START.length)}\n\n${catalog}\n\n${
    readme.slice(end)
  }`;
}

async function main(args: string[]): Promise<number> {
  const check = args.includes("--check");
  const unknown = args.filter((arg) => arg !== "--check");
  if (unknown.length > 0) {
    console.error(
      `catalog: unknown argument ${
        unknown[0]
      }; usage: deno run -A scripts/catalog.ts [--check]`,
    );
    return 2;
  }
  const readme = await Deno.readTextFile(README);
  const updated = await withCatalog(readme);
  const count = defaultRegistry().list().length;
  if (check) {
    if (updated !== readme) {
      console.error(
        "catalog: README.md's catalog is not current: run `npm run catalog` and commit the result",
      );
      return 1;
    }
    console.log(`catalog: README.md lists all ${count} definitions`);
    return 0;
  }
  if (updated !== readme) await Deno.writeTextFile(README, updated);
  console.log(
    `catalog: README.md ${
      updated === readme ? "was current" : "updated"
    }: ${count} definitions`,
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
