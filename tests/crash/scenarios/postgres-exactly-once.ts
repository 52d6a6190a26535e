// Crash an exactly-once postgresSink (plain inserts, its checkpoints in the
// same database): 0 lost, 0 duplicates (see tests/crash/sql_exactly_once_scenario.ts).
import { sqlExactlyOnceScenario } from "../sql_exactly_once_scenario.ts";

export default sqlExactlyOnceScenario("postgres");
