// Copyright 2026 the @ca/streams authors. MIT license.
// Test helpers of the MariaDB tests (not part of the package): the server at
// CA_TEST_MARIADB_URL (default mysql://root@127.0.0.1:3306/test), its
// database created when missing, and pools of the tests' own. A missing
// server fails the tests with how to start one.

import process from "node:process";
import mysql from "mysql2/promise";
import type { Pool } from "mysql2/promise";

const URL_VARIABLE = "CA_TEST_MARIADB_URL";
/** The server and database the tests use. */
export const mariadbUrl: string = process.env[URL_VARIABLE] ??
  "mysql://root@127.0.0.1:3306/test";
const HOW_TO_START = "service mariadb start";

let created: Promise<void> | undefined;

/** Creates the database of the URL when it is missing (once per process). */
function createDatabase(): Promise<void> {
  created ??= (async () => {
    const url = new URL(mariadbUrl);
    const database = decodeURIComponent(url.pathname.slice(1));
    url.pathname = "/";
    let admin: mysql.Connection;
    try {
      admin = await mysql.createConnection({
        uri: url.href,
        connectTimeout: 3000,
      });
    } catch (error) {
      throw new Error(
        `Cannot reach MariaDB at ${mariadbUrl} (${
          (error as Error)?.message ?? error
        }): start it with \`${HOW_TO_START}\`, or point ${URL_VARIABLE} at one`,
      );
    }
    try {
      await admin.query(
        `CREATE DATABASE IF NOT EXISTS \`${database.replaceAll("`", "``")}\``,
      );
    } finally {
      await admin.end();
    }
  })();
  return created;
}

/** A pool of the tests' own on the test database, created when missing. */
export async function testPool(connectionLimit = 4): Promise<Pool> {
  await createDatabase();
  return mysql.createPool({
    uri: mariadbUrl,
    connectionLimit,
    connectTimeout: 3000,
  });
}
