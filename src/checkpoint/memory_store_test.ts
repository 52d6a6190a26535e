// Copyright 2026 the @ca/streams authors. MIT license.
import { checkpointStoreConformance } from "../../tests/stores/conformance.ts";
import { memoryStore } from "./memory_store.ts";

const store = memoryStore();

// One memory store is all the "other process" there is: every factory call
// returns it. It takes no signals and stores `undefined` as "no position".
checkpointStoreConformance("memoryStore()", () => store);
