// Copyright 2026 the @ca/streams authors. MIT license.

import { currentRuntime } from "../runtime/current_runtime.ts";
/**
 * The few file operations the file connector needs, implemented once per
 * runtime (`deno.ts`, `node.ts`) and loaded lazily by {@linkcode loadFileRuntime}.
 *
 * @module
 */

/** A file opened for reading. */
export interface ReadHandle {
  /**
   * Reads into `buffer` from byte `position` of the file. Resolves to the
   * number of bytes read, 0 at the end of the file.
   */
  read(buffer: Uint8Array, position: number): Promise<number>;
  /** Releases the file. Safe to call more than once. */
  close(): Promise<void>;
}

/** A file opened for appending (and for reading its tail). */
export interface AppendHandle extends ReadHandle {
  /** The file's size in bytes. */
  size(): Promise<number>;
  /** Cuts the file to `length` bytes. */
  truncate(length: number): Promise<void>;
  /**
   * Appends bytes at the end of the file with a single write: resolves to
   * how many were written, which may be fewer than `bytes.length`.
   */
  append(bytes: Uint8Array): Promise<number>;
  /** Flushes the file's data to the disk (fdatasync). */
  sync(): Promise<void>;
}

/** Opens files with one runtime's API. */
export interface FileRuntime {
  /** Opens an existing file for reading. */
  openRead(path: string): Promise<ReadHandle>;
  /** Opens a file for appending, creating it when missing. */
  openAppend(path: string): Promise<AppendHandle>;
}

let loading: Promise<FileRuntime> | undefined;

/**
 * Loads the file API of the runtime this code runs on: Deno's own when
 * `Deno` is a global, else `node:fs/promises` (Node, Bun). The module is
 * imported on first use, so bundles that never open a file never load it.
 *
 * @returns The runtime's file operations.
 */
export function loadFileRuntime(): Promise<FileRuntime> {
  loading ??=
    (currentRuntime() === "deno" ? import("./deno.ts") : import("./node.ts"))
      .then((module) => module.fileRuntime, (error) => {
        loading = undefined;
        throw error;
      });
  return loading;
}
