import type pg from "pg";
import createLockTable from "../sql/create-lock-table.sql";
import createSchema from "../sql/create-schema.sql";
import findLockTable from "../sql/find-lock-table.sql";
import migrationLock from "../sql/migration-lock.sql";
import { inTransaction } from "./connection/pool.js";
import { type ConnectionTarget, codeOf, storeError } from "./connection/store-error.js";
import { DEFAULT_TYPES } from "./connection/type-parsers.js";
import { fillNames, migrationLockKey, type TableNames } from "./identifiers.js";

/**
 * SQLSTATEs of catalog races of concurrent `CREATE ... IF NOT EXISTS` (unique violation on
 * `pg_type` or `pg_namespace`, duplicate schema or table): a creator outside our advisory lock (a
 * store with another prefix in the same schema) created it at the same moment; a second pass finds
 * it.
 */
const CREATION_RACES = new Set(["23505", "42P06", "42P07"]);

/**
 * Creates the schema (if missing) and the leader lease table `<prefix>locks` (if missing), in one
 * transaction under the advisory lock of the store's migrations, so that many instances, stores
 * and leaders may migrate at once. Idempotent. The table is the one migration 001 of the store
 * creates: a database may hold the store's tables, the lease table, or both. This is what
 * `PostgresLeader.migrate()` of `@sched/leader-postgres` runs. Existing objects are left alone
 * without touching them, so a role that may use but not create them can still run it.
 *
 * @param pool - where to run it; one connection is checked out for the transaction.
 * @param names - the validated names (see {@link tableNames}).
 * @param target - the server, for messages.
 * @throws StoreError (`STORE_ERROR`) naming the table, and the server by `host:port` when it
 *   cannot be reached (never the password), when it fails.
 */
export async function migrateLockTable(
  pool: pg.Pool,
  names: TableNames,
  target: ConnectionTarget,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await migrateOnce(pool, names);
      return;
    } catch (err) {
      if (attempt < 3 && CREATION_RACES.has(codeOf(err) ?? "")) continue;
      throw storeError(err, `creating the lock table ${names.locks}`, target);
    }
  }
}

async function migrateOnce(pool: pg.Pool, names: TableNames): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query(migrationLock, [migrationLockKey(names)]);
    const { rows } = await client.query<{ schema_exists: boolean; table_exists: boolean }>({
      text: findLockTable,
      values: [names.schema, names.locks],
      types: DEFAULT_TYPES,
    });
    if (!rows[0]?.table_exists) {
      // Only when missing: CREATE SCHEMA needs a privilege that an existing schema does not.
      if (!rows[0]?.schema_exists) await client.query(fillNames(createSchema, names));
      await client.query(fillNames(createLockTable, names));
    }
  });
}
