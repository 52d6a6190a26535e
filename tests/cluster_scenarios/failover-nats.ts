// Copyright 2026 the @ca/streams authors. MIT license.
// Failover with the NATS JetStream KV lease engine; definitions on
// JetStream and checkpoints in NATS KV (a cluster on NATS alone), on a
// nats-server of the run's own; the sink at-least-once (see _failover.ts).
import { failoverScenario } from "./_failover.ts";

export default failoverScenario({ engine: "nats", store: "nats" });
