/**
 * Every TypeScript code block in the docs type-checks (`npm test` step
 * `docs`).
 *
 * Reads the fenced code blocks of `README.md`, `CHANGELOG.md`, `docs/*.md`,
 * `examples/**\/*.md` and `connectors/README.md`. Each block whose info
 * string starts with `ts` or `typescript` is written to `.tmp/doc_blocks/`
 * as a module of its own (named after its file and line, its lines where
 * they are in the Markdown, indented blocks dedented), and all of them are
 * checked with one `deno check`. `@ca/streams` and its subpaths resolve
 * through the `imports` of `deno.json` (to the sources), other packages
 * (`zod/mini`, `node:test`, ...) as in the repository, so a block checks as
 * a user's file importing the package would.
 *
 * The info string decides:
 * - ` ```ts ` is type-checked;
 * - ` ```ts ignore ` is type-checked too: `ignore` only means "not run"
 *   (as in `deno test --doc`), for code that needs a server, a file or
 *   another process. A reader copies it all the same.
 * - ` ```ts ignore no-check ` is neither written nor checked. Only for
 *   blocks that are deliberately not a program: a signature, a
 *   "before/after" pair of imports, a fragment of internal code. `no-check`
 *   without `ignore` is an error: `deno test --doc`, which reads
 *   `connectors/README.md` (under `connectors/`), would check and run the
 *   block. The script prints where the unchecked blocks are.
 *
 * Blocks not marked `ignore` are not run by this script; `deno test --doc`
 * runs those of the Markdown files it is given (`connectors/README.md`).
 *
 * Usage: `deno run -A scripts/check_docs.ts`. Exits 1 when a block does not
 * type-check, with each error at its place in the Markdown
 * (`docs/runners.md:142:7`), or when no block was found.
 *
 * @module
 */

import { readManifests, ROOT } from "./_manifest.ts";
import { filesUnder } from "./_tools.ts";

const DENO = decodeURIComponent(
  new URL("node_modules/.bin/deno", ROOT).pathname,
);
const ROOT_PATH = decodeURIComponent(ROOT.pathname);
const OUT = new URL(".tmp/doc_blocks/", ROOT);

/** One fenced code block of a Markdown file. */
export interface CodeBlock {
  /** The Markdown file, relative to the root. */
  file: string;
  /** The 1-based line of the block's first code line. */
  line: number;
  /** The info string after the opening fence: `ts ignore`. */
  info: string;
  /** The code, dedented by the fence's indentation. */
  code: string;
}

/**
 * The fenced code blocks of a Markdown text (backtick and tilde fences, at
 * any indentation; a closing fence is at least as long as the opening one).
 *
 * @param file the file's name, kept in each block
 * @param markdown the file's text
 * @returns the blocks, in order
 */
