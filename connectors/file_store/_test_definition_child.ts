// Copyright 2026 the @ca/streams authors. MIT license.

/**
 * A second process for `file_definition_store_test.ts`, run by the same
 * runtime as the test (Deno or Node): `append PATH CONNECTOR WRITER COUNT`
 * appends COUNT `reconfigured` events to CONNECTOR, each at the version it
 * last read, reading again and retrying after every conflict; then prints
 * `done CONFLICTS`.
 *
 * @module
 */

import process from "node:process";
import { fileDefinitionStore } from "./file_definition_store.ts";

const [mode, path, connector, writer, count] = process.argv.slice(2);

if (mode !== "append" || !path || !connector || !writer || !count) {
  throw new Error(`Cannot run: unexpected arguments ${process.argv.slice(2)}`);
}
const store = fileDefinitionStore(path);
let conflicts = 0;
for (let n = 0; n < Number(count); n++) {
  for (;;) {
    const version = (await store.read(connector)).length;
    try {
      await store.append(connector, [{
        type: "reconfigured",
        connector,
        at: new Date().toISOString(),
        data: { config: { id: connector, writer, n } },
      }], version);
      break;
    } catch (error) {
      if (
        (error as { code?: string }).code !== "CA_ERR_WRONG_EXPECTED_VERSION"
      ) {
        throw error;
      }
      conflicts++;
    }
  }
}
await store.close();
process.stdout.write(`done ${conflicts}\n`);
