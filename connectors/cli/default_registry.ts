// Copyright 2026 the @ca/streams authors. MIT license.

import { builtinProcessors } from "../../src/config/builtins/builtin_processors.ts";
import { ProcessorRegistry } from "../../src/config/processor_registry.ts";
import { fileProcessors } from "../file/file_processors.ts";

/**
 * A registry with the library's own processors: the core's (`generate`,
 * `take`, `select`, `where`, `set`, ...) and the connectors' (`file-source`,
 * `file-sink`). A config's `modules` add the user's.
 *
 * @returns A new registry.
 */
export function defaultRegistry(): ProcessorRegistry {
  return new ProcessorRegistry([...builtinProcessors(), ...fileProcessors()]);
}
