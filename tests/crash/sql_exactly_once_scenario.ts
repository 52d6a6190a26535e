// The exactly-once scenarios (postgres-exactly-once, mariadb-exactly-once):
// file source → a throttle → postgresSink or mariadbSink with exactlyOnce,
// plain INSERTs into a table with no unique key, the checkpoint store the
// same database's store on the same client (tests/crash/
// sql_exactly_once_child.ts), killed mid-stream. The file source resumes
// at the byte offset the sink committed with its last batch, so any row
// written twice would be a duplicate id in the table: the check is a query
// of the table (count(*) against count(DISTINCT id), and the ids 0 to
// records - 1), and the ids in insertion order (an identity or
// AUTO_INCREMENT column) for the driver's own check of order and replays,
// whose bound is 0.
import type { CrashContext, CrashRun, CrashScenario } from "./scenario.ts";
import { writeNumbered } from "./ndjson_files.ts";

/** The databases of the scenarios. */
export type CrashDatabase = "postgres" | "mariadb";

const BATCH_SIZE = 100;
const ROWS = "ca_crash_eo_rows";
const CHECKPOINTS = "ca_crash_eo_checkpoints";

/** A connection of the driver's own, for setup and the checks. */
interface Db {
  query(text: string): Promise<Record<string, unknown>[]>;
  end(): Promise<void>;
}

/** The server's URL: the tests' variable, or the machine's server. */
function urlOf(database: CrashDatabase): string {
  return database === "postgres"
    ? Deno.env.get("CA_TEST_POSTGRES_URL") ??
      "postgres://postgres@127.0.0.1:5432/test"
    : Deno.env.get("CA_TEST_MARIADB_URL") ??
      "mysql://root@127.0.0.1:3306/test";
}

async function connect(database: CrashDatabase, url: string): Promise<Db> {
  if (database === "postgres") {
    const { default: postgres } = await import("postgres");
    const sql = postgres(url, { onnotice: () => {}, max: 1 });
    try {
      await sql`select 1`;
    } catch (error) {
      await sql.end();
      throw new Error(
        `Cannot reach PostgreSQL at ${url}: ${
          (error as Error).message
        }. Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`,
      );
    }
    return {
      query: async (text) => [...await sql.unsafe(text)],
      end: () => sql.end(),
    };
  }
  const { default: mysql } = await import("mysql2/promise");
  // The database of the URL, created when missing (as the tests do).
  const server = new URL(url);
  const name = decodeURIComponent(server.pathname.slice(1));
  server.pathname = "/";
  try {
    const admin = await mysql.createConnection({
      uri: server.href,
      connectTimeout: 3000,
    });
    await admin.query(
      `CREATE DATABASE IF NOT EXISTS \`${name.replaceAll("`", "``")}\``,
    );
    await admin.end();
  } catch (error) {
    throw new Error(
      `Cannot reach MariaDB at ${url}: ${
        (error as Error).message
      }. Start it: service mariadb start`,
    );
  }
  const pool = mysql.createPool({ uri: url, connectionLimit: 1 });
  return {
    query: async (text) =>
      (await pool.query(text))[0] as Record<string, unknown>[],
    end: () => pool.end(),
  };
}

