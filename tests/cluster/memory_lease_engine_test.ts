// Copyright 2026 the @ca/streams authors. MIT license.

// memoryLeaseEngine(): the lease engine conformance suite. One engine
// object is all the "other process" there is: every factory call returns
// it. Runs on Deno and Node.

import { memoryLeaseEngine } from "@ca/streams/host";
import { leaseEngineConformance } from "./lease_engine_conformance.ts";

const engine = memoryLeaseEngine({ ttlMs: 1_000 });

leaseEngineConformance("memoryLeaseEngine()", () => engine);