export function codeBlocks(file: string, markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split("\n");
  let open: { fence: string; indent: number; info: string; at: number } | null =
    null;
  let body: string[] = [];
  for (const [index, line] of lines.entries()) {
    const m = /^(\s*)(`{3,}|~{3,})\s*(.*)$/.exec(line);
    if (open === null) {
      if (m) {
        open = {
          fence: m[2]!,
          indent: m[1]!.length,
          info: m[3]!.trim(),
          at: index + 2,
        };
        body = [];
      }
    } else if (
      m && m[3]!.trim() === "" && m[2]![0] === open.fence[0] &&
      m[2]!.length >= open.fence.length
    ) {
      blocks.push({
        file,
        line: open.at,
        info: open.info,
        code: body.join("\n") + "\n",
      });
      open = null;
    } else {
      const indent = /^\s*/.exec(line)![0].length;
      body.push(line.slice(Math.min(indent, open.indent)));
    }
  }
  return blocks;
}

/** Whether an info string marks TypeScript: `ts`, `typescript`, `ts ignore`. */
export function isTypeScript(info: string): boolean {
  const language = info.split(/[\s,{]+/)[0]!.toLowerCase();
  return language === "ts" || language === "typescript";
}

/** Whether an info string marks a block not to be run (`ignore`). */
export function isIgnored(info: string): boolean {
  return info.split(/[\s,]+/).includes("ignore");
}

/** Whether an info string opts a block out of the type check. */
export function isNoCheck(info: string): boolean {
  return info.split(/[\s,]+/).includes("no-check");
}

/** The Markdown files whose blocks are checked, relative to the root. */
export async function docFiles(): Promise<string[]> {
  const files = ["README.md", "CHANGELOG.md", "connectors/README.md"];
  for await (const entry of Deno.readDir(new URL("docs/", ROOT))) {
    if (entry.isFile && entry.name.endsWith(".md")) {
      files.push(`docs/${entry.name}`);
    }
  }
  files.push(
    ...(await filesUnder(ROOT, "examples/")).filter((f) => f.endsWith(".md")),
  );
  const present: string[] = [];
  for (const file of files) {
    try {
      await Deno.stat(new URL(file, ROOT));
      present.push(file);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return present.sort();
}

/** The module file a block is written to: `readme_md_29.ts`. */
function moduleName(block: CodeBlock): string {
  return `${
    block.file.replace(/[^A-Za-z0-9]+/g, "_").toLowerCase()
  }_${block.line}.ts`;
}

/**
 * Writes `.tmp/doc_blocks/` afresh: one module per block, a `deno.json`
 * whose `imports` are the repository's (made relative to that folder) and a
 * `package.json` with the repository's dependencies, so that bare specifiers
 * resolve from the repository's `node_modules/`.
 */
async function writeModules(
  blocks: CodeBlock[],
): Promise<Map<string, CodeBlock>> {
  await Deno.remove(OUT, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  await Deno.mkdir(OUT, { recursive: true });
  const { deno, pkg } = await readManifests(ROOT);
  const imports: Record<string, string> = {};
  for (const [specifier, target] of Object.entries(deno.imports ?? {})) {
    imports[specifier] = target.startsWith("./")
      ? `../../${target.slice(2)}`
      : target;
  }
  await Deno.writeTextFile(
    new URL("deno.json", OUT),
    JSON.stringify(
      {
        imports,
        nodeModulesDir: "manual",
        compilerOptions: deno.compilerOptions,
        unstable: deno.unstable,
      },
      null,
      2,
    ) + "\n",
  );
  await Deno.writeTextFile(
    new URL("package.json", OUT),
    JSON.stringify(
      {
        name: "doc-blocks",
        private: true,
        type: "module",
        dependencies: pkg.dependencies,
        devDependencies: pkg.devDependencies,
        peerDependencies: pkg.peerDependencies,
      },
      null,
      2,
    ) + "\n",
  );
  const byModule = new Map<string, CodeBlock>();
  for (const block of blocks) {
    const name = moduleName(block);
    // `export {}` makes a block without imports a module as well.
    await Deno.writeTextFile(new URL(name, OUT), block.code + "export {};\n");
    byModule.set(name, block);
  }
  return byModule;
}

/**
 * Rewrites `file:///…/.tmp/doc_blocks/readme_md_29.ts:3:7` in deno check's
 * output to the Markdown place, `README.md:31:7`.
 */
function toMarkdownPlaces(
  output: string,
  byModule: Map<string, CodeBlock>,
): string {
  const out = decodeURIComponent(OUT.pathname);
  return output.replace(
    /(?:file:\/\/)?([^\s'"()]*?)([a-z0-9_]+\.ts):(\d+):(\d+)/g,
    (match, dir: string, name: string, line: string, column: string) => {
      const block = byModule.get(name);
      if (block === undefined || !decodeURIComponent(dir).endsWith(out)) {
        return match;
      }
      return `${block.file}:${block.line + Number(line) - 1}:${column}`;
    },
  );
}

async function main(): Promise<number> {
  const blocks: CodeBlock[] = [];
  for (const file of await docFiles()) {
    const text = await Deno.readTextFile(new URL(file, ROOT));
    blocks.push(...codeBlocks(file, text).filter((b) => isTypeScript(b.info)));
  }
  const skipped = blocks.filter((b) => isNoCheck(b.info));
  const unignored = skipped.filter((b) => !isIgnored(b.info));
  if (unignored.length > 0) {
    for (const block of unignored) {
      console.error(
        `docs: ${block.file}:${
          block.line - 1
        }: \`${block.info}\` needs \`ignore\` as well (\`ts ignore no-check\`), or deno test --doc runs it`,
      );
    }
    return 1;
  }
  const checked = blocks.filter((b) => !isNoCheck(b.info));
  if (checked.length === 0) {
    console.error("docs: no TypeScript code block found to check");
    return 1;
  }
  const byModule = await writeModules(checked);
  const ignored = checked.filter((b) => isIgnored(b.info));
  console.log(
    `docs: type-checking ${checked.length} TypeScript blocks (${ignored.length} of them marked ignore: checked, not run) from ${
      new Set(checked.map((b) => b.file)).size
    } files in .tmp/doc_blocks/`,
  );
  for (const block of skipped) {
    console.log(
      `docs: not checked (no-check): ${block.file}:${block.line - 1}`,
    );
  }
  const { code, stdout, stderr } = await new Deno.Command(DENO, {
    args: ["check", "--quiet", ...byModule.keys()],
    cwd: decodeURIComponent(OUT.pathname),
    env: { NO_COLOR: "1" }, // places without colour codes, to rewrite
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  const output = toMarkdownPlaces(
    decoder.decode(stdout) + decoder.decode(stderr),
    byModule,
  ).trim();
  if (code !== 0) {
    if (output) console.error(output);
    const failing = new Set(
      [...output.matchAll(/([\w./-]+\.md):(\d+):\d+/g)].map((m) => m[1]),
    );
    console.error(
      `docs: TypeScript blocks that do not type-check${
        failing.size > 0 ? ` in ${[...failing].join(", ")}` : ""
      } (deno check exited with ${code}). Fix the docs; fence a deliberate fragment as \`ts no-check\`.`,
    );
    return 1;
  }
  console.log(`docs: all ${checked.length} blocks type-check`);
  return 0;
}

if (import.meta.main) {
  Deno.chdir(ROOT_PATH);
  Deno.exit(await main());
}
