// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * Resolves a path from a config file against the file's directory URL and
 * returns it as a local file path (absolute paths stay as they are).
 *
 * @param path Relative or absolute path, or a `file:` URL.
 * @param baseUrl The config file's directory, a `file:` URL ending in `/`.
 * @returns The absolute local path.
 */
export function toFilePath(path: string, baseUrl: string): string {
  const url = new URL(path, baseUrl);
  if (url.protocol !== "file:") {
    throw new TypeError(
      `Cannot resolve path: expected a local file path, got ${
        JSON.stringify(path)
      }`,
    );
  }
  return decodeURIComponent(url.pathname);
}
