// Crash an exactly-once mariadbSink (plain inserts, its checkpoints in the
// same database): 0 lost, 0 duplicates (see tests/crash/sql_exactly_once_scenario.ts).
import { sqlExactlyOnceScenario } from "../sql_exactly_once_scenario.ts";

export default sqlExactlyOnceScenario("mariadb");
