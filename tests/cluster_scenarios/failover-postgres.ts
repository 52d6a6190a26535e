// Copyright 2026 the @ca/streams authors. MIT license.
// Failover with the PostgreSQL lease engine; definitions and checkpoints in
// PostgreSQL, the sink exactly-once (see _failover.ts).
import { failoverScenario } from "./_failover.ts";

export default failoverScenario({ engine: "postgres", store: "postgres" });
