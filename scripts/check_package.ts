/**
 * The README's links work on the registries (`npm test` step `package`).
 *
 * npm and JSR render `README.md` on the package's page, and JSR serves the
 * package's files beside it: a relative link works there only when the
 * file it points at is in the package. This check requires that every
 * relative link of `README.md`, `CHANGELOG.md` and the shipped docs (inline `[text](path)`,
 * reference `[label]: path`, HTML `href`/`src`; not in code) points at a
 * file that exists and ships in both packages, or at a folder with a file
 * that does:
 *
 * - npm: `package.json` `files` (paths, folders and globs; `package.json`,
 *   `README*`, `LICENSE*`/`LICENCE*` always ship);
 * - JSR: `deno.json` `publish.include`, less `publish.exclude`, the
 *   top-level `exclude` and what `.gitignore` ignores.
 *
 * It also requires `package.json` to have `repository` (with a `url`),
 * `homepage` and `bugs`: npm links a README's relative links and the
 * package page to the repository, and names where to report issues.
 *
 * Usage: `deno run -A scripts/check_package.ts` (exit code 1 on any
 * problem, each named with its file and line).
 *
 * @module
 */

import { ROOT } from "./_manifest.ts";
import { filesUnder } from "./_tools.ts";

/**
 * The Markdown files whose relative links must work on the registries: the
 * README, the changelog and the docs that ship with them.
 */
export const LINKED_FILES = [
  "README.md",
  "CHANGELOG.md",
  "docs/protocol.md",
  "docs/runners.md",
  "connectors/README.md",
  "examples/README.md",
];

/** One relative link of a Markdown file. */
export interface RelativeLink {
  /** The 1-based line it is on. */
  line: number;
  /** The link as written, such as `docs/runners.md#modules`. */
  target: string;
  /** The repository path it points at (no fragment), such as `docs/runners.md`. */
  path: string;
}

/** The parts of `package.json` this check reads. */
export interface NpmManifest {
  files?: string[];
  repository?: string | { type?: string; url?: string };
  homepage?: string;
  bugs?: string | { url?: string };
}

/** The parts of `deno.json` this check reads. */
export interface JsrManifest {
  exclude?: string[];
  publish?: { include?: string[]; exclude?: string[] };
}

/**
 * The relative links of a Markdown text, outside fenced code blocks and
 * inline code. Absolute URLs (`https:`, `mailto:`) and links to a heading
 * of the same file (`#usage`) are left out.
 *
 * @param file the Markdown file's repository path, for resolving
 * @param markdown its text
 * @returns the links, in order
 */
export function relativeLinks(file: string, markdown: string): RelativeLink[] {
  const links: RelativeLink[] = [];
  let fence: string | undefined;
  const dir = file.includes("/")
    ? file.slice(0, file.lastIndexOf("/") + 1)
    : "";
  for (const [index, raw] of markdown.split("\n").entries()) {
    const fenceMatch = /^\s*(`{3,}|~{3,})/.exec(raw);
    if (fenceMatch) {
      const mark = fenceMatch[1]!;
      if (fence === undefined) fence = mark;
      else if (mark[0] === fence[0] && mark.length >= fence.length) {
        fence = undefined;
      }
      continue;
    }
    if (fence !== undefined) continue;
    const line = raw.replace(/(`+)[\s\S]*?\1/g, "");
    const targets: string[] = [];
    for (
      const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)
    ) {
      targets.push(m[1]!);
    }
    const reference = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(line);
    if (reference) targets.push(reference[1]!);
    for (const m of line.matchAll(/\b(?:href|src)\s*=\s*"([^"]+)"/g)) {
      targets.push(m[1]!);
    }
    for (const target of targets) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) {
        continue;
      }
      if (target.startsWith("//")) continue;
      const bare = decodeURIComponent(target.replace(/[?#].*$/, ""));
      links.push({ line: index + 1, target, path: normalize(dir + bare) });
    }
  }
  return links;
}

/** A repository path without `./`, `..` or a trailing `/` ("" for the root). */
function normalize(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return "../" + path; // outside the repository
      parts.pop();
    } else parts.push(part);
  }
  return parts.join("/");
}

/** A glob (`*`, `**`, `?`) as a regular expression over a whole path. */
function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      i++;
      if (glob[i + 1] === "/") {
        i++;
        source += "(?:.*/)?";
      } else source += ".*";
    } else if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/**
 * Whether a manifest pattern (a path, a folder or a glob, as `files`,
 * `publish.include` and `exclude` hold them) covers `path`: the path itself
 * or a folder above it. With `anyDepth` (a `.gitignore` pattern without a
 * `/` but at its end) it matches a name at any depth.
 */
export function covers(
  pattern: string,
  path: string,
  anyDepth = false,
): boolean {
  let p = pattern.trim();
  if (p === "") return false;
  if (p.startsWith("./")) p = p.slice(2);
  if (p.startsWith("/")) p = p.slice(1);
  if (p.endsWith("/")) p = p.slice(0, -1);
  if (p === "" || p === ".") return true;
  const regexp = globToRegExp(anyDepth ? `**/${p}` : p);
  const parts = path.split("/");
  for (let n = parts.length; n > 0; n--) {
    if (regexp.test(parts.slice(0, n).join("/"))) return true;
  }
  return false;
}

