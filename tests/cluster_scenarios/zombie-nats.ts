// Copyright 2026 the @ca/streams authors. MIT license.
// The zombie scenario with the NATS JetStream KV lease engine (on a
// nats-server of the run's own); definitions, checkpoints and the
// exactly-once sink in PostgreSQL (see _zombie.ts).
import { zombieScenario } from "./_zombie.ts";

export default zombieScenario("nats");
