// Copyright 2026 the @ca/streams authors. MIT license.
// memoryDefinitionStore(): the definition store conformance suite.
import { test } from "node:test";
import { definitionStoreConformance } from "../testing/definition_store_conformance.ts";
import { memoryDefinitionStore } from "./memory_definition_store.ts";

definitionStoreConformance({
  name: "memoryDefinitionStore()",
  open: () => ({ store: memoryDefinitionStore(), close() {} }),
}, { test });