/** The rows table: no unique key; `seq` numbers the rows as inserted. */
function createRows(database: CrashDatabase): string {
  return database === "postgres"
    ? `CREATE TABLE ${ROWS} (seq bigint GENERATED ALWAYS AS IDENTITY, id int NOT NULL, text text)`
    : `CREATE TABLE ${ROWS} (seq BIGINT NOT NULL AUTO_INCREMENT, id INT NOT NULL, text TEXT, KEY (seq)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;
}

/**
 * A scenario that crashes the exactly-once pipeline of
 * tests/crash/sql_exactly_once_child.ts into `database`.
 */
export function sqlExactlyOnceScenario(
  database: CrashDatabase,
): CrashScenario {
  const sink = database === "postgres" ? "postgresSink" : "mariadbSink";
  const store = database === "postgres" ? "postgresStore" : "mariadbStore";
  return {
    description:
      `file source → throttle → ${sink} with exactlyOnce (plain INSERT, no unique key), checkpointed in a ${store} on the same client: 0 lost and 0 duplicate rows, by a query of the table`,
    records: 100_000,
    kills: 10,
    runs(context: CrashContext): CrashRun[] {
      const { dir, records, deno, root } = context;
      const url = urlOf(database);
      const input = `${dir}/input.ndjson`;
      // Throttle the child so that an uninterrupted run takes about
      // `targetMs` (a batch commits in about 2 ms unthrottled): the kills
      // then land mid-stream.
      const small = records <= 20_000;
      const targetMs = small ? 4_000 : 15_000;
      const pauseMs = Math.max(
        1,
        Math.round(targetMs / (records / BATCH_SIZE)) - 2,
      );
      let db: Db | undefined;
      const run: CrashRun = {
        label: `${database}-exactly-once`,
        note:
          `batches of ${BATCH_SIZE}, each with its position in one transaction; the child pauses ${pauseMs} ms per batch`,
        async prepare() {
          await writeNumbered(input, records, (id) => ({
            id,
            text: `record ${id} ✓`,
          }));
          db = await connect(database, url);
          await db.query(`DROP TABLE IF EXISTS ${ROWS}`);
          await db.query(`DROP TABLE IF EXISTS ${CHECKPOINTS}`);
          await db.query(createRows(database));
        },
        child: {
          command: deno,
          args: [
            "run",
            "-A",
            new URL("tests/crash/sql_exactly_once_child.ts", root).pathname,
            database,
            url,
            input,
            ROWS,
            CHECKPOINTS,
          ],
          env: {
            CA_CRASH_BATCH_SIZE: String(BATCH_SIZE),
            CA_CRASH_PAUSE_MS: String(pauseMs),
          },
        },
        killAfterMs: small ? [300, 900] : [400, 1500],
        async deliveredCount() {
          const [row] = await db!.query(
            `SELECT count(*) AS n FROM ${ROWS}`,
          );
          return Number(row!.n);
        },
        async delivered() {
          const problems: string[] = [];
          const [counts] = await db!.query(
            `SELECT count(*) AS total, count(DISTINCT id) AS ids,
               min(id) AS low, max(id) AS high FROM ${ROWS}`,
          );
          const total = Number(counts!.total);
          const distinct = Number(counts!.ids);
          const low = counts!.low === null ? null : Number(counts!.low);
          const high = counts!.high === null ? null : Number(counts!.high);
          if (total !== distinct) {
            problems.push(
              `the query finds ${
                total - distinct
              } duplicate rows: count(*) ${total}, count(DISTINCT id) ${distinct}`,
            );
          }
          if (distinct !== records || low !== 0 || high !== records - 1) {
            problems.push(
              `the query finds ids ${low} to ${high}, ${distinct} distinct, not 0 to ${
                records - 1
              }`,
            );
          }
          // The sink committed the end of the file with the last batch.
          const [stored] = await db!.query(
            `SELECT position FROM ${CHECKPOINTS} WHERE id = 'crash-exactly-once'`,
          );
          const position = Number(
            typeof stored?.position === "string"
              ? JSON.parse(stored.position)
              : stored?.position,
          );
          const size = (await Deno.stat(input)).size;
          if (position !== size) {
            problems.push(
              `the checkpoint holds ${position}, not the input's end ${size}`,
            );
          }
          run.note +=
            `; query: count(*) ${total}, count(DISTINCT id) ${distinct}, ids ${low} to ${high}; checkpoint at byte ${position} of ${size}`;
          const rows = await db!.query(`SELECT id FROM ${ROWS} ORDER BY seq`);
          return { ids: rows.map((row) => Number(row.id)), problems };
        },
        expected: () => true,
        replay: {
          atMost: 0,
          why: "exactly once: each batch and its position commit together",
        },
        async cleanup() {
          if (db === undefined) return;
          await db.query(`DROP TABLE IF EXISTS ${ROWS}`).catch(() => {});
          await db.query(`DROP TABLE IF EXISTS ${CHECKPOINTS}`).catch(
            () => {},
          );
          await db.end();
          db = undefined;
        },
      };
      return [run];
    },
  };
}
