import type { Pool, PoolClient } from "pg";
import { errorCode, type ServerDescription, toStoreError } from "./connection.js";
import type { LeaseStatements } from "./lease-statements.js";

/**
 * Catalog races of concurrent `CREATE ... IF NOT EXISTS` (unique violation on `pg_type` or
 * `pg_namespace`, duplicate table or schema). They can still happen when another package
 * (e.g. `@sched/store-postgres`) creates the same table without taking our advisory lock; a second
 * attempt then finds the table.
 */
const CREATION_RACE_CODES = new Set(["23505", "42P07", "42P06"]);

/**
 * Creates the schema (if missing) and the lock table (if missing), in one transaction under an
 * advisory lock, so that many instances may migrate at once. Idempotent.
 *
 * @throws StoreError naming the server by `host:port` when it fails.
 */
export async function migrateLockTable(
  pool: Pool,
  statements: LeaseStatements,
  server: ServerDescription,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await migrateOnce(pool, statements);
      return;
    } catch (err) {
      if (attempt < 3 && CREATION_RACE_CODES.has(errorCode(err) ?? "")) continue;
      throw toStoreError(err, `create the lock table ${statements.locksTable}`, server);
    }
  }
}

async function migrateOnce(pool: Pool, statements: LeaseStatements): Promise<void> {
  const client: PoolClient = await pool.connect();
  let failure: unknown;
  try {
    await client.query("BEGIN");
    // Serialises migrations of these tables, ours and the store's; released at COMMIT or ROLLBACK.
    await client.query("SELECT pg_advisory_xact_lock($1::bigint)", [statements.migrationLockKey]);
    const { rows } = await client.query<{ schema_exists: boolean; table_exists: boolean }>(
      statements.findLockTable,
      [statements.schema, statements.locksTable],
    );
    // Existing objects are left alone without touching them, so a role that may use but not
    // create them can still run migrate().
    if (!rows[0]?.table_exists) {
      if (!rows[0]?.schema_exists) await client.query(statements.createSchema);
      await client.query(statements.createLockTable);
    }
    await client.query("COMMIT");
  } catch (err) {
    failure = err;
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    // A client that failed may be broken: passing the error makes the pool discard it.
    client.release(failure instanceof Error ? failure : undefined);
  }
}
