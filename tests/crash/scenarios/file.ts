// Crash the throttled file-to-file pipeline with its checkpoints in the
// file store (see tests/crash/store_scenario.ts).
import { storeScenario } from "../store_scenario.ts";

export default storeScenario("file");