/** Whether npm ships `path` (a file) for this `package.json`. */
export function npmShips(pkg: NpmManifest, path: string): boolean {
  if (path === "package.json") return true;
  if (!path.includes("/") && /^(README|LICENSE|LICENCE)(\..*)?$/i.test(path)) {
    return true;
  }
  // Without `files`, npm ships everything (less .npmignore/.gitignore).
  if (pkg.files === undefined) return true;
  return pkg.files.some((entry) =>
    !entry.startsWith("!") && covers(entry, path)
  ) &&
    !pkg.files.some((entry) =>
      entry.startsWith("!") && covers(entry.slice(1), path)
    );
}

/** Whether `deno publish` ships `path` (a file) for this `deno.json`. */
export function jsrShips(
  deno: JsrManifest,
  path: string,
  gitignore: string[] = [],
): boolean {
  const include = deno.publish?.include;
  if (include !== undefined && !include.some((entry) => covers(entry, path))) {
    return false;
  }
  const excluded = [...deno.exclude ?? [], ...deno.publish?.exclude ?? []];
  if (excluded.some((entry) => !entry.startsWith("!") && covers(entry, path))) {
    return false;
  }
  const ignored = gitignore.some((entry) => {
    const rooted = entry.replace(/\/$/, "").includes("/");
    return covers(entry, path, !rooted);
  });
  const unignored = (deno.publish?.exclude ?? []).some((entry) =>
    entry.startsWith("!") && covers(entry.slice(1), path)
  );
  return !ignored || unignored;
}

async function isDirectory(url: URL): Promise<boolean | undefined> {
  try {
    return (await Deno.stat(url)).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

function isUrl(value: unknown): boolean {
  if (typeof value !== "string") return false;
  try {
    const url = new URL(value.replace(/^git\+/, ""));
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

/**
 * Checks the package metadata and the links of {@linkcode LINKED_FILES}.
 *
 * @param root the repository root
 * @returns one message per problem; empty when all is well
 */
export async function checkPackage(root: URL = ROOT): Promise<string[]> {
  const problems: string[] = [];
  const pkg = JSON.parse(
    await Deno.readTextFile(new URL("package.json", root)),
  ) as NpmManifest;
  const deno = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", root)),
  ) as JsrManifest;
  let gitignore: string[] = [];
  try {
    gitignore = (await Deno.readTextFile(new URL(".gitignore", root)))
      .split("\n").map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }

  const repository = typeof pkg.repository === "string"
    ? pkg.repository
    : pkg.repository?.url;
  if (!isUrl(repository)) {
    problems.push(
      `package.json: no repository URL (npm links the package page and the README's relative links to it): add "repository": { "type": "git", "url": "git+https://..." }`,
    );
  }
  if (!isUrl(pkg.homepage)) {
    problems.push(`package.json: no "homepage" URL`);
  }
  const bugs = typeof pkg.bugs === "string" ? pkg.bugs : pkg.bugs?.url;
  if (!isUrl(bugs)) {
    problems.push(`package.json: no "bugs" URL (where to report issues)`);
  }

  for (const file of LINKED_FILES) {
    const text = await Deno.readTextFile(new URL(file, root));
    for (const link of relativeLinks(file, text)) {
      const where = `${file}:${link.line}: link ${JSON.stringify(link.target)}`;
      if (link.path.startsWith("../")) {
        problems.push(`${where} points outside the repository`);
        continue;
      }
      const directory = link.path === ""
        ? true
        : await isDirectory(new URL(link.path, root));
      if (directory === undefined) {
        problems.push(`${where}: ${link.path} does not exist`);
        continue;
      }
      const files = directory
        ? await filesUnder(root, link.path === "" ? "." : link.path)
        : [link.path];
      const relative = files.map((f) => f.replace(/^\.\//, ""));
      const missing: string[] = [];
      if (!relative.some((f) => npmShips(pkg, f))) {
        missing.push('the npm package (package.json "files")');
      }
      if (!relative.some((f) => jsrShips(deno, f, gitignore))) {
        missing.push(
          'the JSR package (deno.json "publish" include/exclude, .gitignore)',
        );
      }
      if (missing.length > 0) {
        problems.push(
          `${where}: ${link.path}${directory ? "/" : ""} is not in ${
            missing.join(" nor in ")
          }, so the link breaks on the registry`,
        );
      }
    }
  }
  return problems;
}

if (import.meta.main) {
  const problems = await checkPackage();
  if (problems.length > 0) {
    for (const problem of problems) console.error(`package: ${problem}`);
    console.error(
      `package: ${problems.length} problem${problems.length === 1 ? "" : "s"}`,
    );
    Deno.exit(1);
  }
  let links = 0;
  for (const file of LINKED_FILES) {
    links += relativeLinks(
      file,
      await Deno.readTextFile(new URL(file, ROOT)),
    ).length;
  }
  console.log(
    `package: repository, homepage and bugs set; all ${links} relative links of ${
      LINKED_FILES.join(" and ")
    } point at files both packages ship`,
  );
}
