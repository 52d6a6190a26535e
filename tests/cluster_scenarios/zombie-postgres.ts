// Copyright 2026 the @ca/streams authors. MIT license.
// The zombie scenario with the PostgreSQL lease engine, whose lease table
// the audit sees too (see _zombie.ts).
import { zombieScenario } from "./_zombie.ts";

export default zombieScenario("postgres");
