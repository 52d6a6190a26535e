// Crash `ca serve`: 20 connectors created through its API, definitions and
// checkpoints in PostgreSQL, SIGKILLed and restarted on the same store
// (see tests/crash/host_scenario.ts).
import { hostScenario } from "../host_scenario.ts";

export default hostScenario();
